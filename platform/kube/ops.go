package kube

import (
	"context"
	"fmt"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
)

// History returns the release's revisions, oldest first: Helm's own
// history, so `helm history` tells the same story.
func (k *Kube) History(ctx context.Context, env Env) ([]Revision, error) {
	c, err := dial(env, k.Log)
	if err != nil {
		return nil, err
	}
	rels, err := c.releases()
	if err != nil {
		return nil, err
	}
	out := make([]Revision, 0, len(rels))
	for _, r := range rels {
		out = append(out, revisionOf(r, c.env.Image))
	}
	return out, nil
}

// Rollback puts revision to (0: the one before the deployed revision)
// back, waits for it to be ready, and returns the new revision. A pending
// release left by a killed ferry is recovered first.
func (k *Kube) Rollback(ctx context.Context, env Env, to int, by string) (*Result, error) {
	c, rels, recovered, err := k.openChange(env)
	if err != nil {
		return nil, err
	}
	env = c.env
	res := &Result{Recovered: recovered}
	cur := deployed(rels)
	if cur == nil {
		return nil, fmt.Errorf("%w: %s: release %s has no deployed revision to roll back from", ErrBadInput, env.where(), env.Release)
	}
	var target *rv1.Release
	for i := len(rels) - 1; i >= 0; i-- {
		r := rels[i]
		if (to == 0 && r.Version < cur.Version && r.Info != nil && r.Info.Status.String() == "superseded") || r.Version == to {
			target = r
			break
		}
	}
	if target == nil {
		if to == 0 {
			return nil, fmt.Errorf("%w: %s: release %s has no revision before %d to roll back to", ErrBadInput, env.where(), env.Release, cur.Version)
		}
		return nil, fmt.Errorf("%w: %s: release %s has no revision %d", ErrBadInput, env.where(), env.Release, to)
	}
	rb := action.NewRollback(c.helm)
	rb.Version = target.Version
	rb.WaitStrategy, rb.Timeout = helmkube.StatusWatcherStrategy, env.Timeout
	rb.ServerSideApply = "auto"
	rb.MaxHistory = 50
	rev := revisionOf(target, env.Image)
	rb.Description = fmt.Sprintf("ferry rollback to %d: %s by %s", target.Version, rev.Digest, by)
	if err := rb.Run(env.Release); err != nil {
		return nil, c.deployFailure(ctx, err)
	}
	rels, err = c.releases()
	if err != nil {
		return nil, err
	}
	if d := deployed(rels); d != nil {
		res.Revision = revisionOf(d, env.Image)
	}
	return res, nil
}

// Down uninstalls the release and waits for its objects to go. The
// history is kept (helm uninstall --keep-history), so a later deploy
// starts a new revision after it and `ferry history` still shows the past.
func (k *Kube) Down(ctx context.Context, env Env) error {
	c, err := dial(env, k.Log)
	if err != nil {
		return err
	}
	u := action.NewUninstall(c.helm)
	u.KeepHistory = true
	u.IgnoreNotFound = true
	u.WaitStrategy, u.Timeout = helmkube.StatusWatcherStrategy, c.env.Timeout
	u.Description = "ferry down"
	if _, err := u.Run(c.env.Release); err != nil {
		return fmt.Errorf("%s: uninstall %s: %w", c.env.where(), c.env.Release, err)
	}
	return nil
}
