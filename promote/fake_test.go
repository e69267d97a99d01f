package promote

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// fakeProject is newProject on the fake target: the gate, rollback and
// history logic that every target shares, without processes.
func fakeProject(t *testing.T) (*Config, *platformtest.Fake, *clock) {
	t.Helper()
	c, clk := newProject(t, "")
	f := &platformtest.Fake{}
	c.Target = func(*project.Environment) (platform.Target, error) { return f, nil }
	c.Render = nil // the fake has no secrets file: the chart renders alone
	for _, e := range c.Project.Environments {
		e.Smoke = nil // nothing answers HTTP on the fake
	}
	return c, f, clk
}

// gateFunc is a gate made of a function, as a test registers one.
type gateFunc struct {
	phase Phase
	name  string
	pass  func(g *GateCheck) bool
}

func (g gateFunc) Phase() Phase { return g.phase }
func (g gateFunc) Check(_ context.Context, c *GateCheck) []state.Gate {
	return []state.Gate{{Name: g.name, Passed: g.pass(c)}}
}

func TestGatesOnFakeTarget(t *testing.T) {
	bad := func(*GateCheck) bool { return false }
	good := func(*GateCheck) bool { return true }
	tests := []struct {
		name string
		// extra gates added to the defaults
		extra []Gate
		// health of staging when promoting
		health     platform.Health
		wantErr    error
		wantGates  []string // failed gate names
		wantProd   int      // prod's live revision after
		rolledBack bool
	}{
		{name: "all pass", wantProd: 2},
		{name: "unhealthy source refused", health: platform.HealthDegraded, wantErr: ErrGate, wantGates: []string{"healthy", "soaked 2s"}, wantProd: 1},
		{name: "extra before gate refuses", extra: []Gate{gateFunc{Before, "signed", bad}}, wantErr: ErrGate, wantGates: []string{"signed"}, wantProd: 1},
		{name: "extra before gate passes", extra: []Gate{gateFunc{Before, "signed", good}}, wantProd: 2},
		{name: "failed after gate rolls back", extra: []Gate{gateFunc{After, "metrics", bad}}, wantErr: ErrGate, wantGates: []string{"metrics"}, wantProd: 3, rolledBack: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, clk := fakeProject(t)
			c.Gates = append(DefaultGates(), tt.extra...)
			ctx := t.Context()
			deploy(t, c, "prod", "1.0.0")
			deploy(t, c, "staging", "2.0.0")
			clk.Advance(time.Minute)
			if tt.health != "" {
				f.SetHealth("staging", tt.health, "db down")
			}
			plan, err := NewPromote(c).Run(ctx, "staging", "prod")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("promote = %v, want %v", err, tt.wantErr)
			}
			var gotFailed []string
			for _, g := range failed(plan.Gates) {
				gotFailed = append(gotFailed, g.Name)
			}
			if len(gotFailed) != len(tt.wantGates) || (len(gotFailed) > 0 && gotFailed[0] != tt.wantGates[0]) {
				t.Errorf("failed gates = %v, want %v", gotFailed, tt.wantGates)
			}
			if plan.RolledBack != tt.rolledBack {
				t.Errorf("rolled back = %v, want %v", plan.RolledBack, tt.rolledBack)
			}
			prod, _ := c.Project.Env("prod")
			cur, err := c.current(prod)
			if err != nil || cur == nil || cur.Number != tt.wantProd {
				t.Fatalf("prod live revision = %+v, %v, want %d", cur, err, tt.wantProd)
			}
			want := digestA
			if tt.wantProd == 2 {
				want = digestB
			}
			live, err := f.Live(ctx, platform.Query{Env: "prod"})
			if err != nil || live.Digest != want || live.Revision != tt.wantProd {
				t.Errorf("prod runs %+v, %v, want revision %d of %s", live, err, tt.wantProd, want)
			}
		})
	}
}
