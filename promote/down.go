package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrydev/ferry/state"
)

// Down stops an environment; its history stays.
type Down struct{ cfg *Config }

// NewDown returns a Down over cfg.
func NewDown(cfg *Config) *Down { return &Down{cfg: cfg} }

// Run stops envName.
func (d *Down) Run(ctx context.Context, envName string) error {
	c := d.cfg
	env, err := c.env(envName)
	if err != nil {
		return err
	}
	t, err := c.Target(env)
	if err != nil {
		return err
	}
	st, err := c.store(env)
	if err != nil {
		return err
	}
	l, err := st.Lock(ctx, env.Name, state.Holder{Command: c.Command, User: c.user()})
	if err != nil {
		return err
	}
	defer l.Release()
	// Processes ferry recorded but lost track of are stopped too, and
	// down checks that nothing of the environment is left running.
	if err := c.reattach(ctx, env, t); err != nil {
		return err
	}
	if err := t.Stop(ctx, env.Name, 0); err != nil {
		return fmt.Errorf("environment %q: %w", env.Name, err)
	}
	if left, err := t.Revisions(ctx, env.Name); err != nil || len(left) > 0 {
		return errors.Join(err, fmt.Errorf("environment %q: revisions %v still run after stopping", env.Name, left))
	}
	return st.Update(func(tx state.Tx) error {
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
