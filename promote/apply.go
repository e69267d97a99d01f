package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
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
// before anything starts, again as each instance is created (before it
// can outlive ferry unrecorded) and after it is healthy, so a ferry
// killed in between leaves a pending revision that recover resolves.
func (c *Config) apply(ctx context.Context, ch change) (*state.Revision, error) {
	t, err := c.Target(ch.env)
	if err != nil {
		return nil, err
	}
	rev := ch.meta
	if rev.Signature, err = c.requireSignature(ctx, ch.env, ch.img.Digest); err != nil {
		return nil, err
	}
	rev.Env, rev.Digest, rev.BinaryDigest, rev.Tag = ch.env.Name, ch.img.Digest, ch.img.BinaryDigest, ch.img.Tag
	if rev.Config, err = c.snapshot(ch.cfg); err != nil {
		return nil, err
	}
	rev.By, rev.At, rev.Outcome = c.user(), c.now().UTC(), state.Pending
	if err := c.update(ch.env, func(tx state.Tx) error { _, err := tx.Add(&rev); return err }); err != nil {
		return nil, err
	}
	c.guard(ch.env) // finishes the change if this ferry dies before it does
	c.at("recorded")
	var known []string
	for _, v := range ch.cfg.Vars {
		if v.Secret {
			known = append(known, v.Value)
		}
	}
	ro, err := t.Deploy(ctx, platform.Spec{
		Env: ch.env.Name, Environment: ch.env, Revision: rev.Number, Image: imageRef(c.Project, ch.img),
		Digest: rev.Digest, Tag: rev.Tag, Vars: ch.cfg.Vars, HealthTimeout: c.HealthTimeout,
		ForceConflicts: c.ForceConflicts, MigrateApply: c.MigrateApply,
		Started: func(in platform.Instance) error {
			rev.Instances = append(rev.Instances, stored(in))
			return c.update(ch.env, func(tx state.Tx) error { return tx.Put(&rev) })
		},
	})
	c.at("started")
	if review, uerr := c.handedToReview(ch.env, &rev, err); review || uerr != nil {
		return &rev, uerr
	}
	if err != nil {
		var de *platform.DeployError
		if errors.As(err, &de) {
			// A service may log its own secrets before it dies, and
			// anything else: the tail reaches the operator's terminal.
			for i, l := range de.LogTail {
				de.LogTail[i] = secret.Printable(secret.Scrub(l, known...))
			}
		}
		rev.Outcome, rev.Reason = state.Failed, secret.Scrub(err.Error(), known...)
		interrupted := errors.Is(err, context.Canceled)
		if interrupted {
			rev.Outcome, rev.Reason = state.Aborted, "interrupted before it went live"
		}
		restarted, uerr := c.recordRestarted(ch.env, de)
		if uerr == nil {
			uerr = c.update(ch.env, func(tx state.Tx) error { return tx.Put(&rev) })
		}
		if uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		if interrupted {
			return &rev, c.interrupted(ch.env, &rev, restarted)
		}
		if restarted != "" {
			de.Note = restarted
		}
		return &rev, err
	}
	rev.URL, rev.Since = ro.URL, c.now().UTC()
	rev.Instances = rev.Instances[:0]
	for _, in := range ro.Instances {
		rev.Instances = append(rev.Instances, stored(in))
	}
	if rev.GatesPending {
		// A promoted revision is not live until its after-deploy gates
		// pass (afterDeploy commits it): a ferry killed before they do
		// leaves it pending in the record — verify fails on it — and
		// recover runs its gates before anything calls it live.
		err = c.update(ch.env, func(tx state.Tx) error { return tx.Put(&rev) })
		c.at("committed")
		return &rev, err
	}
	err = c.update(ch.env, func(tx state.Tx) error { return commit(tx, &rev) })
	c.at("committed")
	if err == nil {
		c.recordBaseline(ctx, ch.env, &rev)
	}
	return &rev, err
}

// InterruptedError is a change a signal cut short, saying what became of
// the environment and what is left to do. It matches context.Canceled.
type InterruptedError struct{ What string }

func (e *InterruptedError) Error() string { return "interrupted: " + e.What }

// Unwrap makes it a context.Canceled.
func (e *InterruptedError) Unwrap() error { return context.Canceled }

// interrupted describes env after rev was stopped by an interrupt before
// it went live.
func (c *Config) interrupted(env *project.Environment, rev *state.Revision, restarted string) error {
	what := fmt.Sprintf("revision %d was stopped before it went live in %s", rev.Number, env.Name)
	cur, err := c.current(env)
	switch {
	case err != nil:
		what += fmt.Sprintf(" (reading what is live: %v)", err)
	case restarted != "":
		what += "; " + restarted
	case cur != nil:
		what += fmt.Sprintf("; revision %d still serves, untouched: its soak goes on", cur.Number)
	default:
		what += "; nothing runs there"
	}
	return &InterruptedError{What: what}
}

// recordRestarted records the instances of env's live revision that the
// target had to stop for a new revision that then failed, and started
// again: they are the revision's instances now, and its soak starts over
// from their start (a restart is a restart). It says so for the message.
func (c *Config) recordRestarted(env *project.Environment, de *platform.DeployError) (string, error) {
	if de == nil || len(de.Restarted) == 0 {
		return "", nil
	}
	var msg string
	err := c.update(env, func(tx state.Tx) error {
		cur, err := tx.CurrentRevision(env.Name)
		if err != nil || cur == nil || cur.Number != de.Restarted[0].Revision {
			return err
		}
		cur.Instances = cur.Instances[:0]
		for _, in := range de.Restarted {
			cur.Instances = append(cur.Instances, stored(in))
		}
		cur.Since = c.now().UTC()
		msg = fmt.Sprintf("revision %d had to stop for it (its port cannot be shared) and was started again: its soak of %s starts over now", cur.Number, env.Soak)
		return tx.Put(cur)
	})
	return msg, err
}

func stored(in platform.Instance) state.Instance {
	return state.Instance{Name: in.Name, Started: in.Started, Private: in.Private}
}

// imageRef is the image's reference by digest: the project's image
// repository (ferry.yaml image:, else the service's name) @ digest.
func imageRef(p *project.Project, img *artifact.Image) string {
	repo := p.Image
	if repo == "" {
		repo = p.Service
	}
	return repo + "@" + img.Digest
}

// commit makes rev the live revision of its environment.
func commit(tx state.Tx, rev *state.Revision) error {
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
