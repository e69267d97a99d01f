package render

import (
	"context"
	"path"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/ferrydev/ferry/project"
)

// ValuesOnly reads environment env's values as Render does — the chart's
// values.yaml under the environment's files and --set, each key with the
// line that set it — without loading the chart or rendering a template.
// It is for an environment whose render fails (a required value unset, a
// dependency not vendored): what its values say can still be checked.
// The Result has Values, ValueSources, Duplicates and Namespace only.
func (r *Renderer) ValuesOnly(ctx context.Context, env string) (*Result, error) {
	e, err := r.p.Env(env)
	if err != nil {
		return nil, err
	}
	if r.p.Chart == "" {
		return nil, &InputError{File: project.FileName, Msg: "the project has no chart"}
	}
	root, err := r.openRoot()
	if err != nil {
		return nil, err
	}
	_ = r.load() // the subcharts' values, when the chart loads at all
	res := &Result{Environment: env, ValueSources: map[string]Source{}, Namespace: e.Namespace, Primary: -1}
	run := &renderRun{Renderer: r, e: e, res: res}
	if err := run.readValues(ctx); err != nil {
		return nil, err
	}
	vals := map[string]any{}
	base := path.Join(r.p.Chart, "values.yaml")
	if _, err := root.Stat(base); err == nil {
		vf, err := parseValues(root, base, r.standIns)
		if err != nil {
			return nil, err
		}
		if bv, err := vf.helmValues(); err == nil {
			vals = copyValues(bv).(map[string]any)
		}
	}
	res.Values = loader.MergeMaps(vals, run.user)
	res.Config = NewConfig(nil)
	return res, nil
}
