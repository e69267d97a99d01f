package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
)

// engine builds the promote.Config the deploy-side commands share: state
// and images under the project's .ferry/, each environment on the target
// ferry.yaml names (targets.go lists those this ferry supports), progress
// on stderr when it is a terminal.
func (g *globalOptions) engine(command string) (*promote.Config, error) {
	p, err := g.loadProject()
	if err != nil {
		return nil, err
	}
	return g.engineOf(p, command)
}

// engineOf is engine for p, the project of -C already loaded (with its
// deploy commands: project.Load).
func (g *globalOptions) engineOf(p *project.Project, command string) (*promote.Config, error) {
	if err := g.refuseTrackedState(p.Dir); err != nil {
		return nil, err
	}
	c, err := promote.Open(p)
	if err != nil {
		return nil, err
	}
	c.Command = command
	c.Logger = g.logger()
	c.Guard = guardCommand(p.Dir)
	if g.streams.ErrTTY {
		c.Wait = func(what string, elapsed time.Duration) {
			fmt.Fprintf(g.streams.ErrOut, "\r%s (%s)\033[K", what, elapsed.Round(time.Second))
		}
	}
	return c, nil
}

// doneWaiting clears a progress line left on a terminal.
func (g *globalOptions) doneWaiting() {
	if g.streams.ErrTTY {
		fmt.Fprint(g.streams.ErrOut, "\r\033[K")
	}
}

// progress writes a note to stderr when it is a terminal.
func (g *globalOptions) progress(format string, args ...any) {
	if g.streams.ErrTTY {
		fmt.Fprintf(g.streams.ErrOut, "\r\033[K"+format+"\n", args...)
	}
}

// engineErr maps the engine's error kinds to exit codes: bad input 2, a
// gate, a lock or a revision that did not come up 1, the target 3.
func engineErr(err error) error {
	var (
		locked *state.LockedError
		deploy *platform.DeployError
		port   *platform.PortInUseError
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &locked), errors.Is(err, promote.ErrGate), errors.As(err, &deploy):
		return failedError(err)
	case errors.As(err, &port):
		return targetError(err)
	case errors.Is(err, promote.ErrInput), errors.Is(err, artifact.ErrUnknownArtifact), errors.Is(err, artifact.ErrTagMoved),
		errors.Is(err, project.ErrUnknownEnvironment), errors.Is(err, state.ErrCorrupt), errors.Is(err, state.ErrNoRevision):
		return usageError(stripKind(err))
	default:
		return targetError(err)
	}
}

// stripKind drops the "bad input: " prefix the sentinel adds: the exit
// code already says it.
func stripKind(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, promote.ErrInput.Error()+": "); ok {
		return errors.New(rest)
	}
	return err
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
