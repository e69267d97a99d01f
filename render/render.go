package render

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/project"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// Renderer renders the environments of one project. It loads the chart
// once and is safe for concurrent use, but renders through one Renderer
// run one at a time: Helm's dependency processing (import-values) writes
// into the chart's values. Use one Renderer per goroutine to render in
// parallel.
type Renderer struct {
	p *project.Project

	mu        sync.Mutex // held for a whole render; see Renderer
	once      sync.Once
	chart     *chart.Chart
	templates map[string][]string // split once: provenance looks up lines per key
	err       error
}

// New returns a Renderer for p.
func New(p *project.Project) *Renderer { return &Renderer{p: p} }

// Render renders environment env of p. It is New(p).Render.
func Render(ctx context.Context, p *project.Project, env string) (*Result, error) {
	return New(p).Render(ctx, env)
}

// RenderAll renders every environment of p, in path order.
func RenderAll(ctx context.Context, p *project.Project) ([]*Result, error) {
	r := New(p)
	out := make([]*Result, 0, len(p.Environments))
	for _, e := range p.Environments {
		res, err := r.Render(ctx, e.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

func (r *Renderer) load() error {
	r.once.Do(func() {
		dir := filepath.Join(r.p.Dir, r.p.Chart)
		r.chart, r.err = loadChart(dir, r.p.Chart)
		if r.err != nil {
			return
		}
		r.templates = map[string][]string{}
		for _, t := range r.chart.Templates {
			r.templates[path.Join(r.p.Chart, t.Name)] = strings.Split(string(t.Data), "\n")
		}
	})
	return r.err
}

// Render renders environment env.
func (r *Renderer) Render(ctx context.Context, env string) (*Result, error) {
	e, err := r.p.Env(env)
	if err != nil {
		return nil, err
	}
	res := &Result{Environment: env, ValueSources: map[string]Source{}}
	if r.p.Chart == "" {
		return r.chartless(res, e)
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	// Provenance first: the chart's own values.yaml is the lowest layer
	// whether or not the environment lists it.
	base := path.Join(r.p.Chart, "values.yaml")
	if _, err := os.Stat(filepath.Join(r.p.Dir, base)); err == nil {
		if _, err := readValues(r.p.Dir, base, res.ValueSources, &res.Warnings); err != nil {
			return nil, err
		}
	}
	user := map[string]any{}
	for _, name := range e.Values {
		if path.Clean(name) == base {
			continue // the chart's defaults: coalesced by Helm below
		}
		vf, err := readValues(r.p.Dir, name, res.ValueSources, &res.Warnings)
		if err != nil {
			return nil, err
		}
		user = loader.MergeMaps(user, vf.values)
	}

	// Helm marks dependencies enabled or disabled in the chart's metadata:
	// work on a copy so that one environment's conditions do not leak into
	// the next.
	c := copyChart(r.chart)
	top, err := renderValues(c, user, e.Release, e.Namespace)
	if err != nil {
		return nil, &InputError{File: r.p.Chart, Msg: "values: " + err.Error()}
	}
	rendered, err := engineRender(ctx, c, top)
	if err != nil {
		return nil, templateErr(r.p.Chart, c.Name(), err)
	}
	objs, err := splitManifests(rendered, r.p.Chart, c.Name())
	if err != nil {
		return nil, err
	}
	if v, ok := top["Values"].(interface{ AsMap() map[string]any }); ok {
		res.Values = v.AsMap()
	} else if m, ok := top["Values"].(map[string]any); ok {
		res.Values = m
	}

	rs := &resolver{objects: objs, sources: res.ValueSources, templates: r.templates, warnings: &res.Warnings}
	// Mark numbers too where the chart allows it; a chart that computes
	// with them gets string provenance only. When neither renders to the
	// same objects, provenance falls back to template locations.
	for _, numbers := range []bool{true, false} {
		t, out := markedRender(ctx, c, top, numbers)
		if t == nil {
			continue
		}
		if twins, err := splitManifests(out, r.p.Chart, c.Name()); err == nil && len(twins) == len(objs) {
			rs.taint = t
			rs.marked = make(map[string]manifest, len(objs))
			for i, o := range objs {
				rs.marked[o.template+"|"+objKey(o)] = twins[i]
			}
			break
		}
	}

	files := map[string]*envfile.Config{}
	for _, o := range objs {
		res.Objects = append(res.Objects, Object{
			Kind: str(o.body, "kind"), Name: str(o.body, "metadata", "name"),
			Namespace: str(o.body, "metadata", "namespace"), Template: o.template, Body: o.body,
		})
		kind := str(o.body, "kind")
		if kind != "Deployment" && kind != "StatefulSet" && kind != "DaemonSet" {
			continue
		}
		w, err := r.workload(rs, o, files, &res.Warnings)
		if err != nil {
			return nil, err
		}
		res.Workloads = append(res.Workloads, w)
	}
	if len(res.Workloads) > 0 && len(res.Workloads[0].Containers) > 0 {
		res.Config = res.Workloads[0].Containers[0].Config
		res.Image = res.Workloads[0].Containers[0].Image
	} else {
		// A chart without a workload still has the image's file layer.
		fc, err := r.files(files, env, &res.Warnings)
		if err != nil {
			return nil, err
		}
		res.Config = layer(fc, nil)
	}
	return res, nil
}

func (r *Renderer) workload(rs *resolver, o manifest, files map[string]*envfile.Config, warnings *[]string) (Workload, error) {
	podPath := []string{"spec", "template", "spec"}
	pod := dig(o.body, podPath...)
	w := Workload{
		Kind:                          str(o.body, "kind"),
		Name:                          str(o.body, "metadata", "name"),
		Replicas:                      toInt(dig(o.body, "spec")["replicas"], 1),
		TerminationGracePeriodSeconds: toInt(pod["terminationGracePeriodSeconds"], 30),
		PodAnnotations:                map[string]string{},
	}
	for k, v := range dig(o.body, "spec", "template", "metadata", "annotations") {
		w.PodAnnotations[k] = scalar(v)
	}
	reads := map[string]bool{}
	for i, ci := range list(pod["containers"]) {
		cm, _ := ci.(map[string]any)
		c := Container{
			Name: str(cm, "name"), Image: str(cm, "image"), Template: o.template,
			Ports: map[string]int{}, Probes: map[string]Probe{},
		}
		for _, p := range list(cm["ports"]) {
			pm, _ := p.(map[string]any)
			n := toInt(pm["containerPort"], 0)
			name := str(pm, "name")
			if name == "" {
				name = fmt.Sprint(n)
			}
			c.Ports[name] = n
		}
		for _, kind := range []string{"liveness", "readiness", "startup"} {
			pr := dig(cm, kind+"Probe", "httpGet")
			if len(pr) > 0 {
				c.Probes[kind] = Probe{Path: scalar(pr["path"]), Port: scalar(pr["port"])}
			}
		}
		proc := rs.containerEnv(o, podPath, i, cm, reads)
		appEnv := ""
		for _, e := range proc {
			if e.Key == "APP_ENV" && !e.External {
				appEnv = e.Value
			}
		}
		fc, err := r.files(files, appEnv, warnings)
		if err != nil {
			return Workload{}, err
		}
		c.Config = layer(fc, proc)
		w.Containers = append(w.Containers, c)
	}
	w.Reads = sortedKeys(reads)
	return w, nil
}

// files loads the image's GoFr file layer for appEnv, once per value.
func (r *Renderer) files(cache map[string]*envfile.Config, appEnv string, warnings *[]string) (*envfile.Config, error) {
	if c, ok := cache[appEnv]; ok {
		return c, nil
	}
	if r.p.Configs == "" {
		c := &envfile.Config{}
		cache[appEnv] = c
		return c, nil
	}
	c, err := envfile.LoadFiles(os.DirFS(r.p.Dir), r.p.Configs, appEnv)
	if err != nil {
		return nil, fileErr(err)
	}
	*warnings = append(*warnings, c.Warnings...)
	cache[appEnv] = c
	return c, nil
}

// chartless is a project with configs/ only: the process gets APP_ENV
// from ferry, the files do the rest.
func (r *Renderer) chartless(res *Result, e *project.Environment) (*Result, error) {
	fc, err := r.files(map[string]*envfile.Config{}, e.Name, &res.Warnings)
	if err != nil {
		return nil, err
	}
	res.Config = layer(fc, []Entry{{Key: "APP_ENV", Value: e.Name, Source: Source{Kind: KindProject, Detail: "(the environment's name)"}}})
	return res, nil
}

// layer puts the process environment over the file layer.
func layer(files *envfile.Config, proc []Entry) *Config {
	m := map[string]Entry{}
	for _, v := range files.Vars() {
		e := Entry{Key: v.Key, Value: v.Value, Source: Source{Kind: KindFile, File: v.Source.File, Line: v.Source.Line}, Secret: IsSensitive(v.Key)}
		for _, s := range v.Shadows {
			e.Shadows = append(e.Shadows, Shadowed{Value: s.Value, Source: Source{Kind: KindFile, File: s.Source.File, Line: s.Source.Line}, Secret: e.Secret})
		}
		m[v.Key] = e
	}
	for _, p := range proc {
		if old, ok := m[p.Key]; ok {
			p.Shadows = append(p.Shadows, Shadowed{Value: old.Value, Source: old.Source, Secret: old.Secret})
			p.Shadows = append(p.Shadows, old.Shadows...)
		}
		m[p.Key] = p
	}
	entries := make([]Entry, 0, len(m))
	for _, e := range m {
		entries = append(entries, e)
	}
	return NewConfig(entries)
}

func fileErr(err error) error {
	if pe, ok := err.(*envfile.ParseError); ok {
		return &InputError{File: pe.File, Line: pe.Line, Msg: pe.Err.Error()}
	}
	return err
}

// copyChart returns a shallow copy of c whose dependency metadata can be
// changed without touching c.
func copyChart(c *chart.Chart) *chart.Chart {
	cp := *c
	md := *c.Metadata
	md.Dependencies = nil
	for _, d := range c.Metadata.Dependencies {
		dd := *d
		md.Dependencies = append(md.Dependencies, &dd)
	}
	cp.Metadata = &md
	return &cp
}
