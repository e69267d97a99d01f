package render

import (
	"context"
	"path"
	"strconv"
	"strings"

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
	listImages(res.Values, "", false, &res.ListImages)
	return res, nil
}

// listImages adds the images named inside values lists under v (at path
// p): an item that is an image map, or whose image key is one or a
// reference. An image map outside a list is the checks' own to find.
func listImages(v any, p string, inList bool, out *[]ValuesImage) {
	switch v := v.(type) {
	case map[string]any:
		if img := imageOfMap(v); img != "" && inList {
			*out = append(*out, ValuesImage{Path: p, Image: img})
			return
		}
		for _, k := range sortedKeys(v) {
			at := joinPath(p, k)
			if ref, ok := v[k].(string); ok && k == "image" && inList && ref != "" && !strings.ContainsAny(ref, " {") {
				*out = append(*out, ValuesImage{Path: at, Image: ref})
				continue
			}
			listImages(v[k], at, inList, out)
		}
	case []any:
		for i, x := range v {
			listImages(x, p+"["+strconv.Itoa(i)+"]", true, out)
		}
	}
}

// imageOfMap is the reference an image map ({registry, repository, tag}
// or digest) makes, "" when it has no repository or names no tag or
// digest (the template may default the tag).
func imageOfMap(m map[string]any) string {
	repo, isStr := m["repository"].(string)
	if !isStr {
		return ""
	}
	if reg, _ := m["registry"].(string); reg != "" {
		repo = reg + "/" + repo
	}
	if d, _ := m["digest"].(string); d != "" {
		return repo + "@" + d
	}
	if t := scalar(m["tag"]); m["tag"] != nil {
		return repo + ":" + t
	}
	return ""
}
