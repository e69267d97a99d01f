package render

import (
	"context"
	"slices"

	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/ferrydev/ferry/project"
)

// HelmInput is what a Helm install of environment env takes, read the
// way ferry render reads it: the chart loaded through the confined file
// system and within the limits, and the environment's values files
// merged in order (SOPS files decrypted) with the deploy command's --set
// keys — except those CI fills in as it runs (${{ github.sha }}), which
// are not known here. A target that installs the chart with Helm calls
// it, so that what it installs is what render showed.
func (r *Renderer) HelmInput(ctx context.Context, env string) (*chart.Chart, map[string]any, error) {
	e, err := r.p.Env(env)
	if err != nil {
		return nil, nil, err
	}
	if r.p.Chart == "" {
		return nil, nil, &InputError{File: project.FileName, Msg: "the project has no chart to install"}
	}
	if err := r.load(); err != nil {
		return nil, nil, err
	}
	known := *e
	known.Set = slices.DeleteFunc(slices.Clone(e.Set), func(s project.SetFlag) bool { return s.ByCI })
	run := &renderRun{Renderer: r, e: &known, res: &Result{Environment: env, ValueSources: map[string]Source{}}}
	if err := run.readValues(ctx); err != nil {
		return nil, nil, err
	}
	return copyChart(r.chart), run.user, nil
}
