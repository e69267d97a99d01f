// Package targetsuite runs what every target shares — deploy, the gates
// before and after a promotion, the rollback a failed one makes, an
// explicit rollback and the history — against a target found the way
// ferry finds one: by its ferry.yaml name in platform's registry, its
// settings decoded by its own decoder. A new target passes it from its
// own test package with one registration line and nothing in project,
// promote or state.
//
// It builds two artifacts of a small real service (platform/local's
// testdata/svc) with the Go toolchain; the target decides what running
// them means.
package targetsuite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
)

// Options say which target to run the suite against.
type Options struct {
	// Target is the name the target registered under.
	Target string
	// Section returns the target's own keys for environment env's
	// ferry.yaml section, each line indented four spaces ("" for none).
	Section func(t *testing.T, env string) string
	// SetHealth makes env's running revision report h, as an outage
	// would.
	SetHealth func(env string, h platform.Health)
}

// gate is a gate made of a result, as a team adds one.
type gate struct {
	phase promote.Phase
	name  string
	pass  bool
}

func (g gate) Phase() promote.Phase { return g.phase }
func (g gate) Check(context.Context, *promote.GateCheck) []state.Gate {
	return []state.Gate{{Name: g.name, Passed: g.pass}}
}

// Run runs the suite.
func Run(t *testing.T, o Options) {
	tmpl, a, b := artifacts(t)
	tests := []struct {
		name      string
		extra     []promote.Gate
		unhealthy bool
		// wantProd is prod's live revision after the promotion, and
		// wantFailed the gates that failed.
		wantErr    error
		wantFailed []string
		wantProd   int
		rolledBack bool
	}{
		{name: "all gates pass", wantProd: 2},
		{name: "unhealthy source refused", unhealthy: true, wantErr: promote.ErrGate, wantFailed: []string{"healthy"}, wantProd: 1},
		{name: "before gate refuses", extra: []promote.Gate{gate{promote.Before, "signed by the release team", false}}, wantErr: promote.ErrGate, wantFailed: []string{"signed by the release team"}, wantProd: 1},
		{name: "after gate rolls back", extra: []promote.Gate{gate{promote.After, "error budget", false}}, wantErr: promote.ErrGate, wantFailed: []string{"error budget"}, wantProd: 3, rolledBack: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newProject(t, tmpl, o)
			c.Gates = append(promote.DefaultGates(), tt.extra...)
			ctx := t.Context()
			deploy(t, c, "prod", "1.0.0")
			deploy(t, c, "staging", "2.0.0")
			clk.advance(time.Minute)    // staging's soak is over
			health := platform.HealthUp // a target opened once keeps what an earlier case set
			if tt.unhealthy {
				health = platform.HealthDegraded
			}
			o.SetHealth("staging", health)
			plan, err := promote.NewPromote(c).Run(ctx, "staging", "prod")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("promote = %v, want %v", err, tt.wantErr)
			}
			var failed []string
			for _, g := range plan.Gates {
				if !g.Passed {
					failed = append(failed, g.Name)
				}
			}
			if len(failed) == 0 && len(tt.wantFailed) > 0 || len(failed) > 0 && (len(tt.wantFailed) == 0 || failed[0] != tt.wantFailed[0]) {
				t.Errorf("failed gates = %v, want %v first", failed, tt.wantFailed)
			}
			if plan.RolledBack != tt.rolledBack {
				t.Errorf("rolled back = %v, want %v", plan.RolledBack, tt.rolledBack)
			}
			want := a
			if tt.wantProd == 2 {
				want = b
			}
			runs(t, c, "prod", tt.wantProd, want)
		})
	}
	t.Run("rollback and history", func(t *testing.T) {
		c, clk := newProject(t, tmpl, o)
		deploy(t, c, "staging", "1.0.0")
		deploy(t, c, "staging", "2.0.0")
		runs(t, c, "staging", 2, b)
		clk.advance(time.Second)
		rev, err := promote.NewRollback(c).Run(t.Context(), "staging")
		if err != nil || rev.Number != 3 || rev.Digest != a {
			t.Fatalf("rollback = %+v, %v; want revision 3 of %s", rev, err, a)
		}
		runs(t, c, "staging", 3, a)
		h, err := promote.NewHistory(c).Run(t.Context(), "staging")
		if err != nil || len(h.Revisions) != 3 || h.Revisions[0].Number != 3 {
			t.Fatalf("history = %+v, %v; want revisions 3, 2, 1", h, err)
		}
	})
}

// runs fails unless env's target reports revision rev of digest running.
func runs(t *testing.T, c *promote.Config, env string, rev int, digest string) {
	t.Helper()
	e, err := c.Project.Env(env)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := c.Target(e)
	if err != nil {
		t.Fatal(err)
	}
	live, err := tg.Live(t.Context(), platform.Query{Env: env, Environment: e})
	if err != nil || live.Revision != rev || live.Digest != digest {
		t.Errorf("%s runs %+v, %v; want revision %d of %s", env, live, err, rev, digest)
	}
}

func deploy(t *testing.T, c *promote.Config, env, ref string) {
	t.Helper()
	d := promote.NewDeploy(c)
	d.Artifact = ref
	if _, err := d.Run(t.Context(), env); err != nil {
		t.Fatalf("deploy %s %s: %v", env, ref, err)
	}
}

// newProject copies the template with a ferry.yaml that puts staging
// and prod on the target.
func newProject(t *testing.T, tmpl string, o Options) (*promote.Config, *clock) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(tmpl)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("service: svc\npath: [staging, prod]\nenvironments:\n")
	for _, env := range []string{"staging", "prod"} {
		b.WriteString("  " + env + ":\n    target: " + o.Target + "\n    soak: 2s\n")
		if o.Section != nil {
			b.WriteString(o.Section(t, env))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, project.FileName), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := platform.DecodeSettings(p); err != nil {
		t.Fatal(err)
	}
	c := promote.New(p)
	clk := &clock{}
	c.Now, c.Command, c.HealthTimeout = clk.now, "targetsuite", 10*time.Second
	t.Cleanup(func() {
		for _, e := range p.Environments {
			if tg, err := c.Target(e); err == nil {
				_ = tg.Stop(context.Background(), e.Name, 0)
			}
		}
	})
	return c, clk
}

// artifacts builds versions 1.0.0 and 2.0.0 of the service into a
// template project and returns it with their digests.
func artifacts(t *testing.T) (dir, a, b string) {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(filepath.Dir(self), "..", "..", "local", "testdata", "svc"))); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := artifact.NewStore(dir)
	var digests []string
	for i, tag := range []string{"1.0.0", "2.0.0"} {
		if i > 0 {
			src := filepath.Join(dir, "main.go")
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(src, []byte(strings.Replace(string(data), `version = "1"`, `version = "2"`, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		img, err := artifact.Build(t.Context(), p, s, artifact.BuildOptions{Tag: tag, Revision: tag})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, img.Digest)
	}
	return dir, digests[0], digests[1]
}

type clock struct{ off time.Duration }

func (c *clock) now() time.Time          { return time.Now().Add(c.off) }
func (c *clock) advance(d time.Duration) { c.off += d }
