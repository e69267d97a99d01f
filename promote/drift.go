package promote

import (
	"context"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// changes lists what differs between the configuration revision cur was
// deployed with and want, the repository's now: added, removed and
// changed keys, secrets compared by hash and shown redacted.
func (c *Config) changes(cur *state.Revision, want *Desired) ([]view.Change, error) {
	snap, err := c.snapshot(want)
	if err != nil {
		return nil, err
	}
	out := []view.Change{}
	deployed := map[string]state.Entry{}
	for _, e := range cur.Config {
		deployed[e.Key] = e
	}
	for i, e := range snap {
		dep, ok := deployed[e.Key]
		delete(deployed, e.Key)
		// A secret shows wholly hidden: deployed, it is a keyed hash.
		how := secret.SecrecyOf(e.Secret || dep.Secret, true)
		ch := view.Change{Key: e.Key, Desired: secret.Shown(e.Key, e.Value, how), Source: e.Source, Secret: e.Secret || dep.Secret, InImage: c.inImage(e.Source)}
		if ok {
			ch.Deployed = secret.Shown(dep.Key, dep.Value, how)
		}
		switch {
		case platform.IsMissingSecret(want.Vars[i].Value):
			// Its secrets file is missing: what it says is unknown.
			ch.Change, ch.Desired = "unknown", want.Vars[i].Value
			if ok {
				ch.Deployed = secret.Shown(dep.Key, dep.Value, secret.Whole)
			}
			out = append(out, ch)
			continue
		case !ok:
			ch.Change = "added"
		case dep.Value == e.Value:
			continue
		case dep.Secret && c.sameSecret(want.Vars[i].Value, dep.Value):
			continue // stored under an older hash
		default:
			ch.Change = "changed"
		}
		out = append(out, ch)
	}
	for _, dep := range deployed {
		// A key removed from configs/ is still in the deployed image.
		out = append(out, view.Change{Key: dep.Key, Change: "removed", Deployed: secret.Shown(dep.Key, dep.Value, secret.SecrecyOf(dep.Secret, true)), Secret: dep.Secret, Source: dep.Source, InImage: c.inImage(dep.Source)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// inImage says whether a value's source is a line of the GoFr files the
// artifact carries (configs/.env and its overlays).
func (c *Config) inImage(source string) bool {
	p := c.Project
	return p != nil && p.Configs != "" && strings.HasPrefix(source, p.Configs+"/")
}

// Drift compares an environment's desired configuration with its live
// revision's snapshot.
type Drift struct{ cfg *Config }

// NewDrift returns a Drift over cfg.
func NewDrift(cfg *Config) *Drift { return &Drift{cfg: cfg} }

// Run reports what changed in envName's desired configuration since its
// live revision was deployed.
func (d *Drift) Run(ctx context.Context, envName string) (*view.Drift, error) {
	c := d.cfg
	env, cur, err := c.envLive(envName)
	if err != nil {
		return nil, err
	}
	want, _, err := c.desiredForRead(ctx, env)
	if err != nil {
		return nil, err
	}
	rep := &view.Drift{Environment: envName, Revision: cur.Number}
	if rep.Changes, err = c.changes(cur, want); err != nil {
		return nil, err
	}
	if t, err := c.Target(env); err == nil {
		if dr, ok := t.(platform.Drifter); ok {
			if rep.Objects, err = dr.ObjectDrift(ctx, platform.Query{Env: envName, Environment: env}); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}
