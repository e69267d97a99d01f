package promote

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/project"
)

// checkedFake is the fake with a platform.SourceChecker that refuses
// with why (nil: promotable).
type checkedFake struct {
	*platformtest.Fake
	why error
}

func (f *checkedFake) Promotable(context.Context, platform.Query) error { return f.why }

// TestLiveGateAsksTheSourceChecker: a target that says why its source
// cannot be promoted from (kube: a rollout in progress, mixed digests)
// fails the live gate with its words; one that says nothing passes.
func TestLiveGateAsksTheSourceChecker(t *testing.T) {
	for _, tt := range []struct {
		name string
		why  error
	}{
		{"promotable", nil},
		{"mixed digests", errors.New("staging cannot be promoted from: pods run different digests: sha256:a3c1e04ab1a0 on api-1; sha256:b7f02e9d4c1a on api-2")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, f, clk := fakeProject(t)
			cf := &checkedFake{Fake: f, why: tt.why}
			c.Target = func(*project.Environment) (platform.Target, error) { return cf, nil }
			deploy(t, c, "prod", "1.0.0")
			deploy(t, c, "staging", "2.0.0")
			clk.Advance(time.Minute)
			plan, err := NewPromote(c).Run(t.Context(), "staging", "prod")
			if (tt.why == nil) != (err == nil) || (tt.why != nil && !errors.Is(err, ErrGate)) {
				t.Fatalf("promote = %v, want refused: %v", err, tt.why != nil)
			}
			if tt.why == nil {
				return
			}
			for _, g := range plan.Gates {
				if strings.HasPrefix(g.Name, "live is revision") {
					if g.Passed || g.Detail != tt.why.Error() {
						t.Errorf("live gate = %+v, want failed with %q", g, tt.why)
					}
					return
				}
			}
			t.Errorf("no live gate in %+v", plan.Gates)
		})
	}
}
