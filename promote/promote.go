package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// Promote moves the digest running in one environment to the next.
type Promote struct {
	cfg *Config
	// DryRun evaluates the gates and reports the plan without deploying.
	DryRun bool
	// SkipPath allows a TO that is not the next step of the path; the
	// reason is recorded with the revision.
	SkipPath string
	// Artifact, when set, is the tag or digest the user means to
	// promote: refused unless it is what runs in From (a tag resolved
	// through From's registry where its target has one).
	Artifact string
}

// NewPromote returns a Promote over cfg.
func NewPromote(cfg *Config) *Promote { return &Promote{cfg: cfg} }

// Plan is what a promotion does and how its gates stand.
type Plan struct {
	From, To string
	// FromRevision is the revision live in From; Digest and Tag what runs
	// there, read from the instances.
	FromRevision int
	Digest       string
	Tag          string
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
func (p *Plan) Passed() bool { return len(failed(p.Gates)) == 0 }

// View is the plan as shown, with the error the promotion ended with.
func (p *Plan) View(dryRun bool, err error) *view.Plan {
	v := &view.Plan{From: p.From, To: p.To, DryRun: dryRun, Digest: p.Digest, Tag: p.Tag, FromRevision: p.FromRevision,
		ToRevision: p.ToRevision, ToDigest: p.ToDigest, Gates: view.Gates(p.Gates), RolledBack: p.RolledBack, SkipPath: p.SkipPath}
	if p.Revision != nil {
		v.Revision = p.Revision.Number
	}
	if err != nil {
		v.Error = err.Error()
	}
	return v
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
	fromEnv, err := c.env(from)
	if err != nil {
		return nil, err
	}
	toEnv, err := c.env(to)
	if err != nil {
		return nil, err
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
	if !pr.DryRun {
		unlock, err := c.lock(ctx, toEnv)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	// A dry run reads: without To's secrets file it still shows the
	// plan, with the missing file as the gate the promotion would fail.
	toCfg, missing, err := c.desiredForRead(ctx, toEnv)
	if err != nil || (missing != nil && !pr.DryRun) {
		return nil, errors.Join(err, missingErr(missing))
	}
	chk, err := pr.source(ctx, fromEnv, toEnv, plan)
	if err != nil {
		pr.refused(plan, err) // recorded in To's history (refused.go)
		return plan, err
	}
	chk.Artifact, chk.DryRun = pr.Artifact, pr.DryRun
	plan.Gates = c.check(ctx, Before, chk)
	if missing != nil {
		plan.Gates = append(plan.Gates, state.Gate{Name: "secrets file of " + to, Detail: missing.Error()})
	}
	if ctx.Err() != nil {
		// The gates' verdict was cut short; nothing has changed yet.
		return plan, &InterruptedError{What: fmt.Sprintf("the promotion stopped at its gates; nothing changed in %s", to)}
	}
	if r, _ := c.current(toEnv); r != nil {
		plan.ToRevision, plan.ToDigest = r.Number, r.Digest
	}
	if bad := failed(plan.Gates); len(bad) > 0 {
		pr.refused(plan, &GateError{Failed: bad})
		return plan, &GateError{Failed: bad}
	}
	if pr.DryRun {
		return plan, nil
	}
	c.at("gates")
	rev, err := c.apply(ctx, change{env: toEnv, img: chk.Image, cfg: toCfg, meta: state.Revision{
		Action: "promote", PromotedFrom: from, FromRevision: plan.FromRevision, SkipPath: pr.SkipPath, Gates: plan.Gates,
		GatesPending: true, Replaces: plan.ToRevision,
	}})
	plan.Revision = rev
	if err != nil || AwaitsReview(rev) {
		return plan, err // after review, Resume runs the after-deploy gates
	}
	chk.Revision = rev
	c.at("after-gates")
	after, err := c.afterDeploy(ctx, toEnv, rev, chk)
	plan.Gates = append(plan.Gates, after...)
	var rb *rolledBack
	plan.RolledBack = errors.As(err, &rb)
	return plan, err
}

// afterDeploy runs the After gates on rev, just deployed in env, records
// them, and on failure returns env to the revision rev replaced (or stops
// it when there was none). Recovery calls it too, for a revision whose
// gates a killed ferry left pending.
func (c *Config) afterDeploy(ctx context.Context, env *project.Environment, rev *state.Revision, chk *GateCheck) ([]state.Gate, error) {
	after := c.check(ctx, After, chk)
	if ctx.Err() != nil {
		// Cut short: the gates' verdict means nothing. The revision stays
		// live with its gates pending, which the next change of env
		// finishes before anything else (recover).
		return nil, &InterruptedError{What: fmt.Sprintf("revision %d runs in %s but its after-deploy gates were cut short, so ferry does not record it live; the next ferry deploy, promote or rollback of %s runs them first and rolls back if they fail",
			rev.Number, env.Name, env.Name)}
	}
	rev.Gates = append(rev.Gates, after...)
	rev.GatesPending = false
	bad := failed(after)
	if len(bad) == 0 {
		// Only now is it the live revision.
		if err := c.update(env, func(tx state.Tx) error { return commit(tx, rev) }); err != nil {
			return after, err
		}
		c.recordBaseline(ctx, env, rev)
		return after, nil
	}
	gerr := &GateError{Failed: bad}
	rev.Outcome, rev.Reason = state.Failed, gerr.Error()
	if err := c.update(env, func(tx state.Tx) error { return tx.Put(rev) }); err != nil {
		return after, err
	}
	did, err := c.undo(ctx, env, rev)
	if err != nil {
		return after, errors.Join(gerr, err)
	}
	if rev.Replaces > 0 {
		return after, fmt.Errorf("%w (%s)", &rolledBack{gerr}, did)
	}
	return after, fmt.Errorf("%w (%s)", gerr, did)
}

// missingErr is m as an error, nil when m is (a typed nil is not).
func missingErr(m *platform.MissingSecretsError) error {
	if m == nil {
		return nil
	}
	return m
}

// rolledBack marks a gate failure after which the target was rolled back.
type rolledBack struct{ *GateError }

func (e *rolledBack) Unwrap() error { return e.GateError }

// undo returns env from rev, which failed after it went live, to the
// revision rev replaced, or stops env when there was none, and says
// which it did.
func (c *Config) undo(ctx context.Context, env *project.Environment, rev *state.Revision) (string, error) {
	prev := rev.Replaces
	if prev == 0 {
		t, err := c.Target(env)
		if err == nil {
			err = t.Stop(ctx, env.Name, 0)
		}
		if err == nil {
			err = c.update(env, func(tx state.Tx) error { return tx.SetCurrent(env.Name, 0) })
		}
		if err != nil {
			return "", fmt.Errorf("stopping %s: %w", env.Name, err)
		}
		return fmt.Sprintf("stopped %s: it had no earlier revision", env.Name), nil
	}
	to, err := c.rollbackTarget(env, prev)
	var back *state.Revision
	if err == nil {
		back, err = c.restore(ctx, env, to, fmt.Sprintf("automatic rollback after revision %d failed", rev.Number))
	}
	if err != nil {
		return "", fmt.Errorf("rolling %s back to revision %d: %w", env.Name, prev, err)
	}
	if AwaitsReview(back) {
		return fmt.Sprintf("the rollback of %s to revision %d awaits review: %s", env.Name, prev, ReviewNote(back)), nil
	}
	return fmt.Sprintf("rolled %s back to revision %d", env.Name, prev), nil
}

// source reads what runs in from for the gates: its live revision, its
// instances as the target reports them, and the artifact they run.
func (pr *Promote) source(ctx context.Context, from, to *project.Environment, plan *Plan) (*GateCheck, error) {
	c := pr.cfg
	t, err := c.Target(from)
	if err != nil {
		return nil, err
	}
	cur, err := c.current(from)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("%w: nothing is deployed in %q (ferry deploy %s first)", ErrGate, from.Name, from.Name)
	}
	plan.FromRevision = cur.Number
	live, err := t.Live(ctx, platform.Query{Env: from.Name, Environment: from, Vars: snapshotVars(cur)})
	if errors.Is(err, platform.ErrNotRunning) {
		return nil, fmt.Errorf("%w: %q: revision %d is not running", ErrGate, from.Name, cur.Number)
	}
	if err != nil {
		return nil, err
	}
	// The digest comes from what runs: it must be an artifact of this
	// project (the gates then say whether it is the revision's).
	if live.Digest == "" {
		return nil, fmt.Errorf("%w: what runs in %q (%s) is no artifact of this project", ErrGate, from.Name, instanceNames(live))
	}
	img, err := c.Images.Resolve(live.Digest)
	if err != nil {
		return nil, fmt.Errorf("%w: what runs in %q (%s) is %s, which this project's artifact store lacks: %w", ErrGate, from.Name, instanceNames(live), live.Digest, err)
	}
	// The tag shown is the one that points at the digest now, never the
	// revision's tag (which may have moved since).
	plan.Digest, plan.Tag = img.Digest, img.Tag
	return &GateCheck{Config: c, From: from, To: to, Source: cur, Live: live, Image: img}, nil
}
