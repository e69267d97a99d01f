package promote

import (
	"context"

	"github.com/ferrydev/ferry/state"
)

// smokeGate runs an environment's smoke steps: the source's before the
// deploy, the target's after it.
type smokeGate struct{ phase Phase }

func (s smokeGate) Phase() Phase { return s.phase }

func (s smokeGate) Check(ctx context.Context, g *GateCheck) []state.Gate {
	if s.phase == Before {
		return g.Config.smoke(ctx, g.From, g.Source.URL, g.DryRun)
	}
	return g.Config.smoke(ctx, g.To, g.Revision.URL, g.DryRun)
}
