package promote

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/state"
)

// liveGate: what runs in the source is its live revision's artifact,
// started by ferry for that revision.
type liveGate struct{}

func (liveGate) Phase() Phase { return Before }

func (liveGate) Check(ctx context.Context, g *GateCheck) []state.Gate {
	cur, live := g.Source, g.Live
	same := live.Digest == cur.Digest && live.Revision == cur.Number
	r := state.Gate{Name: "live is revision " + strconv.Itoa(cur.Number), Passed: same}
	who := instanceNames(live)
	if same {
		r.Detail = fmt.Sprintf("%s runs %s", who, short(cur.Digest))
		if err := sourceRefusal(ctx, g); err != nil {
			r.Passed, r.Detail = false, err.Error()
		}
	} else {
		r.Detail = fmt.Sprintf("%s runs %s, not revision %d's %s", who, short(live.Digest), cur.Number, short(cur.Digest))
	}
	return []state.Gate{r}
}

// sourceRefusal is why the source's target says it cannot be promoted
// from now (platform.SourceChecker), nil when it can or cannot tell.
func sourceRefusal(ctx context.Context, g *GateCheck) error {
	if g.Config == nil || g.Config.Target == nil || g.From == nil {
		return nil
	}
	t, err := g.Config.Target(g.From)
	if err != nil {
		return nil
	}
	sc, ok := t.(platform.SourceChecker)
	if !ok {
		return nil
	}
	return sc.Promotable(ctx, platform.Query{Env: g.From.Name, Environment: g.From})
}
