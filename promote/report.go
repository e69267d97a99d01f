package promote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ferrydev/ferry/internal/state"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/platform"
)

// Difference is one key whose live value is not the wanted one. Values
// of secrets are never held here: Want and Live are redacted.
type Difference struct {
	Key string `json:"key"`
	// Change is "differs", "missing" (wanted, not live) or "unexpected"
	// (live, not wanted).
	Change string `json:"change"`
	Want   string `json:"want"`
	Live   string `json:"live"`
	Secret bool   `json:"secret"`
}

// VerifyReport is what verify found.
type VerifyReport struct {
	Environment string `json:"environment"`
	PID         int    `json:"pid"`
	// Revision is the ferry revision of the live process, 0 when ferry
	// did not start it.
	Revision int `json:"revision"`
	// Digest is the image the running executable belongs to ("" when
	// none of this project's).
	Digest string `json:"digest"`
	// WantExecutable is the live revision's executable digest;
	// Executable is the running one's.
	WantExecutable string        `json:"wantExecutable"`
	Executable     string        `json:"executable"`
	Health         target.Health `json:"health"`
	HealthDetail   string        `json:"healthDetail,omitempty"`
	Differences    []Difference  `json:"differences"`
}

// OK says whether the live process is what was meant, and healthy.
func (r *VerifyReport) OK() bool {
	return len(r.Differences) == 0 && r.Executable == r.WantExecutable && r.Executable != "" && r.Health == target.HealthUp
}

// Summary is one line about the report.
func (r *VerifyReport) Summary() string {
	var bad []string
	switch {
	case r.WantExecutable == "":
		bad = append(bad, "nothing deployed by ferry")
	case r.Executable != r.WantExecutable:
		bad = append(bad, "executable differs")
	}

	if r.Health != target.HealthUp {
		bad = append(bad, "health "+string(r.Health))
	}
	if n := len(r.Differences); n > 0 {
		keys := make([]string, 0, n)
		for _, d := range r.Differences {
			keys = append(keys, d.Key)
		}
		bad = append(bad, fmt.Sprintf("%d key(s) differ: %s", n, strings.Join(keys, ", ")))
	}
	who := fmt.Sprintf("pid %d (revision %d)", r.PID, r.Revision)
	if r.Revision == 0 {
		who = fmt.Sprintf("pid %d (not started by ferry)", r.PID)
	}
	if len(bad) == 0 {
		return who + " matches, healthy"
	}
	return who + ": " + strings.Join(bad, "; ")
}

// Verify compares what runs in an environment with what it should run.
type Verify struct{ cfg *Config }

// NewVerify returns a Verify over cfg.
func NewVerify(cfg *Config) *Verify { return &Verify{cfg: cfg} }

// Run verifies envName: the live process environment key by key against
// the desired configuration (secrets by hash), its executable against the
// live revision's, and its health.
func (v *Verify) Run(ctx context.Context, envName string) (*VerifyReport, error) {
	c := v.cfg
	env, err := c.Project.Env(envName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	want, err := c.desired(ctx, env)
	if err != nil {
		return nil, err
	}
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	var cur *state.Revision
	if err := c.State.View(func(tx *state.Tx) error {
		var err error
		cur, err = tx.CurrentRevision(envName)
		return err
	}); err != nil {
		return nil, err
	}
	live, err := t.Live(ctx, target.Query{Env: envName, Port: want.Port(), HealthURL: env.Health})
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Environment: envName, PID: live.PID, Revision: live.Revision, Executable: live.BinaryDigest,
		Health: live.Health, HealthDetail: live.HealthDetail, Differences: []Difference{}}
	if cur != nil {
		rep.WantExecutable = cur.BinaryDigest
	}
	if img, err := c.Images.FindBinary(live.BinaryDigest); err == nil {
		rep.Digest = img.Digest
	}
	rep.Differences = compare(want.Entries, live.Env)
	return rep, nil
}

// compare lists the differences between want and the live environment.
func compare(want []state.Entry, live map[string]string) []Difference {
	out := []Difference{}
	seen := map[string]bool{}
	for _, e := range want {
		seen[e.Key] = true
		lv, ok := live[e.Key]
		d := Difference{Key: e.Key, Secret: e.Secret, Want: e.Value, Live: lv}
		if e.Secret {
			d.Want, d.Live = render.Redacted, render.Redacted
		}
		switch {
		case !ok:
			d.Change, d.Live = "missing", ""
		case lv != e.Value:
			d.Change = "differs"
		default:
			continue
		}
		out = append(out, d)
	}
	keys := make([]string, 0, len(live))
	for k := range live {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		// A sensitive name is treated as secret even when unexpected.
		secret := isSensitive(k)
		d := Difference{Key: k, Change: "unexpected", Live: live[k], Secret: secret}
		if secret {
			d.Live = render.Redacted
		}
		out = append(out, d)
	}
	return out
}

func isSensitive(k string) bool {
	u := strings.ToUpper(k)
	for _, w := range []string{"PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "CREDENTIAL", "PASSWD"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// Change is one key of drift: how the repository's desired configuration
// differs from the snapshot of the live revision.
type Change struct {
	Key    string `json:"key"`
	Change string `json:"change"` // added, removed, changed
	// Deployed and Desired are the two values; "<redacted>" for secrets.
	Deployed string `json:"deployed"`
	Desired  string `json:"desired"`
	Source   string `json:"source,omitempty"`
	Secret   bool   `json:"secret"`
}

// DriftReport is what changed in the repository since the live revision.
type DriftReport struct {
	Environment string   `json:"environment"`
	Revision    int      `json:"revision"`
	Changes     []Change `json:"changes"`
}

// Drift compares envName's desired configuration with its live revision's
// snapshot.
func (c *Config) Drift(ctx context.Context, envName string) (*DriftReport, error) {
	env, err := c.Project.Env(envName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	var cur *state.Revision
	if err := c.State.View(func(tx *state.Tx) error {
		var err error
		cur, err = tx.CurrentRevision(envName)
		return err
	}); err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("%w: nothing is deployed in %q", ErrInput, envName)
	}
	want, err := c.desired(ctx, env)
	if err != nil {
		return nil, err
	}
	rep := &DriftReport{Environment: envName, Revision: cur.Number, Changes: []Change{}}
	deployed := map[string]state.Entry{}
	for _, e := range cur.Config {
		deployed[e.Key] = e
	}
	for _, e := range want.Snapshot() {
		d, ok := deployed[e.Key]
		delete(deployed, e.Key)
		ch := Change{Key: e.Key, Desired: e.Value, Deployed: d.Value, Source: e.Source, Secret: e.Secret || d.Secret}
		switch {
		case !ok:
			ch.Change, ch.Deployed = "added", ""
		case d.Value != e.Value:
			ch.Change = "changed"
		default:
			continue
		}
		if ch.Secret {
			ch.Desired = render.Redacted
			if ok {
				ch.Deployed = render.Redacted
			}
		}
		rep.Changes = append(rep.Changes, ch)
	}
	for _, d := range deployed {
		ch := Change{Key: d.Key, Change: "removed", Deployed: d.Value, Secret: d.Secret}
		if d.Secret {
			ch.Deployed = render.Redacted
		}
		rep.Changes = append(rep.Changes, ch)
	}
	sort.Slice(rep.Changes, func(i, j int) bool { return rep.Changes[i].Key < rep.Changes[j].Key })
	return rep, nil
}

// EnvStatus is one environment in `ferry status` (DESIGN.md's shape).
type EnvStatus struct {
	Name          string        `json:"name"`
	Target        string        `json:"target"`
	Digest        string        `json:"digest"`
	Tag           string        `json:"tag"`
	Revision      int           `json:"revision"`
	Since         string        `json:"since"`
	Health        target.Health `json:"health"`
	SoakRemaining string        `json:"soakRemaining"`
	// PID is the live revision's process, 0 when none.
	PID int `json:"pid,omitempty"`
}

// Status reports every environment in path order. It reads the store
// once and asks each environment's health endpoint, in parallel; it
// renders nothing, so it stays fast.
func (c *Config) Status(ctx context.Context) ([]EnvStatus, error) {
	out := make([]EnvStatus, len(c.Project.Environments))
	revs := make([]*state.Revision, len(out))
	err := c.State.View(func(tx *state.Tx) error {
		for i, e := range c.Project.Environments {
			r, err := tx.CurrentRevision(e.Name)
			if err != nil {
				return err
			}
			revs[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: time.Second}
	var wg sync.WaitGroup
	for i, e := range c.Project.Environments {
		s := EnvStatus{Name: e.Name, Target: e.Target, Health: target.HealthUnknown}
		r := revs[i]
		if r == nil {
			out[i] = s
			continue
		}
		s.Digest, s.Tag, s.Revision, s.Since = r.Digest, r.Tag, r.Number, r.Since.Format(time.RFC3339)
		t, err := c.Target(e)
		if err != nil {
			out[i] = s // a target ferry cannot reach here: health unknown
			continue
		}
		s.Health = target.HealthDown
		running, _ := t.Revisions(ctx, e.Name)
		if slices.Contains(running, r.Number) {
			s.PID = r.PID
			left := e.Soak - c.now().Sub(r.Since)
			s.SoakRemaining = max(left, 0).Round(time.Second).String()
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.Health = probe(ctx, client, r.URL)
				out[i] = s
			}()
			continue
		}
		out[i] = s
	}
	wg.Wait()
	return out, nil
}

func probe(ctx context.Context, client *http.Client, url string) target.Health {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return target.HealthUnknown
	}
	resp, err := client.Do(req)
	if err != nil {
		return target.HealthDown
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return target.HealthDown
	}
	var doc struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(body, &doc) == nil && doc.Data.Status == string(target.HealthDegraded) {
		return target.HealthDegraded
	}
	return target.HealthUp
}
