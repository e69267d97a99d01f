package promote

import (
	"context"
	"sort"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// Verify compares what runs in an environment with what was deployed
// there, and what was deployed with what the repository says now.
type Verify struct {
	cfg *Config
	// rev is the revision to verify against; nil: the live one. The
	// verify gate sets it to the promoted revision, which is not live
	// until its after-deploy gates pass.
	rev *state.Revision
}

// NewVerify returns a Verify over cfg.
func NewVerify(cfg *Config) *Verify { return &Verify{cfg: cfg} }

// Run verifies envName and reports three things apart: health (what the
// endpoint says, naming a degraded dependency); identity — whether the
// live instance runs the live revision's artifact (digest, executable,
// configuration layer) with the configuration that revision was deployed
// with, key by key (secrets compared by hash, never shown); and drift —
// what changed in the repository (or the secrets file) since that deploy,
// which is not a failure: a deploy applies it.
func (v *Verify) Run(ctx context.Context, envName string) (*view.Verify, error) {
	c := v.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	cur := v.rev
	if cur == nil {
		if cur, err = c.current(env); err != nil {
			return nil, err
		}
	}
	// The repository's configuration is needed only for drift (and to
	// judge a process nobody deployed): without the secrets file, its
	// keys' drift is unknown and the rest is verified.
	want, _, err := c.desiredForRead(ctx, env)
	if err != nil {
		return nil, err
	}
	q := platform.Query{Env: envName, Environment: env}
	if cur != nil {
		q.Vars = snapshotVars(cur)
	} else {
		q.Vars = want.Map()
	}
	live, err := t.Live(ctx, q)
	if err != nil {
		return nil, err
	}
	rep := &view.Verify{Environment: envName, Revision: live.Revision, Digest: live.Digest,
		Health: live.Health, HealthDetail: secret.Scrub(live.HealthDetail), Differences: []view.Difference{}}
	if cur != nil {
		rep.WantDigest, rep.WantExecutable, rep.Tag = cur.Digest, cur.BinaryDigest, cur.Tag
		if cr, ok := t.(platform.ConfigsReader); ok {
			rep.WantConfigs, _ = cr.ImageConfigs(cur.Digest)
		}
	}
	rep.Signature = c.signatureView(ctx, env, rep.Digest)
	rep.Foreign = live.Revision == 0
	for _, in := range live.Instances {
		in.Env, in.Private, in.Runtime = nil, nil, nil
		rep.Instances = append(rep.Instances, in)
	}
	if len(live.Instances) > 0 {
		first := live.Instances[0]
		rep.Details, rep.Configs, rep.Mismatch = first.Details, first.Configs, first.Mismatch
		if first.Details[platform.DetailExecutable] == "" {
			rep.WantExecutable = ""
		}
		if rep.Configs == "" {
			rep.WantConfigs = ""
		}
		if cur != nil {
			rep.Differences = c.compareSnapshot(cur.Config, first.Env, first.Runtime, rep.Foreign)
		} else {
			rep.Differences = compare(want.Vars, first.Env, first.Runtime, rep.Foreign)
		}
	}
	if cur != nil {
		if rep.Drift, err = c.changes(cur, want); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// compareSnapshot lists the differences between the configuration a
// revision was deployed with (secrets as keyed hashes) and the live
// environment.
func (c *Config) compareSnapshot(snap []state.Entry, live map[string]string, runtime map[string]bool, foreign bool) []view.Difference {
	want := make([]platform.Var, 0, len(snap))
	for _, e := range snap {
		v := platform.Var{Key: e.Key, Value: e.Value, Secret: e.Secret}
		if lv, ok := live[e.Key]; ok && e.Secret && c.sameSecret(lv, e.Value) {
			v.Value = lv // the same secret: compare equal, shown redacted
		}
		want = append(want, v)
	}
	return compare(want, live, runtime, foreign)
}

// compare lists the differences between want and the live environment.
// Secrets show as redacted; for an instance ferry did not start
// (foreign) no value is shown at all, only the keys that differ. A
// runtime key (a service link, a fieldRef) not in want is the platform's,
// not an unexpected one.
func compare(want []platform.Var, live map[string]string, runtime map[string]bool, foreign bool) []view.Difference {
	out := []view.Difference{}
	seen := map[string]bool{}
	for _, e := range want {
		seen[e.Key] = true
		lv, ok := live[e.Key]
		isSecret := e.Secret || secret.Is(e.Key, e.Value) || secret.Is(e.Key, lv)
		how := secret.SecrecyOf(isSecret, true)
		d := view.Difference{Key: e.Key, Secret: isSecret, Want: secret.Shown(e.Key, e.Value, how), Live: secret.Shown(e.Key, lv, how)}
		switch {
		case !ok:
			d.Change, d.Live = "missing", ""
		case lv != e.Value:
			d.Change = "differs"
		default:
			continue
		}
		if foreign && d.Live != "" {
			d.Live = secret.Shown(e.Key, lv, secret.Whole)
		}
		out = append(out, d)
	}
	keys := make([]string, 0, len(live))
	for k := range live {
		if !seen[k] && !runtime[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		isSecret := secret.Is(k, live[k])
		out = append(out, view.Difference{Key: k, Change: "unexpected", Live: secret.Shown(k, live[k], secret.SecrecyOf(isSecret || foreign, true)), Secret: isSecret})
	}
	return out
}
