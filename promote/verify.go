package promote

import (
	"context"
	"sort"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

// Verify compares what runs in an environment with what it should run.
type Verify struct{ cfg *Config }

// NewVerify returns a Verify over cfg.
func NewVerify(cfg *Config) *Verify { return &Verify{cfg: cfg} }

// Run verifies envName: each live instance's environment key by key
// against the desired configuration (secrets compared, never shown), the
// digest it runs against the live revision's, and its health.
func (v *Verify) Run(ctx context.Context, envName string) (*view.Verify, error) {
	c := v.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	want, err := c.desired(ctx, env)
	if err != nil {
		return nil, err
	}
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	cur, err := c.current(env)
	if err != nil {
		return nil, err
	}
	live, err := t.Live(ctx, platform.Query{Env: envName, Environment: env, Vars: want.Map()})
	if err != nil {
		return nil, err
	}
	rep := &view.Verify{Environment: envName, Revision: live.Revision, Digest: live.Digest,
		Health: live.Health, HealthDetail: secret.Scrub(live.HealthDetail), Differences: []view.Difference{}}
	if cur != nil {
		rep.WantDigest, rep.WantExecutable = cur.Digest, cur.BinaryDigest
	}
	rep.Signature = c.signatureView(ctx, env, rep.Digest)
	rep.Foreign = live.Revision == 0
	for _, in := range live.Instances {
		in.Env, in.Private, in.Runtime = nil, nil, nil
		rep.Instances = append(rep.Instances, in)
	}
	if len(live.Instances) > 0 {
		first := live.Instances[0]
		rep.PID, rep.Executable = first.PID, first.Executable
		if rep.Executable == "" {
			rep.WantExecutable = ""
		}
		rep.Differences = compare(want.Vars, first.Env, first.Runtime, rep.Foreign)
	}
	return rep, nil
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
		d := view.Difference{Key: e.Key, Secret: isSecret, Want: secret.Show(e.Key, e.Value), Live: secret.Show(e.Key, lv)}
		if isSecret {
			d.Want, d.Live = secret.Redacted, secret.Redacted
		}
		switch {
		case !ok:
			d.Change, d.Live = "missing", ""
		case lv != e.Value:
			d.Change = "differs"
		default:
			continue
		}
		if foreign && d.Live != "" {
			d.Live = secret.Redacted
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
		d := view.Difference{Key: k, Change: "unexpected", Live: secret.Show(k, live[k]), Secret: isSecret}
		if isSecret || foreign {
			d.Live = secret.Redacted
		}
		out = append(out, d)
	}
	return out
}
