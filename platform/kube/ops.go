package kube

import (
	"context"
	"fmt"
)

// Down uninstalls the release and waits for its objects to go. The
// history is kept (helm uninstall --keep-history), so a later deploy
// starts a new revision after it and `ferry history` still shows the past.
func (k *Kube) Down(ctx context.Context, env Env) error {
	c, err := dial(env, k.Log)
	if err != nil {
		return err
	}
	if err := c.change(ctx, false).uninstall(true, "ferry down"); err != nil {
		return fmt.Errorf("%s: uninstall %s: %w", c.env.where(), c.env.Release, err)
	}
	return nil
}
