package promote

import (
	"context"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// Phase says when a gate is checked.
type Phase int

const (
	// Before the deploy, on the source environment: a failure refuses
	// the promotion and changes nothing.
	Before Phase = iota
	// After the deploy, on the target environment: a failure rolls the
	// target back to the revision it ran before.
	After
)

// Gate is one condition a promotion must meet. Adding one (a signature,
// a metrics soak) is a new file with a type implementing Gate and one
// line in DefaultGates, where it runs; a caller embedding promote adds
// its own through Config.Gates.
type Gate interface {
	// Phase says when the gate is checked.
	Phase() Phase
	// Check evaluates the gate: one result per thing checked (a smoke
	// gate returns one per step), none when it does not apply.
	Check(ctx context.Context, g *GateCheck) []state.Gate
}

// GateCheck is what a gate sees.
type GateCheck struct {
	Config *Config
	// From and To are the promotion's environments.
	From, To *project.Environment
	// Source is From's live revision and Live what runs there now, as
	// its target reports (Before gates).
	Source *state.Revision
	Live   *platform.Live
	// Image is the artifact being promoted.
	Image *artifact.Image
	// Artifact is the tag or digest the user named (promote --artifact),
	// "" when none: it must be what runs in From.
	Artifact string
	// Revision is the revision just deployed in To (After gates).
	Revision *state.Revision
	// DryRun says the gates are only evaluated: a gate runs nothing that
	// could change anything (a smoke step that is not a GET or HEAD is
	// listed as "would run").
	DryRun bool
}

// DefaultGates returns the built-in gates in the order they run, which
// is the order a dry run and a refusal list their results: the cheap
// facts about the source first, the smoke steps that exercise it last.
// The list is new on every call, so a caller may append to it.
func DefaultGates() []Gate {
	return []Gate{
		// Before the deploy, on the source environment.
		liveGate{},        // what runs there is its live revision's artifact
		artifactGate{},    // the artifact named on the command line is that one
		healthyGate{},     // it answers UP now
		signedGate{},      // trust.require: the digest is signed
		soakGate{},        // it has run its soak time without a restart
		metricsGate{},     // its metrics are within the soak limits
		smokeGate{Before}, // its smoke steps pass
		// After the deploy, on the target environment.
		smokeGate{After}, // the target's smoke steps pass
		verifyGate{},     // the target runs what was meant, healthy
	}
}

// check runs the gates of phase in order.
func (c *Config) check(ctx context.Context, phase Phase, g *GateCheck) []state.Gate {
	gates := c.Gates
	if gates == nil {
		gates = DefaultGates()
	}
	var out []state.Gate
	for _, gate := range gates {
		if gate.Phase() == phase {
			out = append(out, gate.Check(ctx, g)...)
		}
	}
	return out
}

// failed returns the results that did not pass.
func failed(gs []state.Gate) []state.Gate {
	var out []state.Gate
	for _, g := range gs {
		if !g.Passed {
			out = append(out, g)
		}
	}
	return out
}
