package promote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// Refusal is a promotion its gates refused, as the environment's store
// keeps it.
type Refusal = state.Refusal

// FullHistory is an environment's history as shown: its revisions and
// log-level changes, and the promotions into it that were refused.
type FullHistory struct {
	*view.History
	// Refused are the refused promotions into the environment, newest
	// first.
	Refused []Refusal `json:"refused"`
}

// RunFull is Run with the refused promotions into envName.
func (h *History) RunFull(ctx context.Context, envName string) (*FullHistory, error) {
	hist, err := h.Run(ctx, envName)
	if err != nil {
		return nil, err
	}
	ref, err := Refusals(h.cfg, envName)
	if err != nil {
		return nil, err
	}
	return &FullHistory{History: hist, Refused: ref}, nil
}

// refusedDir keeps the refused promotions of an environment whose store
// keeps none (the project's own, under .ferry/), one JSON object a line:
// appended whole by one write, so concurrent ferries do not tear each
// other's lines. It sits beside that store, like its samples, and is
// reached the same way: through confine's .ferry, refused/ and the file
// ferry's own (a link a repository committed is refused).
const refusedDir = "refused"

// openRefused opens env's refusals file with flag. Reading a project
// without .ferry creates nothing (fs.ErrNotExist).
func (c *Config) openRefused(env string, flag int) (*os.File, error) {
	root, err := confine.Open(c.Project.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if flag&os.O_CREATE == 0 {
		if _, err := root.Lstat(confine.StateDir); err != nil {
			return nil, err
		}
	}
	fr, err := root.Ferry()
	if err != nil {
		return nil, err
	}
	defer fr.Close()
	name := path.Join(refusedDir, env+".jsonl")
	shown := path.Join(confine.StateDir, name)
	const what = "the refused promotions"
	if _, err := fr.Lstat(refusedDir); err == nil || flag&os.O_CREATE != 0 {
		if err := fr.OwnDir(refusedDir, path.Join(confine.StateDir, refusedDir), what); err != nil {
			return nil, err
		}
	}
	if _, err := fr.OwnFile(name, shown, what); err != nil {
		return nil, err
	}
	return fr.OpenFile(name, flag, 0o600)
}

// refused records a promotion refused by a gate (err matches ErrGate); a
// dry run and any other error are no refusal. Recording is best effort:
// the refusal itself is what the user must see, so a failure to record
// is logged, not returned.
func (pr *Promote) refused(plan *Plan, err error) {
	if pr.DryRun || !errors.Is(err, ErrGate) {
		return
	}
	c := pr.cfg
	r := Refusal{Environment: plan.To, From: plan.From, FromRevision: plan.FromRevision, Digest: plan.Digest, Tag: plan.Tag,
		By: c.user(), At: c.now().UTC(), Reason: secret.Scrub(err.Error())}
	for _, g := range plan.Gates {
		r.Gates = append(r.Gates, state.Gate{Name: g.Name, Passed: g.Passed, Detail: secret.Scrub(g.Detail)})
	}
	if werr := c.addRefusal(r); werr != nil {
		c.log().Warn("recording a refused promotion", "env", plan.To, "err", werr)
	}
}

// addRefusal records r in the store that keeps r.Environment, so that
// everyone promoting it sees it; in the file beside the project's own
// store when that store keeps none.
func (c *Config) addRefusal(r Refusal) error {
	st, err := c.storeNamed(r.Environment)
	if err != nil {
		return err
	}
	if rs, ok := st.(state.RefusalStore); ok {
		return rs.AddRefusal(r)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := c.openRefused(r.Environment, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	return errors.Join(err, f.Close())
}

// Refusals returns the refused promotions into envName, newest first,
// from the store that keeps the environment. Their reasons and gate
// details are scrubbed again as they are read: another ferry wrote them.
func Refusals(c *Config, envName string) ([]Refusal, error) {
	st, err := c.storeNamed(envName)
	if err != nil {
		return nil, err
	}
	var out []Refusal
	if rs, ok := st.(state.RefusalStore); ok {
		out, err = rs.Refusals(envName)
	} else {
		out, err = c.fileRefusals(envName)
	}
	if errors.Is(err, confine.ErrRefused) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("refused promotions of %s: %w", envName, err)
	}
	for i := range out {
		r := &out[i]
		r.Reason = secret.Scrub(r.Reason)
		for j := range r.Gates {
			r.Gates[j].Detail = secret.Scrub(r.Gates[j].Detail)
		}
	}
	slices.Reverse(out)
	if out == nil {
		out = []Refusal{}
	}
	return out, nil
}

// fileRefusals reads the file of envName's refused promotions, oldest
// first. A line that does not parse (a write cut short by a crash) is
// skipped.
func (c *Config) fileRefusals(envName string) ([]Refusal, error) {
	f, err := c.openRefused(envName, os.O_RDONLY)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	var out []Refusal
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Refusal
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// Preflight is how a promotion from → to stands now, by its read-only
// gates only: what runs in from, its health, soak, signature and the
// artifact checks, never a smoke step (which may write) and never the
// lock. The page shows it beside the Promote button, refreshed every few
// seconds; the confirmation runs the full dry run.
func Preflight(ctx context.Context, c *Config, from, to string) (*Plan, error) {
	fromEnv, err := c.env(from)
	if err != nil {
		return nil, err
	}
	toEnv, err := c.env(to)
	if err != nil {
		return nil, err
	}
	pr := &Promote{cfg: c, DryRun: true}
	plan := &Plan{From: from, To: to}
	chk, err := pr.source(ctx, fromEnv, toEnv, plan)
	if err != nil {
		return plan, err
	}
	gates := c.Gates
	if gates == nil {
		gates = DefaultGates()
	}
	for _, g := range gates {
		switch g.(type) {
		case smokeGate:
			continue
		case metricsGate:
			plan.Gates = append(plan.Gates, storedSoak(ctx, chk)...)
			continue
		}
		if g.Phase() == Before {
			plan.Gates = append(plan.Gates, g.Check(ctx, chk)...)
		}
	}
	if r, _ := c.current(toEnv); r != nil {
		plan.ToRevision, plan.ToDigest = r.Number, r.Digest
	}
	if bad := failed(plan.Gates); len(bad) > 0 {
		return plan, &GateError{Failed: bad}
	}
	return plan, nil
}

// storedSoak is the metrics gate judged from the samples already stored
// (the page's scrapers take them), without taking one.
func storedSoak(ctx context.Context, g *GateCheck) []state.Gate {
	if !SoakLimits(g.From).Metric() {
		return nil
	}
	r := state.Gate{Name: "soak metrics"}
	v, err := NewSoak(g.Config).Run(ctx, g.From.Name, false)
	if err != nil {
		r.Detail = err.Error()
		return []state.Gate{r}
	}
	r.Passed = v.State == soak.Passed
	r.Detail = string(v.State) + " over " + v.Window()
	if v.Reason != "" {
		r.Detail += ": " + v.Reason
	}
	return []state.Gate{r}
}

// RollbackTarget is the revision a rollback of envName would return to
// (n 0: the one live before the current one), read only; an error says
// why a rollback would be refused.
func RollbackTarget(c *Config, envName string, n int) (view.Revision, error) {
	env, err := c.env(envName)
	if err != nil {
		return view.Revision{}, err
	}
	r, err := c.rollbackTarget(env, n)
	if err != nil {
		return view.Revision{}, err
	}
	return view.NewRevision(r), nil
}

// PollsLevel says whether envName's newest revision was deployed with a
// REMOTE_LOG_URL, without which its service never polls for a log level:
// the page says so beside its log-level control.
func PollsLevel(c *Config, envName string) bool {
	revs, _, err := c.recent(envName, 5)
	if err != nil {
		return false
	}
	for i := range revs {
		if r := &revs[i]; r.Outcome == state.Pending || r.Outcome == state.Live {
			return snapshotVars(r)["REMOTE_LOG_URL"] != ""
		}
	}
	return false
}
