package promote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/state"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/platform"
)

// Promote moves the digest running in one environment to the next.
type Promote struct {
	cfg *Config
	// DryRun evaluates the gates and reports the plan without deploying.
	DryRun bool
	// SkipPath allows a TO that is not the next step of the path; the
	// reason is recorded with the revision.
	SkipPath string
}

// NewPromote returns a Promote over cfg.
func NewPromote(cfg *Config) *Promote { return &Promote{cfg: cfg} }

// Plan is what a promotion does and how its gates stand.
type Plan struct {
	From, To string
	// FromRevision is the revision live in From; Digest, Tag and
	// BinaryDigest what runs there, read from the process.
	FromRevision int
	Digest       string
	Tag          string
	BinaryDigest string
	// ToRevision and ToDigest are what To runs now (0, "" when nothing).
	ToRevision int
	ToDigest   string
	Gates      []state.Gate
	SkipPath   string
	// Revision is the revision created in To (after a real run).
	Revision *state.Revision
	// RolledBack says To was put back after a failure after deploy.
	RolledBack bool
}

// Passed says whether every gate passed.
func (p *Plan) Passed() bool {
	for _, g := range p.Gates {
		if !g.Passed {
			return false
		}
	}
	return true
}

// GateError is a promotion refused by its gates.
type GateError struct{ Failed []state.Gate }

func (e *GateError) Error() string {
	var parts []string
	for _, g := range e.Failed {
		parts = append(parts, g.Name+": "+g.Detail)
	}
	return "gate not met: " + strings.Join(parts, "; ")
}

// Is makes a *GateError match ErrGate.
func (e *GateError) Is(target error) bool { return target == ErrGate }

// Run promotes from → to. The plan is returned even when a gate fails.
func (pr *Promote) Run(ctx context.Context, from, to string) (*Plan, error) {
	c := pr.cfg
	fromEnv, err := c.Project.Env(from)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	toEnv, err := c.Project.Env(to)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if from == to {
		return nil, fmt.Errorf("%w: cannot promote %q to itself", ErrInput, from)
	}
	plan := &Plan{From: from, To: to, SkipPath: pr.SkipPath}
	if next, ok := c.Project.Next(from); !ok || next != to {
		if pr.SkipPath == "" {
			want := "nothing: it is the end of the path"
			if ok {
				want = strconv.Quote(next)
			} else if !slices.Contains(c.Project.Path, from) {
				want = "nothing: it is not on the path " + strings.Join(c.Project.Path, " → ")
			}
			return nil, fmt.Errorf("%w: %q is not the next step after %q (the path's next is %s); pass --skip-path with a reason to do it anyway", ErrInput, to, from, want)
		}
	}
	var unlock func()
	if !pr.DryRun {
		if unlock, err = c.lock(ctx, toEnv); err != nil {
			return nil, err
		}
		defer unlock()
	}
	toCfg, err := c.desired(ctx, toEnv)
	if err != nil {
		return nil, err
	}
	img, err := pr.gates(ctx, fromEnv, plan)
	if err != nil {
		return plan, err
	}
	_ = c.State.View(func(tx *state.Tx) error {
		if r, _ := tx.CurrentRevision(to); r != nil {
			plan.ToRevision, plan.ToDigest = r.Number, r.Digest
		}
		return nil
	})
	if !plan.Passed() {
		var failed []state.Gate
		for _, g := range plan.Gates {
			if !g.Passed {
				failed = append(failed, g)
			}
		}
		return plan, &GateError{Failed: failed}
	}
	if pr.DryRun {
		return plan, nil
	}
	c.at("gates")
	rev, err := c.apply(ctx, change{env: toEnv, img: img, cfg: toCfg, meta: state.Revision{
		Action: "promote", PromotedFrom: from, FromRevision: plan.FromRevision, SkipPath: pr.SkipPath, Gates: plan.Gates,
	}})
	plan.Revision = rev
	if err != nil {
		return plan, err
	}
	// After the deploy: To's own smoke steps, then verify To.
	var after []state.Gate
	after = append(after, c.smoke(ctx, toEnv, rev.URL)...)
	rep, verr := NewVerify(c).Run(ctx, to)
	switch {
	case verr != nil:
		after = append(after, state.Gate{Name: "verify " + to, Detail: verr.Error()})
	default:
		after = append(after, state.Gate{Name: "verify " + to, Passed: rep.OK(), Detail: rep.Summary()})
	}
	rev.Gates = append(rev.Gates, after...)
	plan.Gates = append(plan.Gates, after...)
	failed := []state.Gate{}
	for _, g := range after {
		if !g.Passed {
			failed = append(failed, g)
		}
	}
	if len(failed) == 0 {
		return plan, c.State.Update(func(tx *state.Tx) error { return tx.Put(rev) })
	}
	// Roll To back: the revision before this one, if there was one.
	rev.Outcome, rev.Reason = state.Failed, (&GateError{Failed: failed}).Error()
	if err := c.State.Update(func(tx *state.Tx) error { return tx.Put(rev) }); err != nil {
		return plan, err
	}
	gerr := &GateError{Failed: failed}
	if plan.ToRevision == 0 {
		t, _ := c.Target(toEnv)
		_ = t.Stop(ctx, to, 0)
		_ = c.State.Update(func(tx *state.Tx) error { return tx.SetCurrent(to, 0) })
		return plan, fmt.Errorf("%w (stopped %s: it had no earlier revision)", gerr, to)
	}
	prev, err := c.rollbackTarget(to, plan.ToRevision)
	if err == nil {
		_, err = c.restore(ctx, toEnv, prev, fmt.Sprintf("automatic rollback after revision %d failed", rev.Number))
	}
	if err != nil {
		return plan, errors.Join(gerr, fmt.Errorf("rolling %s back to revision %d: %w", to, plan.ToRevision, err))
	}
	plan.RolledBack = true
	return plan, fmt.Errorf("%w (rolled %s back to revision %d)", gerr, to, plan.ToRevision)
}

// gates evaluates every gate on from and fills plan; it returns the
// artifact running there. An error means the gates could not be
// evaluated at all.
func (pr *Promote) gates(ctx context.Context, from *project.Environment, plan *Plan) (*artifact.Image, error) {
	c := pr.cfg
	t, err := c.Target(from)
	if err != nil {
		return nil, err
	}
	var cur *state.Revision
	if err := c.State.View(func(tx *state.Tx) error {
		var err error
		cur, err = tx.CurrentRevision(from.Name)
		return err
	}); err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("%w: nothing is deployed in %q (ferry deploy %s first)", ErrGate, from.Name, from.Name)
	}
	plan.FromRevision = cur.Number
	port := portOf(cur)
	live, err := t.Live(ctx, target.Query{Env: from.Name, Port: port, HealthURL: from.Health})
	if errors.Is(err, target.ErrNotRunning) {
		return nil, fmt.Errorf("%w: %q: revision %d is not running", ErrGate, from.Name, cur.Number)
	}
	if err != nil {
		return nil, err
	}
	// The digest comes from the process: its executable must be an
	// artifact ferry built, and the one the revision recorded.
	img, err := c.Images.FindBinary(live.BinaryDigest)
	if err != nil {
		return nil, fmt.Errorf("%w: the process running in %q (pid %d) is no artifact of this project: its executable is %s", ErrGate, from.Name, live.PID, live.BinaryDigest)
	}
	plan.Digest, plan.Tag, plan.BinaryDigest = img.Digest, cur.Tag, img.BinaryDigest
	img.Tag = cur.Tag
	same := live.BinaryDigest == cur.BinaryDigest && live.Revision == cur.Number
	g := state.Gate{Name: "live is revision " + strconv.Itoa(cur.Number), Passed: same}
	if same {
		g.Detail = fmt.Sprintf("pid %d runs %s", live.PID, short(img.Digest))
	} else {
		g.Detail = fmt.Sprintf("pid %d runs %s, not revision %d's %s", live.PID, short(live.BinaryDigest), cur.Number, short(cur.BinaryDigest))
	}
	plan.Gates = append(plan.Gates, g)

	healthy := live.Health == target.HealthUp
	g = state.Gate{Name: "healthy", Passed: healthy, Detail: string(live.Health)}
	if !healthy && live.HealthDetail != "" {
		g.Detail += ": " + live.HealthDetail
	}
	plan.Gates = append(plan.Gates, g)

	elapsed := c.now().Sub(cur.Since)
	restarted := live.PID != cur.PID || live.StartTick != cur.StartTick
	g = state.Gate{Name: "soaked " + from.Soak.String()}
	switch {
	case restarted:
		g.Detail = fmt.Sprintf("the process restarted since revision %d was deployed (pid %d, was %d)", cur.Number, live.PID, cur.PID)
	case elapsed < from.Soak:
		g.Detail = fmt.Sprintf("%s of %s elapsed, %s left", elapsed.Round(100*time.Millisecond), from.Soak, (from.Soak - elapsed).Round(100*time.Millisecond))
	case !healthy:
		g.Detail = "soak elapsed but not healthy now"
	default:
		g.Passed = true
		g.Detail = fmt.Sprintf("running %s without restart", elapsed.Round(time.Second))
	}
	plan.Gates = append(plan.Gates, g)
	plan.Gates = append(plan.Gates, c.smoke(ctx, from, cur.URL)...)
	return img, nil
}

func portOf(r *state.Revision) int {
	for _, e := range r.Config {
		if e.Key == "HTTP_PORT" {
			if n, err := strconv.Atoi(e.Value); err == nil {
				return n
			}
		}
	}
	return 8000
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// smoke runs env's smoke steps against the service whose health URL is
// healthURL; each is a gate.
func (c *Config) smoke(ctx context.Context, env *project.Environment, healthURL string) []state.Gate {
	base := strings.TrimSuffix(healthURL, "/.well-known/health")
	var out []state.Gate
	for _, s := range env.Smoke {
		g := state.Gate{Name: "smoke " + env.Name + ": " + s.String()}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if s.HTTP != "" {
			g.Passed, g.Detail = c.smokeHTTP(sctx, base, s)
		} else {
			cmd := exec.CommandContext(sctx, "sh", "-c", s.Run)
			cmd.Env = append(os.Environ(), "FERRY_URL="+base)
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			if err := cmd.Run(); err != nil {
				g.Detail = err.Error() + lastLine(buf.String())
			} else {
				g.Passed, g.Detail = true, "exit 0"
			}
		}
		cancel()
		out = append(out, g)
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := lines[len(lines)-1]; l != "" {
		return ": " + l
	}
	return ""
}

func (c *Config) smokeHTTP(ctx context.Context, base string, s project.SmokeStep) (bool, string) {
	method, path, ok := strings.Cut(strings.TrimSpace(s.HTTP), " ")
	if !ok {
		method, path = http.MethodGet, s.HTTP
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = base + path
	}
	var body io.Reader
	if s.Body != "" {
		body = strings.NewReader(s.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return false, err.Error()
	}
	if s.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	want := s.Expect
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return false, fmt.Sprintf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
	return true, fmt.Sprintf("%d", resp.StatusCode)
}
