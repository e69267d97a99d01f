package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// Recover takes an environment's lock and finishes what a ferry killed
// mid-change left there. Every changing operation does this first; the
// command exists for scripts and tests.
type Recover struct{ cfg *Config }

// NewRecover returns a Recover over cfg.
func NewRecover(cfg *Config) *Recover { return &Recover{cfg: cfg} }

// Run recovers envName.
func (r *Recover) Run(ctx context.Context, envName string) error {
	env, err := r.cfg.env(envName)
	if err != nil {
		return err
	}
	unlock, err := r.cfg.lock(ctx, env)
	if err != nil {
		return err
	}
	unlock()
	return nil
}

// recover finishes what a ferry killed mid-change left in env: a pending
// revision whose instances run while the recorded one's do not becomes
// the live one (the change had got that far); otherwise it is stopped and
// marked aborted. Instances of revisions other than the live one are
// stopped; a live revision with nothing running is started again from
// its snapshot.
func (c *Config) recover(ctx context.Context, env *project.Environment) error {
	t, err := c.Target(env)
	if err != nil {
		return err
	}
	var cur *state.Revision
	var pending []state.Revision
	err = c.view(env, func(tx state.Tx) error {
		var err error
		if cur, err = tx.CurrentRevision(env.Name); err != nil {
			return err
		}
		revs, err := tx.List(env.Name)
		for _, r := range revs {
			if r.Outcome == state.Pending {
				pending = append(pending, r)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	pending = reviewed(pending)
	if err := c.reattach(ctx, env, t); err != nil {
		return err
	}
	running, err := t.Revisions(ctx, env.Name)
	if err != nil {
		return err
	}
	curRunning := cur != nil && slices.Contains(running, cur.Number)
	keep := 0
	if cur != nil {
		keep = cur.Number
	}
	for _, p := range slices.Backward(pending) {
		if !curRunning && slices.Contains(running, p.Number) {
			q := platform.Query{Env: env.Name, Environment: env, Vars: snapshotVars(&p)}
			if live, err := t.Live(ctx, q); err == nil && live.Revision == p.Number && live.Health != platform.HealthDown {
				p.URL, p.Since = live.URL, c.now().UTC()
				p.Instances = p.Instances[:0]
				for _, in := range live.Instances {
					p.Instances = append(p.Instances, stored(in))
				}
				p.Reason = "adopted after an interrupted ferry"
				if p.GatesPending {
					// A promotion whose after-deploy gates did not
					// pass yet: recorded as it runs, still pending;
					// finishGates runs them and only then commits it.
					if err := c.update(env, func(tx state.Tx) error { return tx.Put(&p) }); err != nil {
						return err
					}
				} else {
					if err := c.update(env, func(tx state.Tx) error { return commit(tx, &p) }); err != nil {
						return err
					}
					c.recordBaseline(ctx, env, &p)
				}
				keep, curRunning, cur = p.Number, true, &p
				continue
			}
		}
		// It never went live, so its after-deploy gates will never run.
		p.Outcome, p.Reason, p.GatesPending = state.Aborted, "ferry was interrupted before this revision went live", false
		if err := c.update(env, func(tx state.Tx) error { return tx.Put(&p) }); err != nil {
			return err
		}
	}
	if len(running) > 0 && (len(running) > 1 || running[0] != keep) {
		c.log().Info("stopping instances left by an interrupted ferry", "env", env.Name, "keep", keep)
		if err := t.Stop(ctx, env.Name, keep); err != nil {
			return err
		}
	}
	if len(pending) > 0 && cur != nil && !curRunning && cur.Outcome == state.Live {
		c.log().Info("restarting the live revision an interrupted ferry left stopped", "env", env.Name, "revision", cur.Number)
		if _, err := c.restore(ctx, env, cur, "restart after an interrupted ferry"); err != nil {
			return fmt.Errorf("environment %q: restarting revision %d after an interrupted ferry: %w", env.Name, cur.Number, err)
		}
		return nil
	}
	return c.finishGates(ctx, env, cur)
}

// finishGates ends what a ferry killed after a promotion's deploy left
// undone, as if it had not been killed: a revision whose after-deploy
// gates are pending — running but pending in the record, or live as an
// older ferry recorded it — runs them, becoming live when they pass and
// rolled back when they fail; a current revision that failed them is
// rolled back.
func (c *Config) finishGates(ctx context.Context, env *project.Environment, cur *state.Revision) error {
	if cur == nil {
		return nil
	}
	switch {
	case (cur.Outcome == state.Live || cur.Outcome == state.Pending) && cur.GatesPending:
		c.log().Info("running the after-deploy gates an interrupted ferry left pending", "env", env.Name, "revision", cur.Number)
		_, err := c.afterDeploy(ctx, env, cur, c.pendingCheck(env, cur))
		if errors.Is(err, ErrGate) {
			// The promotion failed and was rolled back: that is the
			// recovery's outcome, not an error of the command that ran it.
			c.log().Warn("after-deploy gates failed on recovery; rolled back", "env", env.Name, "revision", cur.Number, "err", err)
			return nil
		}
		return err
	case cur.Outcome == state.Failed:
		if back, _ := c.awaiting(env); back != nil {
			return nil // the way back awaits review (pull-request mode)
		}
		c.log().Info("rolling back the failed revision an interrupted ferry left current", "env", env.Name, "revision", cur.Number)
		_, err := c.undo(ctx, env, cur)
		return err
	}
	return nil
}

// pendingCheck is the after-deploy gates' input for rev, live in env,
// whose gates have not run: recovery's and a resumed review's.
func (c *Config) pendingCheck(env *project.Environment, rev *state.Revision) *GateCheck {
	chk := &GateCheck{Config: c, To: env, Revision: rev}
	if from, err := c.Project.Env(rev.PromotedFrom); err == nil {
		chk.From = from
	}
	if img, err := c.Images.Resolve(rev.Digest); err == nil {
		chk.Image = img
	}
	return chk
}

// reattach hands the target back the instances the store recorded for
// env that the target may have lost track of.
func (c *Config) reattach(ctx context.Context, env *project.Environment, t platform.Target) error {
	ra, ok := t.(platform.Reattacher)
	if !ok {
		return nil
	}
	revs, err := c.revisions(env.Name)
	if err != nil {
		return err
	}
	for _, r := range revs {
		if len(r.Instances) == 0 {
			continue
		}
		ins := make([]platform.Instance, 0, len(r.Instances))
		for _, in := range r.Instances {
			ins = append(ins, platform.Instance{Name: in.Name, Revision: r.Number, Started: in.Started, Private: in.Private})
		}
		if err := ra.Reattach(ctx, env.Name, r.Number, ins); err != nil {
			return fmt.Errorf("environment %q: revision %d: %w", env.Name, r.Number, err)
		}
	}
	return nil
}

// snapshotVars is a stored revision's configuration as a map (secrets as
// their hashes): enough for a target to find ports and endpoints.
func snapshotVars(r *state.Revision) map[string]string {
	m := make(map[string]string, len(r.Config))
	for _, e := range r.Config {
		m[e.Key] = e.Value
	}
	return m
}
