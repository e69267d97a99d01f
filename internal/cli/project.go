package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/view"
)

// loadProject loads the project of -C; every failure is bad input.
func (g *globalOptions) loadProject() (*project.Project, error) {
	p, err := g.loadWith(project.Load)
	if err != nil {
		return nil, err
	}
	g.warn(p.Warnings)
	return p, nil
}

// loadWith loads the project of -C with load (project.Load or
// project.LoadOwn) and says so on -v; every failure is bad input. It
// prints no warnings: see warn.
func (g *globalOptions) loadWith(load func(dir string) (*project.Project, error)) (*project.Project, error) {
	done := g.step("project loaded", "dir", g.Dir)
	p, err := load(g.Dir)
	if err == nil {
		err = platform.DecodeSettings(p) // each environment's target reads its own keys
	}
	if err != nil {
		return nil, usageError(err)
	}
	done(projectAttrs(p)...)
	return p, nil
}

// warn prints each warning on a line of its own.
func (g *globalOptions) warn(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(g.streams.ErrOut, "warning: %s\n", w)
	}
}

// loadProjectChart loads the project of -C with the chart given by
// --chart (relative to -C); "" discovers it. It says on -v which chart and
// runtime it uses.
func (g *globalOptions) loadProjectChart(chart string) (*project.Project, error) {
	done := g.step("project loaded", "dir", g.Dir)
	p, err := project.LoadChart(g.Dir, chart)
	var several *project.SeveralChartsError
	if errors.As(err, &several) {
		return nil, usageError(fmt.Errorf("%w, or name it with --chart %s", err, several.Charts[0]))
	}
	if err == nil {
		err = platform.DecodeSettings(p)
	}
	if err != nil {
		return nil, usageError(err)
	}
	done(append(projectAttrs(p), "because", p.RuntimeReason)...)
	g.warn(p.Warnings)
	return p, nil
}

// slot is one container of a rendered workload.
type slot = view.Slot

// containers lists res's containers as view.Containers does; an unknown
// name is bad input.
func containers(res *render.Result, name string) ([]slot, error) {
	out, err := view.Containers(res, name)
	if err != nil {
		return nil, usageError(err)
	}
	return out, nil
}

// renderErr classifies a render failure: bad input (exit 2) unless the
// context ended.
func renderErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	// Everything else render refuses is the project's input: a values
	// file, a template, an environment name.
	return usageError(err)
}

// envArgs refuses an argument that cannot be an environment's name (a DNS
// label) before it reaches a path under .ferry/ or a namespace.
func envArgs(args []string) error {
	for _, a := range args {
		if err := project.ValidName(a); err != nil {
			return usageError(err)
		}
	}
	return nil
}
