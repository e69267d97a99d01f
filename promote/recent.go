package promote

import (
	"errors"

	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// Recent returns envName's newest n revisions, newest first, and how many
// it has in all, reading only those: a page that shows the last few of a
// long history must not decode all of it. Revision numbers are a
// sequence per environment, so the newest is found by probing past the
// live one.
func Recent(c *Config, envName string, n int) ([]view.Revision, int, error) {
	revs, total, err := c.recent(envName, n)
	out := make([]view.Revision, 0, len(revs))
	for i := range revs {
		out = append(out, view.NewRevision(&revs[i]))
	}
	return out, total, err
}

func (c *Config) recent(envName string, n int) ([]state.Revision, int, error) {
	env, err := c.env(envName)
	if err != nil {
		return nil, 0, err
	}
	var out []state.Revision
	last := 0
	err = c.view(env, func(tx state.Tx) error {
		cur, err := tx.Current(envName)
		if err != nil {
			return err
		}
		last = cur
		for {
			if _, err := tx.Get(envName, last+1); errors.Is(err, state.ErrNoRevision) {
				break
			} else if err != nil {
				return err
			}
			last++
		}
		for k := last; k >= 1 && len(out) < n; k-- {
			r, err := tx.Get(envName, k)
			if errors.Is(err, state.ErrNoRevision) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return nil
	})
	return out, last, err
}
