package promote

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/state"
)

// soakGate: the source's revision has run its environment's soak time,
// healthy and without a restart.
type soakGate struct{}

func (soakGate) Phase() Phase { return Before }

func (soakGate) Check(_ context.Context, g *GateCheck) []state.Gate {
	cur, live, soak := g.Source, g.Live, g.From.Soak
	elapsed := g.Config.now().Sub(cur.Since)
	r := state.Gate{Name: "soaked " + soak.String()}
	switch {
	case restarted(cur, live) != "":
		r.Detail = fmt.Sprintf("restarted since revision %d was deployed: %s", cur.Number, restarted(cur, live))
	case elapsed < soak:
		r.Detail = fmt.Sprintf("%s of %s elapsed, %s left", elapsed.Round(100*time.Millisecond), soak, (soak - elapsed).Round(100*time.Millisecond))
	case live.Health != platform.HealthUp:
		r.Detail = "soak elapsed but not healthy now"
	default:
		r.Passed = true
		r.Detail = fmt.Sprintf("running %s without restart", elapsed.Round(time.Second))
	}
	return []state.Gate{r}
}

// restarted says how the live instances are not the ones the revision
// started ("" when they are): an instance that restarted, or one the
// revision did not record (a process started since, a replaced pod).
func restarted(cur *state.Revision, live *platform.Live) string {
	names := make([]string, 0, len(cur.Instances))
	for _, in := range cur.Instances {
		names = append(names, in.Name)
	}
	for _, in := range live.Instances {
		switch {
		case in.Restarts > 0:
			return fmt.Sprintf("%s restarted %d time(s)", in.Name, in.Restarts)
		case len(names) > 0 && !slices.Contains(names, in.Name):
			return fmt.Sprintf("%s is not what the revision started (%s)", in.Name, joinNames(names))
		}
	}
	return ""
}
