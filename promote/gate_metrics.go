package promote

import (
	"context"
	"fmt"

	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
)

// metricsGate: the source's soak judged from its own metrics (ferry.yaml
// soak: {maxErrorRatio, maxP95, maxP99, minRequests}), one result per
// figure so that a dry run shows each against its limit and a refusal
// names the figure and the window. A soak too thin to judge is not met.
type metricsGate struct{}

func (metricsGate) Phase() Phase { return Before }

func (metricsGate) Check(ctx context.Context, g *GateCheck) []state.Gate {
	if !SoakLimits(g.From).Metric() {
		return nil
	}
	v, err := NewSoak(g.Config).Run(ctx, g.From.Name, true)
	if err != nil {
		return []state.Gate{{Name: "soak metrics", Detail: err.Error()}}
	}
	var out []state.Gate
	for _, f := range v.Figures {
		if f.Name == "duration" {
			continue // the soaked gate says it
		}
		r := state.Gate{Name: "soak " + f.Name, Passed: f.State == soak.Passed}
		r.Detail = f.Value
		if f.Limit != "" {
			r.Detail += fmt.Sprintf(" (limit %s)", f.Limit)
		}
		r.Detail += " over " + v.Window()
		if f.State == soak.Unknown {
			r.Detail += ": unknown" // the verdict below says why, once
		}
		out = append(out, r)
	}
	if v.State != soak.Passed && v.State != soak.Soaking {
		// Say why in one line even when every figure is merely unknown.
		out = append(out, state.Gate{Name: "soak verdict", Detail: string(v.State) + ": " + v.Reason})
	}
	return out
}
