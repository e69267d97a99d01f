package promote

import (
	"context"
	"fmt"

	"github.com/ferrydev/ferry/state"
)

// Deploy puts an artifact into an environment.
type Deploy struct {
	cfg *Config
	// Artifact is a tag, a digest or "" for the last build.
	Artifact string
}

// NewDeploy returns a Deploy over cfg.
func NewDeploy(cfg *Config) *Deploy { return &Deploy{cfg: cfg} }

// Run deploys into envName.
func (d *Deploy) Run(ctx context.Context, envName string) (*state.Revision, error) {
	c := d.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	img, err := c.Images.Resolve(d.Artifact)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	cfg, err := c.desired(ctx, env)
	if err != nil {
		return nil, err
	}
	unlock, err := c.lock(ctx, env)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.apply(ctx, change{env: env, img: img, cfg: cfg, meta: state.Revision{Action: "deploy"}})
}
