package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/state"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/platform"
)

// change is one revision to put into an environment.
type change struct {
	env  *project.Environment
	img  *artifact.Image
	cfg  *Desired
	meta state.Revision // Action, PromotedFrom, FromRevision, SkipPath, Gates
}

// apply records the revision as pending, has the target run it, and
// records the outcome; the caller holds the lock. The store is written
// before the process starts and after it is healthy, so a ferry killed in
// between leaves a pending revision that recover resolves.
func (c *Config) apply(ctx context.Context, ch change) (*state.Revision, error) {
	t, err := c.Target(ch.env)
	if err != nil {
		return nil, err
	}
	rev := ch.meta
	rev.Env, rev.Digest, rev.BinaryDigest, rev.Tag = ch.env.Name, ch.img.Digest, ch.img.BinaryDigest, ch.img.Tag
	rev.Config = ch.cfg.Snapshot()
	rev.By, rev.At, rev.Outcome = c.user(), c.now().UTC(), state.Pending
	if err := c.State.Update(func(tx *state.Tx) error { _, err := tx.Add(&rev); return err }); err != nil {
		return nil, err
	}
	c.at("recorded")
	proc, err := t.Deploy(ctx, target.Spec{
		Env: ch.env.Name, Revision: rev.Number, Digest: rev.Digest, BinaryDigest: rev.BinaryDigest,
		Vars: ch.cfg.Vars(), HealthURL: ch.env.Health, HealthTimeout: c.HealthTimeout,
	})
	c.at("started")
	if err != nil {
		rev.Outcome, rev.Reason = state.Failed, err.Error()
		if uerr := c.State.Update(func(tx *state.Tx) error { return tx.Put(&rev) }); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return &rev, err
	}
	rev.PID, rev.StartTick, rev.Since, rev.Root, rev.Log, rev.URL = proc.PID, proc.StartTick, proc.Since, proc.Root, proc.Log, proc.URL
	err = c.State.Update(func(tx *state.Tx) error { return commit(tx, &rev) })
	c.at("committed")
	return &rev, err
}

// commit makes rev the live revision of its environment.
func commit(tx *state.Tx, rev *state.Revision) error {
	prev, err := tx.CurrentRevision(rev.Env)
	if err != nil {
		return err
	}
	if prev != nil && prev.Number != rev.Number && prev.Outcome == state.Live {
		prev.Outcome = state.Superseded
		if err := tx.Put(prev); err != nil {
			return err
		}
	}
	rev.Outcome = state.Live
	if err := tx.Put(rev); err != nil {
		return err
	}
	return tx.SetCurrent(rev.Env, rev.Number)
}

// recover finishes what a ferry killed mid-change left in env: a pending
// revision whose process runs while the recorded one does not becomes
// the live one (the change had got that far); otherwise it is stopped and
// marked aborted. Processes of revisions other than the live one are
// stopped; a live revision with no process is started again from its
// snapshot.
func (c *Config) recover(ctx context.Context, env *project.Environment) error {
	t, err := c.Target(env)
	if err != nil {
		return err
	}
	var cur *state.Revision
	var pending []state.Revision
	err = c.State.View(func(tx *state.Tx) error {
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
			if live, err := t.Live(ctx, target.Query{Env: env.Name}); err == nil && live.Revision == p.Number && live.Health != target.HealthDown {
				p.PID, p.StartTick, p.Since, p.Root, p.Log, p.URL = live.PID, live.StartTick, live.Since, live.Root, live.Log, live.URL
				p.Reason = "adopted after an interrupted ferry"
				if err := c.State.Update(func(tx *state.Tx) error { return commit(tx, &p) }); err != nil {
					return err
				}
				keep, curRunning, cur = p.Number, true, &p
				continue
			}
		}
		p.Outcome, p.Reason = state.Aborted, "ferry was interrupted before this revision went live"
		if err := c.State.Update(func(tx *state.Tx) error { return tx.Put(&p) }); err != nil {
			return err
		}
	}
	if len(running) > 0 && (len(running) > 1 || running[0] != keep) {
		c.log().Info("stopping processes left by an interrupted ferry", "env", env.Name, "keep", keep)
		if err := t.Stop(ctx, env.Name, keep); err != nil {
			return err
		}
	}
	if len(pending) > 0 && cur != nil && !curRunning && cur.Outcome == state.Live {
		c.log().Info("restarting the live revision an interrupted ferry left stopped", "env", env.Name, "revision", cur.Number)
		if _, err := c.restore(ctx, env, cur, "restart after an interrupted ferry"); err != nil {
			return fmt.Errorf("environment %q: restarting revision %d after an interrupted ferry: %w", env.Name, cur.Number, err)
		}
	}
	return nil
}

// restore puts revision rev back with its digest and config snapshot, as
// a new revision.
func (c *Config) restore(ctx context.Context, env *project.Environment, rev *state.Revision, why string) (*state.Revision, error) {
	img, err := c.Images.Resolve(rev.Digest)
	if err != nil {
		return nil, err
	}
	cfg, err := c.fromSnapshot(ctx, env, rev)
	if err != nil {
		return nil, err
	}
	return c.apply(ctx, change{env: env, img: img, cfg: cfg, meta: state.Revision{Action: "rollback", RollbackOf: rev.Number, Reason: why}})
}

// Deploy puts an artifact into an environment.
type Deploy struct {
	cfg *Config
	// Artifact is a tag, a digest or "" for the last build.
	Artifact string
}

// NewDeploy returns a Deploy over cfg.
func NewDeploy(cfg *Config) *Deploy { return &Deploy{cfg: cfg} }

// Run deploys into envName.
func (d *Deploy) Run(ctx context.Context, envName string) (*state.Revision, error) {
	c := d.cfg
	env, err := c.Project.Env(envName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	img, err := c.Images.Resolve(d.Artifact)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	cfg, err := c.desired(ctx, env)
	if err != nil {
		return nil, err
	}
	unlock, err := c.lock(ctx, env)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.apply(ctx, change{env: env, img: img, cfg: cfg, meta: state.Revision{Action: "deploy"}})
}

// Rollback returns an environment to an earlier revision: its digest and
// its config snapshot.
type Rollback struct {
	cfg *Config
	// To is the revision to return to; 0 means the one live before the
	// current one.
	To int
}

// NewRollback returns a Rollback over cfg.
func NewRollback(cfg *Config) *Rollback { return &Rollback{cfg: cfg} }

// Run rolls envName back.
func (r *Rollback) Run(ctx context.Context, envName string) (*state.Revision, error) {
	c := r.cfg
	env, err := c.Project.Env(envName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	unlock, err := c.lock(ctx, env)
	if err != nil {
		return nil, err
	}
	defer unlock()
	to, err := c.rollbackTarget(env.Name, r.To)
	if err != nil {
		return nil, err
	}
	return c.restore(ctx, env, to, fmt.Sprintf("rollback to revision %d", to.Number))
}

// rollbackTarget returns revision n, or when n is 0 the last revision
// that went live before the current one.
func (c *Config) rollbackTarget(env string, n int) (*state.Revision, error) {
	var out *state.Revision
	err := c.State.View(func(tx *state.Tx) error {
		if n > 0 {
			r, err := tx.Get(env, n)
			if errors.Is(err, state.ErrNoRevision) {
				return fmt.Errorf("%w: %w", ErrInput, err)
			}
			out = r
			return err
		}
		cur, err := tx.Current(env)
		if err != nil {
			return err
		}
		revs, err := tx.List(env)
		if err != nil {
			return err
		}
		for _, r := range slices.Backward(revs) {
			// After `ferry down` (nothing current) the stopped revision
			// is the one to bring back.
			if (cur == 0 || r.Number < cur) && (r.Outcome == state.Superseded || r.Outcome == state.Stopped) {
				out = &r
				return nil
			}
		}
		return fmt.Errorf("%w: environment %q has no earlier revision to roll back to", ErrInput, env)
	})
	return out, err
}

// Down stops an environment.
func (c *Config) Down(ctx context.Context, envName string) error {
	env, err := c.Project.Env(envName)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInput, err)
	}
	t, err := c.Target(env)
	if err != nil {
		return err
	}
	l, err := state.Acquire(c.LockDir, env.Name, state.Holder{Command: c.Command, User: c.user()})
	if err != nil {
		return err
	}
	defer l.Release()
	if err := t.Stop(ctx, env.Name, 0); err != nil {
		return err
	}
	return c.State.Update(func(tx *state.Tx) error {
		cur, err := tx.CurrentRevision(env.Name)
		if err != nil || cur == nil {
			return err
		}
		cur.Outcome, cur.Reason = state.Stopped, "ferry down"
		if err := tx.Put(cur); err != nil {
			return err
		}
		return tx.SetCurrent(env.Name, 0)
	})
}

// History returns env's revisions, newest first.
func (c *Config) History(envName string) ([]state.Revision, error) {
	if _, err := c.Project.Env(envName); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	var revs []state.Revision
	err := c.State.View(func(tx *state.Tx) error {
		var err error
		revs, err = tx.List(envName)
		return err
	})
	slices.Reverse(revs)
	return revs, err
}

// Recover takes env's lock and finishes what a ferry killed mid-change
// left there (every changing operation does this first).
func (c *Config) Recover(ctx context.Context, envName string) error {
	env, err := c.Project.Env(envName)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInput, err)
	}
	unlock, err := c.lock(ctx, env)
	if err != nil {
		return err
	}
	unlock()
	return nil
}
