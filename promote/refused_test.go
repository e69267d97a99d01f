package promote

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

// TestRefusedPromotionRecorded: a promotion its gates refuse deploys
// nothing but is kept in the target environment's history with who, what
// and why; a dry run and a promotion that passes are not refusals.
func TestRefusedPromotionRecorded(t *testing.T) {
	c, f, clk := fakeProject(t)
	c.User = "ann@laptop"
	deploy(t, c, "prod", "1.0.0")
	deploy(t, c, "staging", "2.0.0")
	f.SetHealth("staging", platform.HealthDegraded, "db down")

	dry := NewPromote(c)
	dry.DryRun = true
	if _, err := dry.Run(t.Context(), "staging", "prod"); !errors.Is(err, ErrGate) {
		t.Fatalf("dry run = %v, want refused", err)
	}
	if got, err := Refusals(c, "prod"); err != nil || len(got) != 0 {
		t.Fatalf("after a dry run, refusals = %+v, %v; want none", got, err)
	}

	if _, err := NewPromote(c).Run(t.Context(), "staging", "prod"); !errors.Is(err, ErrGate) {
		t.Fatalf("promote = %v, want refused", err)
	}
	got, err := Refusals(c, "prod")
	if err != nil || len(got) != 1 {
		t.Fatalf("refusals = %+v, %v; want one", got, err)
	}
	r := got[0]
	if r.From != "staging" || r.Environment != "prod" || r.By != "ann@laptop" || r.Digest != digestB || r.FromRevision != 1 ||
		!strings.Contains(r.Reason, "healthy: DEGRADED: db down") || len(r.Gates) == 0 {
		t.Errorf("refusal = %+v", r)
	}
	h, err := NewHistory(c).RunFull(t.Context(), "prod")
	if err != nil || len(h.Refused) != 1 || len(h.Revisions) != 1 {
		t.Errorf("history of prod = %+v, %v; want 1 revision and 1 refusal", h, err)
	}
	if st, _ := Refusals(c, "staging"); len(st) != 0 {
		t.Errorf("staging's refusals = %+v, want none: the refusal is the target's", st)
	}

	// Passing now: no new refusal.
	f.SetHealth("staging", platform.HealthUp, "")
	clk.Advance(time.Minute)
	if _, err := NewPromote(c).Run(t.Context(), "staging", "prod"); err != nil {
		t.Fatal(err)
	}
	if got, _ := Refusals(c, "prod"); len(got) != 1 {
		t.Errorf("after a promotion that passed, refusals = %d, want still 1", len(got))
	}
}

// TestPreflightRunsNoSmoke: the page's preflight judges the read-only
// gates and never runs a smoke step, which may write (POST /orders).
func TestPreflightRunsNoSmoke(t *testing.T) {
	c, f, clk := fakeProject(t)
	deploy(t, c, "staging", "2.0.0")
	// A smoke step that leaves a mark when it runs: the fake answers no
	// HTTP, a command stands in for a POST.
	mark := filepath.Join(t.TempDir(), "smoke-ran")
	env, _ := c.Project.Env("staging")
	env.Smoke = []project.SmokeStep{{Run: "touch " + mark}}
	plan, err := Preflight(t.Context(), c, "staging", "prod")
	if !errors.Is(err, ErrGate) || plan == nil || !strings.Contains(err.Error(), "soaked") {
		t.Fatalf("preflight before the soak = %v, want the soak gate not met", err)
	}
	clk.Advance(time.Minute)
	f.SetHealth("staging", platform.HealthUp, "")
	plan, err = Preflight(t.Context(), c, "staging", "prod")
	if err != nil || plan.Digest != digestB {
		t.Fatalf("preflight after the soak = %+v, %v", plan, err)
	}
	for _, g := range plan.Gates {
		if strings.HasPrefix(g.Name, "smoke") {
			t.Errorf("preflight ran %s", g.Name)
		}
	}
	if got, _ := Refusals(c, "prod"); len(got) != 0 {
		t.Errorf("preflight recorded a refusal: %+v", got)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("preflight ran staging's smoke step")
	}
}

// TestPreflightSoakFromStoredSamples: with metric soak limits, the
// preflight judges the samples already stored and takes none itself.
func TestPreflightSoakFromStoredSamples(t *testing.T) {
	c, _, clk := fakeProject(t)
	env, _ := c.Project.Env("staging")
	env.SoakGates.MinRequests = 100
	deploy(t, c, "staging", "2.0.0")
	clk.Advance(time.Minute)
	plan, err := Preflight(t.Context(), c, "staging", "prod")
	if !errors.Is(err, ErrGate) || plan == nil {
		t.Fatalf("preflight without samples = %v, want the soak metrics not met", err)
	}
	var found bool
	for _, g := range plan.Gates {
		if g.Name == "soak metrics" {
			found = true
			if g.Passed || !strings.Contains(g.Detail, "unknown") {
				t.Errorf("soak metrics gate = %+v, want not met: unknown without samples", g)
			}
		}
	}
	if !found {
		t.Errorf("preflight gates = %+v, want a soak metrics gate", plan.Gates)
	}
	st, err := c.storeNamed("staging")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Samples("staging", 1, time.Time{}, clk.Now()); err != nil || len(got) != 0 {
		t.Errorf("preflight stored samples: %+v, %v", got, err)
	}
}
