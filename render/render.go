package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
)

// Renderer renders the environments of one project. It loads the chart
// and parses each values file once, and is safe for concurrent use:
// environments render in parallel, each on its own copy of what Helm's
// dependency processing writes (copyChart).
type Renderer struct {
	p *project.Project

	// root is the project directory, confined: every file rendering
	// reads (the chart, values files, configs/) is read through it.
	rootOnce sync.Once
	root     *confine.Root
	rootErr  error

	mu        sync.Mutex // guards parsed
	once      sync.Once
	chart     *chart.Chart
	templates map[string][]string // split once: provenance looks up lines per key
	reads     *valuesReads        // what the templates read of .Values
	// traceTpls are the templates marked renders use instead (see
	// traceTemplates).
	traceTpls map[*common.File]*common.File
	// onceTpls are the templates the plain render uses instead (see
	// onceTemplates).
	onceTpls  map[*common.File]*common.File
	subValues []subValues // the vendored subcharts' values.yaml
	err       error
	// parsed are the values files read and not yet used by every
	// environment that names them, by name, with their error: an
	// environment that shares a file with another does not parse or
	// decrypt it again, and a file no environment will read again is not
	// kept.
	parsed map[string]*parsedValues
	// standIns: see ForCheck.
	standIns bool
	// notVendored is why the chart's declared dependencies are missing,
	// with standIns: its own templates render without them.
	notVendored *InputError
	// local maps the path Helm gives each file:// dependency under the
	// chart to its directory in the project (see localDeps).
	local       map[string]string
	missingDeps []string // their names (aliases) as values keys
}

// ForCheck lets r's renders go on where Helm would stop, for a
// check: when a SOPS values file cannot be decrypted (no sops, no
// key), each encrypted value becomes a stand-in, secret like a decrypted
// one, and the Result's NotDecrypted says which files and why; when the
// chart's dependencies are not vendored, its own templates render
// without them and NotVendored says so. A check can then read everything
// else of the environment; nothing that deploys may use it. Call it
// before the first render.
func (r *Renderer) ForCheck() { r.standIns = true }

type parsedValues struct {
	once sync.Once
	uses int // the renders still to read it
	vf   *valuesFile
	err  error
}

// values parses the values file name once for the environments of the
// project that read it.
func (r *Renderer) values(name string) (*valuesFile, error) {
	r.mu.Lock()
	pv := r.parsedEntry(name)
	if pv.uses--; pv.uses <= 0 {
		delete(r.parsed, name)
	}
	r.mu.Unlock()
	pv.once.Do(func() { pv.vf, pv.err = parseValues(r.root, name, r.standIns) })
	return pv.vf, pv.err
}

// prefetch starts parsing values file name for the first environment
// that reads it: the chart's values.yaml is parsed for its lines while
// Helm's loader parses it for its values. wait waits for the parse.
func (r *Renderer) prefetch(name string) (wait func()) {
	r.mu.Lock()
	pv := r.parsedEntry(name)
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pv.once.Do(func() { pv.vf, pv.err = parseValues(r.root, name, r.standIns) })
	}()
	return func() { <-done }
}

// parsedValues are the values of values file name, parsed by prefetch,
// for Helm's loader to take instead of parsing the file again; ok is
// false when the parse failed (the loader reports it, as ever) or the
// file is SOPS-encrypted (the loader reads the committed text).
func (r *Renderer) parsedValues(name string) (map[string]any, bool) {
	r.mu.Lock()
	pv := r.parsed[name]
	r.mu.Unlock()
	if pv == nil || pv.err != nil || pv.vf.encrypted {
		return nil, false
	}
	vals, err := pv.vf.helmValues()
	return vals, err == nil
}

// parsedEntry is the entry of values file name in r.parsed, made when
// missing; r.mu is held.
func (r *Renderer) parsedEntry(name string) *parsedValues {
	pv, ok := r.parsed[name]
	if !ok {
		if r.parsed == nil {
			r.parsed = map[string]*parsedValues{}
		}
		pv = &parsedValues{uses: r.readers(name)}
		r.parsed[name] = pv
	}
	return pv
}

// readers counts the project's environments that read values file name:
// every one reads the chart's values.yaml.
func (r *Renderer) readers(name string) int {
	if name == path.Join(r.p.Chart, "values.yaml") {
		return len(r.p.Environments)
	}
	n := 0
	for _, e := range r.p.Environments {
		n += len(slices.DeleteFunc(slices.Clone(e.Values), func(v string) bool { return v != name }))
	}
	return n
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

// openRoot opens the project directory once.
func (r *Renderer) openRoot() (*confine.Root, error) {
	r.rootOnce.Do(func() { r.root, r.rootErr = confine.Open(r.p.Dir) })
	return r.root, r.rootErr
}

func (r *Renderer) load() error {
	r.once.Do(func() {
		root, err := r.openRoot()
		if err != nil {
			r.err = err
			return
		}
		base := path.Join(r.p.Chart, "values.yaml")
		var baseValues func() (map[string]any, bool)
		if st, err := root.Stat(base); err == nil && st.Mode().IsRegular() {
			// A load that fails returns once the parse has: nothing of
			// this render outlives it.
			wait := r.prefetch(base)
			defer wait()
			baseValues = func() (map[string]any, bool) {
				wait()
				return r.parsedValues(base)
			}
		}
		var files []*archive.BufferedFile
		var notVendored *InputError
		r.chart, files, r.local, notVendored, r.err = loadChart(root, r.p.Chart, baseValues)
		if r.err != nil {
			return
		}
		if notVendored != nil {
			if !r.standIns {
				r.err = notVendored
				return
			}
			// For a check: the chart's own templates render without the
			// dependencies charts/ lacks, and the Result says which.
			r.notVendored = notVendored
			r.chart.Metadata.Dependencies = slices.DeleteFunc(slices.Clone(r.chart.Metadata.Dependencies), func(d *chart.Dependency) bool {
				missing := !slices.ContainsFunc(r.chart.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name })
				if missing {
					r.missingDeps = append(r.missingDeps, cmp.Or(d.Alias, d.Name))
				}
				return missing
			})
		}
		if !hasTemplates(r.chart) {
			r.err = &InputError{File: path.Join(r.p.Chart, "templates"), Msg: "the chart has no templates: there is nothing to render"}
			if r.notVendored != nil {
				// An umbrella over dependencies charts/ lacks: those are
				// what is missing (a check still reads its values).
				r.err = r.notVendored
			}
			return
		}
		r.reads = chartReads(r.chart)
		for _, d := range r.missingDeps {
			r.reads.paths[d] = true // what configures a subchart charts/ lacks is its to read
		}
		r.traceTpls = traceTemplates(r.chart)
		r.onceTpls = onceTemplates(r.chart, r.traceTpls)
		r.loadSubValues(files)
		r.templates = map[string][]string{}
		for _, t := range r.chart.Templates {
			r.templates[path.Join(r.p.Chart, t.Name)] = strings.Split(string(t.Data), "\n")
		}
	})
	return r.err
}

// Render renders environment env, in named steps (see renderRun).
func (r *Renderer) Render(ctx context.Context, env string) (*Result, error) {
	return r.render(ctx, env, nil)
}

// render is Render, with outside (when not nil) adding to the merged
// values after --set (see RenderOutside).
func (r *Renderer) render(ctx context.Context, env string, outside func(user map[string]any, sources map[string]Source) error) (*Result, error) {
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
	run := &renderRun{Renderer: r, e: e, res: res, outside: outside}
	defer func() { run.marked.stop() }() // set by startTrace
	steps := []func(context.Context) error{
		run.readValues,      // every values file, with the line of each key
		run.coalesce,        // the values Helm renders with, within limits
		run.renderManifests, // the templates, into objects
		run.startTrace,      // the marked render, once the plain one stands
		run.traceSources,    // where each rendered field came from
		run.describe,        // objects, secrets, workloads, references
		run.layerConfig,     // the file layer under each container's env
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			if r.notVendored != nil {
				// Without its subcharts the chart may not render at all
				// (a template includes one of theirs): the missing
				// dependency is the error to report.
				return nil, r.notVendored
			}
			return nil, err
		}
	}
	res.NotVendored = r.notVendored
	res.LocalCharts = localScopes(r.p.Chart, r.local)
	return res, nil
}

// renderRun is one environment's render as it goes through its steps.
type renderRun struct {
	*Renderer
	e   *project.Environment
	res *Result

	sealed []string       // values decrypted from SOPS files
	user   map[string]any // the environment's values files and --set, merged
	c      *chart.Chart   // this render's copy of the chart
	tc     *chart.Chart   // c with the templates marked renders use
	top    common.Values  // what the templates see: .Values, .Release, …
	objs   []manifest
	rs     *resolver
	marked *markedRun // the first marked render, started ahead
	// outside adds the stand-ins of RenderOutside; nil for Render.
	outside func(user map[string]any, sources map[string]Source) error
}

// readValues records where each key of the environment's values files
// is set, lowest layer first (the subcharts', the chart's values.yaml
// whether or not the environment lists it, then the environment's files
// and --set), and merges the environment's values.
func (run *renderRun) readValues(context.Context) error {
	res := run.res
	base := path.Join(run.p.Chart, "values.yaml")
	var baseVF *valuesFile
	if _, err := run.root.Stat(base); err == nil {
		if baseVF, err = run.values(base); err != nil {
			return err
		}
		if len(res.ValueSources) == 0 && baseVF.root != nil {
			// Sized once: a large values.yaml grew it key by key.
			res.ValueSources = make(map[string]Source, countPaths(baseVF.root))
		}
	}
	run.subchartSources(res.ValueSources)
	if baseVF != nil {
		baseVF.record(res.ValueSources, &res.Warnings, &res.Duplicates)
		run.sealed = append(run.sealed, baseVF.sealed...)
	}
	run.user = map[string]any{}
	for _, name := range run.e.Values {
		if path.Clean(name) == base {
			continue // the chart's defaults: coalesced by Helm below
		}
		vf, err := run.values(name)
		if err != nil {
			return err
		}
		vf.record(res.ValueSources, &res.Warnings, &res.Duplicates)
		if vf.notDecrypted != nil {
			res.NotDecrypted = append(res.NotDecrypted, *vf.notDecrypted)
		}
		vals, err := vf.helmValues()
		if err != nil {
			return err
		}
		run.sealed = append(run.sealed, vf.sealed...)
		run.user = loader.MergeMaps(run.user, copyValues(vals).(map[string]any))
	}
	if err := applySet(run.user, run.e, res.ValueSources); err != nil {
		return err
	}
	if run.outside != nil {
		return run.outside(run.user, res.ValueSources)
	}
	return nil
}

// coalesce coalesces the environment's values with the chart's, as helm
// install does, on a copy of the chart (Helm marks dependencies enabled
// or disabled in its metadata and imports values into it), and refuses
// values beyond the limits.
func (run *renderRun) coalesce(context.Context) error {
	valuesFile := path.Join(run.p.Chart, "values.yaml")
	run.c = copyChart(run.chart)
	if w := project.WerfProject(filepath.Join(run.p.Dir, filepath.FromSlash(run.p.Chart))); w != "" {
		run.user = loader.MergeMaps(werfValues(run.e.Name, run.e.Namespace, w), run.user)
	}
	top, err := renderValues(run.c, run.user, run.e.Release, run.e.Namespace)
	if err != nil {
		return scrubbed(&InputError{File: valuesFile, Msg: "coalescing values: " + err.Error()}, common.Values{"Values": run.user})
	}
	run.top = top
	if err := checkValuesTree(top["Values"], "the values of "+run.e.Name+" (the chart's and its subcharts')"); err != nil {
		return &InputError{File: valuesFile, Msg: err.Error()}
	}
	if vals, ok := top["Values"].(common.Values); ok {
		return checkTplChains(vals, run.res.ValueSources)
	}
	return nil
}

// renderManifests renders the templates within the limits and parses
// them into the release's objects, as an install would create them.
func (run *renderRun) renderManifests(ctx context.Context) error {
	rendered, ok, err := renderOnce(ctx, run.c, run.top, run.onceTpls)
	if !ok && err == nil {
		rendered, err = boundedRender(ctx, run.c, run.top)
	}
	if errors.Is(err, errBudget) {
		return &InputError{File: path.Join(run.p.Chart, "templates"), Msg: err.Error()}
	}
	if err != nil {
		return scrubbed(run.localErr(templateErr(run.p.Chart, run.c.Name(), err)), run.top)
	}
	objs, err := run.splitManifests(rendered)
	if err != nil {
		return scrubbed(err, run.top)
	}
	objs, dups := dedupeObjects(objs, run.e.Namespace)
	run.res.Warnings = append(run.res.Warnings, dups...)
	placeNamespaces(objs, run.e.Namespace)
	for i := range objs {
		objs[i].idx = i
	}
	run.objs = objs
	run.res.Namespace = run.e.Namespace
	if v, ok := run.top["Values"].(interface{ AsMap() map[string]any }); ok {
		run.res.Values = v.AsMap()
	} else if m, ok := run.top["Values"].(map[string]any); ok {
		run.res.Values = m
	}
	return nil
}

// splitManifests is splitManifests of this chart, each object at its
// template's path in the project.
func (run *renderRun) splitManifests(rendered map[string]string) ([]manifest, error) {
	objs, err := splitManifests(rendered, run.p.Chart, run.c.Name())
	if len(run.local) > 0 {
		for i := range objs {
			objs[i].template = localPath(run.local, objs[i].template)
		}
	}
	return objs, err
}

// localErr names a file:// dependency's templates in a template error
// where they are in the project.
func (run *renderRun) localErr(err error) error {
	var ie *InputError
	if len(run.local) == 0 || !errors.As(err, &ie) {
		return err
	}
	cp := *ie
	cp.File = localPath(run.local, ie.File)
	for from, to := range run.local {
		cp.Msg = strings.ReplaceAll(cp.Msg, from+"/", to+"/")
	}
	return &cp
}

// startTrace starts the first marked render (see traced). It starts
// after the plain render has succeeded, not beside it: a chart whose
// templates fail (a runaway include) then costs one render's memory and
// time, not two, and on a busy machine the overlap saved nothing
// measurable.
func (run *renderRun) startTrace(ctx context.Context) error {
	run.tc = withTraceTemplates(run.c, run.traceTpls)
	run.marked = startMarked(ctx, run.tc, run.top, run.twins)
	return nil
}

// twins parses a marked render's output into objects, as
// renderManifests does the plain render's.
func (run *renderRun) twins(out map[string]string) ([]manifest, error) {
	twins, err := run.splitManifests(out)
	if err != nil {
		return nil, err
	}
	twins, _ = dedupeObjects(twins, run.e.Namespace)
	return twins, nil
}

// traceSources finds where each rendered field came from, in the
// marked render(s) (see traced), and checks the objects as the API
// server would.
func (run *renderRun) traceSources(ctx context.Context) error {
	res := run.res
	run.rs = &resolver{objects: run.objs, sources: res.ValueSources, templates: run.templates, values: res.Values, warnings: &res.Warnings}
	t, twins, skipped := traced(ctx, run.tc, run.top, run.marked, run.twins, len(run.objs))
	if t != nil {
		run.rs.taint, run.rs.marked, run.rs.skipped = t, twins, skipped
		if len(skipped) > 0 {
			res.Warnings = append(res.Warnings, untracedWarning(skipped))
		}
	} else {
		res.Warnings = append(res.Warnings, "the chart could not be rendered with traced values, so sources are unknown: a template parses or compares a value as a number or version")
	}
	res.Invalid = run.rs.apiCheck(run.objs, run.e.Release)
	for i, iv := range res.Invalid {
		res.Invalid[i].Msg = secret.ScrubRenderError(iv.Msg, res.Values)
		res.Warnings = append(res.Warnings, (&InputError{File: iv.File, Line: iv.Line, Msg: res.Invalid[i].Msg + "; the install would fail"}).Error())
	}
	return nil
}

// describe lists the objects, the Secrets' values, the workloads with
// their containers' environments, what they reference that nothing in
// the chart provides, and the values nothing reads.
func (run *renderRun) describe(context.Context) error {
	res := run.res
	var unprovided []Reference
	for _, o := range run.objs {
		kind := str(o.body, "kind")
		res.Objects = append(res.Objects, Object{
			Kind: kind, Name: str(o.body, "metadata", "name"),
			Namespace: o.ns, Template: o.template, Body: o.body,
		})
		if o.ns != "" && !slices.Contains(res.Namespaces, o.ns) {
			res.Namespaces = append(res.Namespaces, o.ns)
		}
		if kind == "Secret" {
			run.secretValues(o)
		}
		if PodSpecPath(kind) == nil {
			continue
		}
		w := run.workload(run.rs, o)
		res.Workloads = append(res.Workloads, w)
		unprovided = append(unprovided, run.rs.podReferences(o, dig(o.body, PodSpecPath(w.Kind)...), w.Kind+"/"+w.Name)...)
	}
	run.unprovided(unprovided)
	res.Unread = unread(run.reads, res.ValueSources, res.Values, envFiles(run.p.Chart, run.e.Values))
	slices.Sort(res.Namespaces)
	return nil
}

// secretValues records a rendered Secret's values with their sources.
func (run *renderRun) secretValues(o manifest) {
	for _, k := range sortedKeys(o.data) {
		run.res.SecretValues = append(run.res.SecretValues, SecretValue{
			Secret: str(o.body, "metadata", "name"), Key: k, Value: o.data[k],
			Source: run.rs.provenance(o, dataKey(k), k),
		})
	}
}

// unprovided keeps the references no rendered object provides, and marks
// the workloads' providers.
func (run *renderRun) unprovided(refs []Reference) {
	if len(refs) == 0 {
		return
	}
	res := run.res
	made := provided(run.objs)
	for _, ref := range refs {
		if made[ref.Kind+"/"+ref.Namespace+"/"+ref.Name] == "" && !slices.Contains(res.Unprovided, ref) {
			res.Unprovided = append(res.Unprovided, ref)
		}
	}
	markProviders(res.Workloads, made, res.Unprovided)
}

// layerConfig puts each container's environment over the GoFr file
// layer its image carries, and picks the service's own container.
func (run *renderRun) layerConfig(context.Context) error {
	res := run.res
	serviceImage := run.p.Image
	if serviceImage == "" {
		serviceImage = valuesImage(res.Values)
	}
	wi, ci := primary(res.Workloads, serviceImage, run.e.Release, run.p.Service)
	primaryRepo := ""
	if wi >= 0 {
		primaryRepo = imageRepo(res.Workloads[wi].Containers[ci].Image)
	}
	files := map[string]*fileLayer{}
	for i := range res.Workloads {
		for j := range res.Workloads[i].Containers {
			if err := run.containerConfig(&res.Workloads[i].Containers[j], primaryRepo, files); err != nil {
				return err
			}
		}
	}
	if len(run.sealed) > 0 {
		seal(res, run.sealed)
	}
	if len(res.NotDecrypted) > 0 {
		unknownStandIns(res)
	}
	if wi < 0 {
		res.Primary = -1
		// A chart without a workload still has the image's file layer.
		fc, err := run.files(files, run.e.Name, &res.Warnings)
		if err != nil {
			return err
		}
		res.Config = layer(fc, nil)
		return nil
	}
	res.Primary = wi
	c := res.Workloads[wi].Containers[ci]
	res.Config, res.Image = c.Config, c.Image
	res.Workloads[wi].Containers[ci].Primary = true
	return nil
}

// containerConfig layers one container's environment over the file
// layer. The GoFr file layer is baked into the service's own image: a
// container running another image (a Redis subchart, a proxy sidecar)
// does not have it.
func (run *renderRun) containerConfig(c *Container, primaryRepo string, files map[string]*fileLayer) error {
	fc := &fileLayer{}
	if primaryRepo == "" || imageRepo(c.Image) == primaryRepo {
		appEnv := ""
		for _, en := range c.env {
			if en.Key == "APP_ENV" && !en.External {
				appEnv = en.Value
			}
		}
		var err error
		if fc, err = run.files(files, appEnv, &run.res.Warnings); err != nil {
			return err
		}
	}
	c.Config = layer(fc, c.env)
	c.Config.Unrendered = c.unrendered
	c.env = nil
	return nil
}

// PodSpecPath is where a workload kind keeps its pod spec; nil for kinds
// that run no pods. The targets that pin or read pods ask it too.
func PodSpecPath(kind string) []string {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return []string{"spec", "template", "spec"}
	case "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	case "Pod":
		return []string{"spec"}
	}
	return nil
}

func (r *Renderer) workload(rs *resolver, o manifest) Workload {
	kind := str(o.body, "kind")
	podPath := PodSpecPath(kind)
	pod := dig(o.body, podPath...)
	rs.links = rs.linksFor(o.ns)
	if on, ok := pod["enableServiceLinks"].(bool); ok && !on {
		rs.links = nil
	}
	w := Workload{
		Kind:                          kind,
		Name:                          str(o.body, "metadata", "name"),
		Namespace:                     o.ns,
		Replicas:                      toInt(dig(o.body, "spec")["replicas"], 1),
		TerminationGracePeriodSeconds: toInt(pod["terminationGracePeriodSeconds"], 30),
		PodAnnotations:                map[string]string{},
		Template:                      o.template,
	}
	meta := podPath[:len(podPath)-1]
	for k, v := range dig(o.body, append(slices.Clone(meta), "metadata", "annotations")...) {
		w.PodAnnotations[k] = scalar(v)
	}
	reads := map[string]bool{}
	for _, field := range []string{"initContainers", "containers"} {
		for i, ci := range list(pod[field]) {
			cm, _ := ci.(map[string]any)
			c := Container{
				Name: str(cm, "name"), Image: str(cm, "image"), Template: o.template,
				Ports: map[string]int{}, Probes: map[string]Probe{}, Init: field == "initContainers",
			}
			for _, f := range []string{"command", "args"} {
				for _, a := range list(cm[f]) {
					c.Command = append(c.Command, scalar(a))
				}
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
			c.env, c.unrendered = rs.containerEnv(o, podPath, field, i, cm, reads)
			c.ImageFrom, c.ImageTraced = rs.valuesRead(o, func(m manifest) (string, bool) {
				cs := list(dig(m.body, podPath...)[field])
				if i >= len(cs) {
					return "", false
				}
				cm, _ := cs[i].(map[string]any)
				return str(cm, "image"), true
			})
			c.ImageTag = rs.imageTag(o.template, c.Image, c.ImageFrom, c.ImageTraced)
			w.Containers = append(w.Containers, c)
		}
	}
	w.Reads = sortedKeys(reads)
	return w
}

// primary picks the workload and container that run the service: the
// container running the service's image (in a workload named like the
// release or service when several do), else the workload named like the
// release or service, else the first workload. Init containers are never
// primary. It returns -1 when there is no workload.
func primary(ws []Workload, image, release, service string) (wi, ci int) {
	named := func(w Workload) bool { return w.Name == release || w.Name == service }
	first := func(w Workload) int {
		for j, c := range w.Containers {
			if !c.Init && (c.Name == service || c.Name == release) {
				return j
			}
		}
		for j, c := range w.Containers {
			if !c.Init {
				return j
			}
		}
		return -1
	}
	if repo := imageRepo(image); repo != "" {
		best, bestC := -1, -1
		for i, w := range ws {
			for j, c := range w.Containers {
				if c.Init || imageRepo(c.Image) != repo {
					continue
				}
				if best < 0 || (named(w) && !named(ws[best])) {
					best, bestC = i, j
				}
				break
			}
		}
		if best >= 0 {
			return best, bestC
		}
	}
	for i, w := range ws {
		if named(w) {
			if j := first(w); j >= 0 {
				return i, j
			}
		}
	}
	for i, w := range ws {
		if j := first(w); j >= 0 {
			return i, j
		}
	}
	return -1, -1
}

// imageRepo is an image reference without its tag or digest.
func imageRepo(ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// valuesImage is the conventional image.repository (with image.registry)
// of the chart's values, "" when the chart has none.
func valuesImage(vals map[string]any) string {
	img, _ := vals["image"].(map[string]any)
	repo, _ := img["repository"].(string)
	if repo == "" {
		return ""
	}
	if reg, _ := img["registry"].(string); reg != "" {
		repo = reg + "/" + repo
	}
	return repo
}

// fileLayer is the image's GoFr file layer for one APP_ENV, as entries
// (each judged secret once, however many containers it lies under).
type fileLayer struct {
	keys []string
	vars map[string]Entry
}

// newFileLayer makes the entries of the file layer c.
func newFileLayer(c *envfile.Config) *fileLayer {
	fl := &fileLayer{vars: map[string]Entry{}}
	for _, v := range c.Vars() {
		e := Entry{Key: v.Key, Value: v.Value, Source: Source{Kind: KindFile, File: v.Source.File, Line: v.Source.Line}, Secret: secret.Is(v.Key, v.Value)}
		for _, s := range v.Shadows {
			e.Shadows = append(e.Shadows, Shadowed{Value: s.Value, Source: Source{Kind: KindFile, File: s.Source.File, Line: s.Source.Line}, Secret: e.Secret})
		}
		if _, ok := fl.vars[v.Key]; !ok {
			fl.keys = append(fl.keys, v.Key)
		}
		fl.vars[v.Key] = e
	}
	return fl
}

// files loads the image's GoFr file layer for appEnv, once per value.
func (r *Renderer) files(cache map[string]*fileLayer, appEnv string, warnings *[]string) (*fileLayer, error) {
	if c, ok := cache[appEnv]; ok {
		return c, nil
	}
	if r.p.Configs == "" {
		c := &fileLayer{}
		cache[appEnv] = c
		return c, nil
	}
	root, err := r.openRoot()
	if err != nil {
		return nil, err
	}
	c, err := envfile.LoadFiles(root.FS(), r.p.Configs, appEnv)
	if err != nil {
		return nil, fileErr(err)
	}
	*warnings = append(*warnings, c.Warnings...)
	fl := newFileLayer(c)
	cache[appEnv] = fl
	return fl, nil
}

// chartless is a project with configs/ only: the process gets APP_ENV
// from ferry, the files do the rest.
func (r *Renderer) chartless(res *Result, e *project.Environment) (*Result, error) {
	fc, err := r.files(map[string]*fileLayer{}, e.Name, &res.Warnings)
	if err != nil {
		return nil, err
	}
	res.Config = layer(fc, []Entry{{Key: "APP_ENV", Value: e.Name, Source: Source{Kind: KindProject, Detail: "(the environment's name)"}}})
	return res, nil
}

// layer puts the process environment over the file layer. proc holds
// each key once (envList.entries), and is the caller's to give: its
// entries are shadowed in place, not copied.
func layer(files *fileLayer, proc []Entry) *Config {
	entries := slices.Grow(proc, len(files.keys))
	var hidden map[string]bool // the file keys proc sets
	for i := range entries {
		p := &entries[i]
		if old, ok := files.vars[p.Key]; ok {
			p.Shadows = append(p.Shadows, Shadowed{Value: old.Value, Source: old.Source, Secret: old.Secret})
			p.Shadows = append(p.Shadows, old.Shadows...)
			if hidden == nil {
				hidden = map[string]bool{}
			}
			hidden[p.Key] = true
		}
	}
	for _, k := range files.keys {
		if hidden[k] {
			continue
		}
		e := files.vars[k]
		// Each container's entries are its own: seal marks them in place.
		e.Shadows = slices.Clone(e.Shadows)
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

// copyChart returns a copy of c and its subcharts whose dependency
// metadata, dependency lists and (where a chart has dependencies) values
// Helm's dependency processing (conditions, tags, import-values) can
// change without touching c: one
// environment's conditions do not leak into the next, and environments
// render concurrently from one loaded chart. Templates and files are
// shared: nothing writes them.
func copyChart(c *chart.Chart) *chart.Chart {
	cp := *c
	md := *c.Metadata
	md.Dependencies = nil
	for _, d := range c.Metadata.Dependencies {
		dd := *d
		md.Dependencies = append(md.Dependencies, &dd)
	}
	cp.Metadata = &md
	if c.Values != nil && len(c.Metadata.Dependencies) > 0 {
		// Only a chart with dependencies has values imported into it.
		cp.Values = copyValues(c.Values).(map[string]any)
	}
	subs := make([]*chart.Chart, 0, len(c.Dependencies()))
	for _, d := range c.Dependencies() {
		subs = append(subs, copyChart(d))
	}
	cp.SetDependencies(subs...)
	return &cp
}

// hasTemplates reports whether c or one of its subcharts has a template
// that renders a manifest.
func hasTemplates(c *chart.Chart) bool {
	for _, t := range c.Templates {
		if !strings.HasPrefix(path.Base(t.Name), "_") && !strings.HasSuffix(t.Name, "NOTES.txt") {
			return true
		}
	}
	for _, d := range c.Dependencies() {
		if hasTemplates(d) {
			return true
		}
	}
	return false
}

// applySet applies the deploy command's --set and --set-string keys after
// the values files, as Helm does, and records the command's line as
// their source. A value CI fills in (${{ github.sha }}) is kept as
// written: it is known only when the pipeline runs.
func applySet(user map[string]any, e *project.Environment, sources map[string]Source) error {
	for _, s := range e.Set {
		kv := s.Path + "=" + s.Value
		var err error
		switch {
		case s.ByCI && listOfCI(s.Value):
			// --set hosts="{$HOST}": the braces are the command's, a list
			// of what CI fills in.
			err = strvals.ParseInto(kv, user)
		case s.ByCI:
			// What CI fills in is one string, whatever braces or commas
			// its expression holds.
			err = strvals.ParseLiteralInto(kv, user)
		case s.String:
			err = strvals.ParseIntoString(kv, user)
		default:
			err = strvals.ParseInto(kv, user)
		}
		if err != nil {
			return &InputError{File: e.Deploy.File, Line: e.Deploy.Line, Msg: fmt.Sprintf("--set %s: %v", s.Path, err)}
		}
		for p := range sources {
			if strings.HasPrefix(p, s.Path+".") || strings.HasPrefix(p, s.Path+"[") {
				delete(sources, p)
			}
		}
		line, detail := s.ValueSource(e.Deploy.Line) // the line defining its $VAR, else the flag's
		sources[s.Path] = Source{Kind: KindCI, File: e.Deploy.File, Line: line, Detail: detail, CI: s.ByCI}
	}
	return nil
}

// listOfCI reports a --set value written as a list whose items CI fills
// in: "{$HOST}", "{${HOST},www.${HOST}}"; not "${{ x }}", whose braces are
// the expression's.
func listOfCI(v string) bool {
	return strings.HasPrefix(v, "{") && !strings.HasPrefix(v, "{{") && strings.HasSuffix(v, "}")
}

// subchartSources records the lines of the vendored subcharts' own
// values.yaml files under their names (postgresql.image.tag at
// chart/charts/postgresql/values.yaml:188), lowest layer first: what the
// parent's values set replaces them. A packaged subchart (.tgz) has no
// line ferry can point at; its values stay unknown.
func (r *Renderer) subchartSources(sources map[string]Source) {
	for _, sv := range r.subValues {
		// The subchart author's repeated keys are not the user's to fix.
		var discard []Duplicate
		var quiet []string
		walkValues(sv.file, sv.root, sv.prefix, sources, &quiet, &discard)
	}
}

// subValues is a vendored subchart's values.yaml, parsed once.
type subValues struct {
	file, prefix string
	root         *yaml.Node
}

// loadSubValues parses the values.yaml of each subchart vendored as a
// directory, among the chart's files as read.
func (r *Renderer) loadSubValues(files []*archive.BufferedFile) {
	aliases := map[string]string{}
	for _, d := range r.chart.Metadata.Dependencies {
		if d.Alias != "" {
			aliases[d.Name] = d.Alias
		}
	}
	for _, sub := range r.chart.Dependencies() {
		file := path.Join(r.p.Chart, "charts", sub.Name(), "values.yaml")
		data := chartFile(files, path.Join("charts", sub.Name(), "values.yaml"))
		if data == nil {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || nodeTooDeep(&doc, 2*limits.ValuesDepth+2) {
			continue
		}
		prefix := sub.Name()
		if a, ok := aliases[prefix]; ok {
			prefix = a
		}
		if dir, ok := r.local[path.Join(r.p.Chart, "charts", prefix)]; ok {
			file = path.Join(dir, "values.yaml") // a file:// dependency
		}
		r.subValues = append(r.subValues, subValues{file: file, prefix: prefix, root: doc.Content[0]})
	}
}
