// Package platformtest is a fake platform.Target that runs nothing: it
// remembers what was deployed where, reports it as live, and fails on
// demand. It stands in for a real target where the test is about what
// sits above every target — gates, rollback, recovery, history — so that
// logic is tested once for all of them. Tests of a target itself use the
// real thing (processes, an API server).
package platformtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// Name is the name the fake registers under with Register.
const Name = "fake"

// Fake is an in-memory target. Its zero value is ready; it is safe for
// concurrent use.
type Fake struct {
	mu   sync.Mutex
	envs map[string]*env
	// FailDeploy, when it returns an error for a spec, makes Deploy fail
	// with a *platform.DeployError carrying it (the previous revision
	// stays).
	FailDeploy func(s platform.Spec) error
	// Deploys counts Deploy calls.
	Deploys int
}

type env struct {
	revs   map[int]*run // running revisions
	health platform.Health
	detail string
}

type run struct {
	spec    platform.Spec
	started time.Time
	vars    map[string]string
}

var _ platform.Target = (*Fake)(nil)

// Register registers f as the target "fake" (platform.Open finds it).
func Register(f *Fake) {
	platform.Register(Name, platform.Registration{Open: func(platform.Options) (platform.Target, error) { return f, nil }})
}

func (f *Fake) env(name string) *env {
	if f.envs == nil {
		f.envs = map[string]*env{}
	}
	e, ok := f.envs[name]
	if !ok {
		e = &env{revs: map[int]*run{}, health: platform.HealthUp}
		f.envs[name] = e
	}
	return e
}

// Name implements platform.Target.
func (f *Fake) Name() string { return Name }

// Desired implements platform.Target: the effective configuration as it
// is, without runtime values.
func (f *Fake) Desired(_ context.Context, _ *project.Environment, eff *render.Config) ([]platform.Var, error) {
	var out []platform.Var
	for _, e := range eff.Entries {
		if e.External {
			continue
		}
		out = append(out, platform.Var{Key: e.Key, Value: e.Value, Secret: e.Secret, Source: e.Source.String()})
	}
	return out, nil
}

// Deploy implements platform.Target: s becomes the only running revision
// of its environment, unless FailDeploy says otherwise.
func (f *Fake) Deploy(_ context.Context, s platform.Spec) (*platform.Rollout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Deploys++
	in := instance(s.Env, s.Revision, s.Digest, time.Now())
	if s.Started != nil {
		if err := s.Started(in); err != nil {
			return nil, err
		}
	}
	if f.FailDeploy != nil {
		if err := f.FailDeploy(s); err != nil {
			return nil, &platform.DeployError{Env: s.Env, Revision: s.Revision, Reason: err.Error(), Restored: len(f.env(s.Env).revs) > 0}
		}
	}
	e := f.env(s.Env)
	vars := map[string]string{}
	for _, v := range s.Vars {
		vars[v.Key] = v.Value
	}
	e.revs = map[int]*run{s.Revision: {spec: s, started: in.Started, vars: vars}}
	return &platform.Rollout{Instances: []platform.Instance{in}, URL: "fake://" + s.Env}, nil
}

func instance(env string, rev int, digest string, started time.Time) platform.Instance {
	return platform.Instance{Name: fmt.Sprintf("%s-r%d", env, rev), Digest: digest, Revision: rev, Ready: true, Started: started}
}

// Live implements platform.Target.
func (f *Fake) Live(_ context.Context, q platform.Query) (*platform.Live, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.env(q.Env)
	if len(e.revs) == 0 {
		return nil, fmt.Errorf("environment %q: %w", q.Env, platform.ErrNotRunning)
	}
	n := slices.Max(slices.Collect(maps.Keys(e.revs)))
	r := e.revs[n]
	in := instance(q.Env, n, r.spec.Digest, r.started)
	in.Env = maps.Clone(r.vars)
	in.Ready = e.health == platform.HealthUp
	return &platform.Live{Env: q.Env, Revision: n, Digest: r.spec.Digest, Instances: []platform.Instance{in},
		URL: "fake://" + q.Env, Health: e.health, HealthDetail: e.detail}, nil
}

// Health implements platform.Target.
func (f *Fake) Health(_ context.Context, q platform.Query) (platform.Health, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.env(q.Env)
	if len(e.revs) == 0 {
		return platform.HealthDown, "nothing runs"
	}
	return e.health, e.detail
}

// SetHealth makes env report h (with detail) from now on.
func (f *Fake) SetHealth(env string, h platform.Health, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.env(env)
	e.health, e.detail = h, detail
}

// SetLiveVar changes a variable of what runs in env, as a hand edit would.
func (f *Fake) SetLiveVar(env, key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.env(env).revs {
		r.vars[key] = value
	}
}

// Revisions implements platform.Target.
func (f *Fake) Revisions(_ context.Context, env string) ([]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Sorted(maps.Keys(f.env(env).revs))
	return out, nil
}

// Stop implements platform.Target.
func (f *Fake) Stop(_ context.Context, env string, keep int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.env(env)
	for n := range e.revs {
		if n != keep {
			delete(e.revs, n)
		}
	}
	return nil
}
