package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// A protected environment changes by review (the gitops target's
// pull-request mode): its target's Deploy hands the change to reviewers
// and returns an error that says what they must merge. The revision is
// then recorded pending with that instruction as its reason, and the
// command ends well (exit 0); no gate after the deploy has run. Once the
// change is merged, Resume waits for the target to run it and finishes
// the revision as apply and the promotion would have: live with its
// after-deploy gates, or failed.

// awaitingReview is the error a target's Deploy returns for a change it
// handed to reviewers instead of applying.
type awaitingReview interface {
	error
	AwaitingReview() string
}

// resumer is a target that can finish a deploy it handed to reviewers.
type resumer interface {
	Resume(ctx context.Context, s platform.Spec) (*platform.Rollout, error)
}

// reviewPrefix starts the reason of a revision awaiting review.
const reviewPrefix = "awaiting review: "

// AwaitsReview says whether r was handed to reviewers and is not
// resumed yet.
func AwaitsReview(r *state.Revision) bool {
	return r != nil && r.Outcome == state.Pending && strings.HasPrefix(r.Reason, reviewPrefix)
}

// ReviewNote is what a revision awaiting review waits for: the
// reviewer's merge and the command to run after it.
func ReviewNote(r *state.Revision) string { return strings.TrimPrefix(r.Reason, reviewPrefix) }

// handedToReview records rev, which the target handed to reviewers
// (err), as pending review; false when err is something else.
func (c *Config) handedToReview(env *project.Environment, rev *state.Revision, err error) (bool, error) {
	var ar awaitingReview
	if !errors.As(err, &ar) {
		return false, nil
	}
	rev.Outcome, rev.Reason = state.Pending, reviewPrefix+ar.AwaitingReview()
	return true, c.update(env, func(tx state.Tx) error { return tx.Put(rev) })
}

// NotMergedError is a resume of a revision whose change is not merged
// yet: nothing changed.
type NotMergedError struct {
	Env      string
	Revision int
	Note     string
}

func (e *NotMergedError) Error() string {
	return fmt.Sprintf("%s revision %d is not merged yet: %s", e.Env, e.Revision, e.Note)
}

// Resume finishes an environment's revision that waits for review.
type Resume struct{ cfg *Config }

// NewResume returns a Resume over cfg.
func NewResume(cfg *Config) *Resume { return &Resume{cfg: cfg} }

// Run finishes envName's newest revision awaiting review: the target
// waits until the merged change runs; the revision becomes live and, for
// a promotion, its after-deploy gates run (rolling back when they fail,
// as a promotion does). The plan says what happened. Not merged yet, it
// returns a *NotMergedError and changes nothing; when the target fails
// the revision, it is recorded failed with the target's message.
func (r *Resume) Run(ctx context.Context, envName string) (*Plan, error) {
	c := r.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	rs, ok := t.(resumer)
	if !ok {
		return nil, fmt.Errorf("%w: environment %q: its target %s hands nothing to review (gitops.pullRequest is for the gitops target)", ErrInput, env.Name, t.Name())
	}
	unlock, err := c.lock(ctx, env)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rev, err := c.awaiting(env)
	if err != nil {
		return nil, err
	}
	plan := resumedPlan(rev)
	ro, err := rs.Resume(ctx, platform.Spec{Env: env.Name, Environment: env, Revision: rev.Number, Digest: rev.Digest, Tag: rev.Tag, HealthTimeout: c.HealthTimeout})
	var ar awaitingReview
	if errors.As(err, &ar) {
		return plan, &NotMergedError{Env: env.Name, Revision: rev.Number, Note: ar.AwaitingReview()}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return plan, &InterruptedError{What: fmt.Sprintf("revision %d of %s still awaits the engine; run ferry promote --resume %s again", rev.Number, env.Name, env.Name)}
		}
		rev.Outcome, rev.Reason, rev.GatesPending = state.Failed, err.Error(), false
		if uerr := c.update(env, func(tx state.Tx) error { return tx.Put(rev) }); uerr != nil {
			return plan, errors.Join(err, uerr)
		}
		return plan, err
	}
	rev.Reason, rev.Since = "", c.now().UTC()
	rev.Instances = rev.Instances[:0]
	for _, in := range ro.Instances {
		rev.Instances = append(rev.Instances, stored(in))
	}
	if err := c.update(env, func(tx state.Tx) error { return commit(tx, rev) }); err != nil {
		return plan, err
	}
	c.recordBaseline(ctx, env, rev)
	if !rev.GatesPending {
		return plan, nil
	}
	_, err = c.afterDeploy(ctx, env, rev, c.pendingCheck(env, rev))
	plan.Gates = rev.Gates
	var rb *rolledBack
	plan.RolledBack = errors.As(err, &rb)
	return plan, err
}

// awaiting returns env's newest revision awaiting review.
func (c *Config) awaiting(env *project.Environment) (*state.Revision, error) {
	revs, err := c.revisions(env.Name) // newest first
	if err != nil {
		return nil, err
	}
	for _, r := range revs {
		if AwaitsReview(&r) {
			return &r, nil
		}
	}
	return nil, fmt.Errorf("%w: nothing in %q awaits review (changes await review only where gitops.pullRequest is set)", ErrInput, env.Name)
}

// resumedPlan is the plan of a promotion (or deploy) resumed after
// review.
func resumedPlan(r *state.Revision) *Plan {
	return &Plan{From: r.PromotedFrom, To: r.Env, FromRevision: r.FromRevision, Digest: r.Digest, Tag: r.Tag,
		ToRevision: r.Replaces, Gates: r.Gates, Revision: r}
}

// reviewed drops from pending the revisions that await review:
// recovery leaves them to Resume, since they are no interrupted deploy
// (a ferry killed while Resume waits leaves them awaiting review).
func reviewed(pending []state.Revision) []state.Revision {
	return slices.DeleteFunc(pending, func(p state.Revision) bool { return AwaitsReview(&p) })
}
