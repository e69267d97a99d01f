package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrydev/ferry/project"
)

// loadProject loads the project of -C; every failure is bad input.
func (g *globalOptions) loadProject() (*project.Project, error) {
	done := g.step("project loaded", "dir", g.Dir)
	p, err := project.Load(g.Dir)
	if err != nil {
		return nil, usageError(err)
	}
	done(projectAttrs(p)...)
	for _, w := range p.Warnings {
		fmt.Fprintf(g.streams.ErrOut, "warning: %s\n", w)
	}
	return p, nil
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
