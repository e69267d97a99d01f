package promote

import (
	"context"
	"slices"

	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// History lists an environment's revisions.
type History struct{ cfg *Config }

// NewHistory returns a History over cfg.
func NewHistory(cfg *Config) *History { return &History{cfg: cfg} }

// Run returns envName's revisions and log-level changes, newest first,
// redacted.
func (h *History) Run(_ context.Context, envName string) (*view.History, error) {
	revs, err := h.cfg.revisions(envName)
	if err != nil {
		return nil, err
	}
	out := &view.History{Environment: envName, Revisions: make([]view.Revision, 0, len(revs))}
	for i := range revs {
		out.Revisions = append(out.Revisions, view.NewRevision(&revs[i]))
	}
	if out.LogLevels, err = LevelChanges(h.cfg, envName); err != nil {
		return nil, err
	}
	return out, nil
}

// revisions returns env's stored revisions, newest first.
func (c *Config) revisions(envName string) ([]state.Revision, error) {
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	var revs []state.Revision
	err = c.view(env, func(tx state.Tx) error {
		var err error
		revs, err = tx.List(envName)
		return err
	})
	slices.Reverse(revs)
	return revs, err
}
