package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

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
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	unlock, err := c.lock(ctx, env)
	if err != nil {
		return nil, err
	}
	defer unlock()
	to, err := c.rollbackTarget(env, r.To)
	if err != nil {
		return nil, err
	}
	return c.restore(ctx, env, to, fmt.Sprintf("rollback to revision %d", to.Number))
}

// rollbackTarget returns revision n, or when n is 0 the last revision
// that went live before the current one.
func (c *Config) rollbackTarget(env *project.Environment, n int) (*state.Revision, error) {
	var out *state.Revision
	err := c.view(env, func(tx state.Tx) error {
		if n > 0 {
			r, err := tx.Get(env.Name, n)
			if errors.Is(err, state.ErrNoRevision) {
				return fmt.Errorf("%w: %w", ErrInput, err)
			}
			out = r
			return err
		}
		cur, err := tx.Current(env.Name)
		if err != nil {
			return err
		}
		revs, err := tx.List(env.Name)
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
		return fmt.Errorf("%w: environment %q has no earlier revision to roll back to", ErrInput, env.Name)
	})
	return out, err
}
