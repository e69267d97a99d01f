package kube

import (
	"context"
	"fmt"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
)

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
