// Package systemd_test is a third target that exists only in this test:
// environments as systemd units, one unit file per revision in the
// environment's unitDir. It proves that a target is its own package plus
// one registration line — its settings decoded by itself, nothing in
// project, promote or state — by passing the shared target suite.
//
// It is a fake in one respect, said here: this machine runs no systemd a
// test may drive, so "starting" a unit is writing its file with
// ActiveState=active, and the unit's health is a line of that file.
package systemd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest/targetsuite"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

func init() {
	platform.Register("systemd", platform.Registration{Open: open, Decode: decode})
}

// settings are the systemd target's own keys of an environment's section.
type settings struct {
	// UnitDir is where the environment's unit files go.
	UnitDir string `yaml:"unitDir"`
	// User runs the units under the user's manager (systemctl --user).
	User bool `yaml:"user"`
}

func decode(_ *project.Project, e *project.Environment) (any, error) {
	s := &settings{}
	if err := e.DecodeSettings("systemd", s); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(s.UnitDir) {
		return nil, fmt.Errorf("%s:%d: environment %q: unitDir %q must be an absolute directory", project.FileName, e.KeyLine("unitDir"), e.Name, s.UnitDir)
	}
	return s, nil
}

// units is the target: unit files by environment.
type units struct {
	mu  sync.Mutex
	p   *project.Project
	dir map[string]string // environment → unitDir
}

var opened struct {
	sync.Mutex
	last *units
}

func open(o platform.Options) (platform.Target, error) {
	u := &units{p: o.Project, dir: map[string]string{}}
	for _, e := range o.Project.Environments {
		if s, ok := e.Settings.(*settings); ok {
			u.dir[e.Name] = s.UnitDir
		}
	}
	opened.Lock()
	opened.last = u
	opened.Unlock()
	return u, nil
}

func (u *units) Name() string { return "systemd" }

func (u *units) Desired(_ context.Context, _ *project.Environment, eff *render.Config) ([]platform.Var, error) {
	var out []platform.Var
	for _, e := range eff.Entries {
		if !e.External {
			out = append(out, platform.Var{Key: e.Key, Value: e.Value, Secret: e.Secret, Source: e.Source.String()})
		}
	}
	return out, nil
}

// unit is one unit file: ferry's facts, then Environment= lines.
type unit struct {
	rev     int
	digest  string
	health  platform.Health
	started time.Time
	env     map[string]string
}

func (u *units) path(env string, rev int) string {
	return filepath.Join(u.dir[env], fmt.Sprintf("ferry-%s@%d.service", env, rev))
}

func (u *units) write(env string, x unit) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[Unit]\nDescription=ferry %s revision %d\n# X-Ferry-Digest=%s\n# X-Ferry-Health=%s\n# X-Ferry-Started=%d\n[Service]\nExecStart=/usr/local/bin/svc\n",
		env, x.rev, x.digest, x.health, x.started.UnixNano())
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range x.env {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "Environment=%s=%s\n", k, strconv.Quote(x.env[k]))
	}
	return os.WriteFile(u.path(env, x.rev), []byte(b.String()), 0o600)
}

func (u *units) read(env string) ([]unit, error) {
	files, err := filepath.Glob(filepath.Join(u.dir[env], "ferry-"+env+"@*.service"))
	if err != nil {
		return nil, err
	}
	var out []unit
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		x := unit{env: map[string]string{}}
		x.rev, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "ferry-"+env+"@"), ".service"))
		for line := range strings.Lines(string(data)) {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "# X-Ferry-Digest="):
				x.digest = strings.TrimPrefix(line, "# X-Ferry-Digest=")
			case strings.HasPrefix(line, "# X-Ferry-Health="):
				x.health = platform.Health(strings.TrimPrefix(line, "# X-Ferry-Health="))
			case strings.HasPrefix(line, "# X-Ferry-Started="):
				n, _ := strconv.ParseInt(strings.TrimPrefix(line, "# X-Ferry-Started="), 10, 64)
				x.started = time.Unix(0, n)
			case strings.HasPrefix(line, "Environment="):
				k, v, _ := strings.Cut(strings.TrimPrefix(line, "Environment="), "=")
				x.env[k], _ = strconv.Unquote(v)
			}
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b unit) int { return a.rev - b.rev })
	return out, nil
}

func (x unit) instance(env string) platform.Instance {
	return platform.Instance{Name: fmt.Sprintf("ferry-%s@%d.service", env, x.rev), Digest: x.digest, Revision: x.rev,
		Ready: x.health == platform.HealthUp, Started: x.started, Env: x.env}
}

func (u *units) Deploy(_ context.Context, s platform.Spec) (*platform.Rollout, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	x := unit{rev: s.Revision, digest: s.Digest, health: platform.HealthUp, started: time.Now(), env: map[string]string{}}
	for _, v := range s.Vars {
		x.env[v.Key] = v.Value
	}
	if s.Started != nil {
		if err := s.Started(x.instance(s.Env)); err != nil {
			return nil, err
		}
	}
	if err := u.write(s.Env, x); err != nil {
		return nil, err
	}
	if err := u.stop(s.Env, s.Revision); err != nil {
		return nil, err
	}
	return &platform.Rollout{Instances: []platform.Instance{x.instance(s.Env)}}, nil
}

func (u *units) Live(_ context.Context, q platform.Query) (*platform.Live, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	all, err := u.read(q.Env)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("environment %q: %w", q.Env, platform.ErrNotRunning)
	}
	x := all[len(all)-1]
	return &platform.Live{Env: q.Env, Revision: x.rev, Digest: x.digest, Instances: []platform.Instance{x.instance(q.Env)}, Health: x.health}, nil
}

func (u *units) Health(ctx context.Context, q platform.Query) (platform.Health, string) {
	l, err := u.Live(ctx, q)
	if err != nil {
		return platform.HealthDown, err.Error()
	}
	return l.Health, "ActiveState=active"
}

func (u *units) Revisions(_ context.Context, env string) ([]int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	all, err := u.read(env)
	var out []int
	for _, x := range all {
		out = append(out, x.rev)
	}
	return out, err
}

func (u *units) Stop(_ context.Context, env string, keep int) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stop(env, keep)
}

func (u *units) stop(env string, keep int) error {
	all, err := u.read(env)
	for _, x := range all {
		if x.rev != keep {
			err = os.Remove(u.path(env, x.rev))
		}
	}
	return err
}

// setHealth rewrites env's newest unit with health h.
func setHealth(t *testing.T, env string, h platform.Health) {
	opened.Lock()
	u := opened.last
	opened.Unlock()
	u.mu.Lock()
	defer u.mu.Unlock()
	all, err := u.read(env)
	if err != nil || len(all) == 0 {
		t.Fatalf("no unit of %s to make %s: %v", env, h, err)
	}
	x := all[len(all)-1]
	x.health = h
	if err := u.write(env, x); err != nil {
		t.Fatal(err)
	}
}

func TestSharedSuite(t *testing.T) {
	targetsuite.Run(t, targetsuite.Options{
		Target: "systemd",
		Section: func(t *testing.T, env string) string {
			return "    unitDir: " + t.TempDir() + "\n    user: true\n"
		},
		SetHealth: func(env string, h platform.Health) { setHealth(t, env, h) },
	})
}

// TestSettingsRefused: the target's own keys are refused by its own
// decoder, at their ferry.yaml line.
func TestSettingsRefused(t *testing.T) {
	for _, tt := range []struct{ section, want string }{
		{"    unitDir: units\n", `ferry.yaml:5: environment "prod": unitDir "units" must be an absolute directory`},
		{"    unitDir: /run/units\n    unitdir: /tmp\n", `ferry.yaml:6: environment "prod": unknown field "unitdir" for target systemd (its own: unitDir, user;`},
	} {
		dir := t.TempDir()
		yaml := "path: [prod]\nenvironments:\n  prod:\n    target: systemd\n" + tt.section
		for name, body := range map[string]string{project.FileName: yaml, "configs/.env": "APP_NAME=svc\n", "configs/.prod.env": ""} {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p, err := project.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := platform.DecodeSettings(p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeSettings = %v, want %q", err, tt.want)
		}
	}
}
