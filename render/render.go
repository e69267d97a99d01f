package render

import (
	"context"
	"errors"

	"github.com/ferrydev/ferry/project"
)

// Render renders environment env of p.
func Render(ctx context.Context, p *project.Project, env string) (*Result, error) {
	return nil, errors.New("render: not implemented yet")
}
