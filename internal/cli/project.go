package cli

import (
	"context"
	"errors"

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
