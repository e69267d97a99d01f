package promote

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ferrydev/ferry/state"
)

// liveGate: what runs in the source is its live revision's artifact,
// started by ferry for that revision.
type liveGate struct{}

func (liveGate) Phase() Phase { return Before }

func (liveGate) Check(_ context.Context, g *GateCheck) []state.Gate {
	cur, live := g.Source, g.Live
	same := live.Digest == cur.Digest && live.Revision == cur.Number
	r := state.Gate{Name: "live is revision " + strconv.Itoa(cur.Number), Passed: same}
	who := instanceNames(live)
	if same {
		r.Detail = fmt.Sprintf("%s runs %s", who, short(cur.Digest))
	} else {
		r.Detail = fmt.Sprintf("%s runs %s, not revision %d's %s", who, short(live.Digest), cur.Number, short(cur.Digest))
	}
	return []state.Gate{r}
}
