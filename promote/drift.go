package promote

import (
	"context"
	"fmt"
	"sort"

	"github.com/ferrydev/ferry/internal/state"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

// Drift compares an environment's desired configuration with its live
// revision's snapshot.
type Drift struct{ cfg *Config }

// NewDrift returns a Drift over cfg.
func NewDrift(cfg *Config) *Drift { return &Drift{cfg: cfg} }

// Run reports what changed in envName's desired configuration since its
// live revision was deployed.
func (d *Drift) Run(ctx context.Context, envName string) (*view.Drift, error) {
	c := d.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	cur, err := c.current(env)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("%w: nothing is deployed in %q", ErrInput, envName)
	}
	want, err := c.desired(ctx, env)
	if err != nil {
		return nil, err
	}
	snap, err := c.snapshot(want)
	if err != nil {
		return nil, err
	}
	rep := &view.Drift{Environment: envName, Revision: cur.Number, Changes: []view.Change{}}
	deployed := map[string]state.Entry{}
	for _, e := range cur.Config {
		deployed[e.Key] = e
	}
	for i, e := range snap {
		dep, ok := deployed[e.Key]
		delete(deployed, e.Key)
		ch := view.Change{Key: e.Key, Desired: secret.Show(e.Key, e.Value), Deployed: secret.Show(dep.Key, dep.Value), Source: e.Source, Secret: e.Secret || dep.Secret}
		switch {
		case !ok:
			ch.Change, ch.Deployed = "added", ""
		case dep.Value == e.Value:
			continue
		case dep.Secret && c.sameSecret(want.Vars[i].Value, dep.Value):
			continue // stored under an older hash
		default:
			ch.Change = "changed"
		}
		if ch.Secret {
			ch.Desired = secret.Redacted
			if ok {
				ch.Deployed = secret.Redacted
			}
		}
		rep.Changes = append(rep.Changes, ch)
	}
	for _, dep := range deployed {
		ch := view.Change{Key: dep.Key, Change: "removed", Deployed: secret.Show(dep.Key, dep.Value), Secret: dep.Secret}
		if dep.Secret {
			ch.Deployed = secret.Redacted
		}
		rep.Changes = append(rep.Changes, ch)
	}
	sort.Slice(rep.Changes, func(i, j int) bool { return rep.Changes[i].Key < rep.Changes[j].Key })
	if t, err := c.Target(env); err == nil {
		if dr, ok := t.(platform.Drifter); ok {
			if rep.Objects, err = dr.ObjectDrift(ctx, platform.Query{Env: envName, Environment: env}); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}
