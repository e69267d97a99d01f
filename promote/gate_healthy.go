package promote

import (
	"context"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/state"
)

// healthyGate: the source answers UP now.
type healthyGate struct{}

func (healthyGate) Phase() Phase { return Before }

func (healthyGate) Check(_ context.Context, g *GateCheck) []state.Gate {
	live := g.Live
	r := state.Gate{Name: "healthy", Passed: live.Health == platform.HealthUp, Detail: string(live.Health)}
	if !r.Passed && live.HealthDetail != "" {
		r.Detail += ": " + live.HealthDetail
	}
	return []state.Gate{r}
}
