package promote

import (
	"context"

	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
)

// verifyGate: after the deploy, the target runs what was meant, healthy.
type verifyGate struct{}

func (verifyGate) Phase() Phase { return After }

func (verifyGate) Check(ctx context.Context, g *GateCheck) []state.Gate {
	r := state.Gate{Name: "verify " + g.To.Name}
	v := NewVerify(g.Config)
	v.rev = g.Revision
	rep, err := v.Run(ctx, g.To.Name)
	if err != nil {
		r.Detail = secret.Scrub(err.Error())
	} else {
		r.Passed, r.Detail = rep.OK(), rep.Summary()
	}
	return []state.Gate{r}
}
