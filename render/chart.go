package render

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/Masterminds/semver/v3"
	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/secret"
)

// loadChart loads the chart at rel, relative to the project root. It
// returns the chart's files as read (nil for a packaged chart), and
// notVendored when dependencies are declared but not vendored, which
// helm install refuses, and the file:// dependencies it loaded from the
// project (see localDeps). values, when not nil, gives the chart's
// values.yaml as already parsed (see loadChartFiles).
func loadChart(root *confine.Root, rel string, values func() (map[string]any, bool)) (c *chart.Chart, files []*archive.BufferedFile, local map[string]string, notVendored *InputError, err error) {
	return loadChartIn(root, rel, values, nil)
}

// loadChartIn is loadChart for a chart that the charts in stack depend
// on through file:// paths.
func loadChartIn(root *confine.Root, rel string, values func() (map[string]any, bool), stack []string) (c *chart.Chart, files []*archive.BufferedFile, local map[string]string, notVendored *InputError, err error) {
	if err := chartFileIsFile(root, rel, "Chart.yaml"); err != nil {
		return nil, nil, nil, nil, err
	}
	files, c, err = loadChartFiles(root, rel, values)
	if errors.Is(err, confine.ErrRefused) {
		return nil, nil, nil, nil, err
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return nil, nil, nil, nil, err
	}
	if err := checkChartFile(rel, chartFile(files, "Chart.yaml")); err != nil {
		return nil, nil, nil, nil, err
	}
	if err != nil {
		if verr := checkChartValues(rel, chartFile(files, "values.yaml"), err); verr != nil {
			return nil, nil, nil, nil, verr
		}
		return nil, nil, nil, nil, chartErr(rel, err)
	}
	if files == nil {
		return c, nil, nil, vendored(c, rel), nil // a packaged chart carries its dependencies
	}
	local = map[string]string{}
	if err := localDeps(root, rel, c, &files, local, append(stack, rel)); err != nil {
		return nil, nil, nil, nil, err
	}
	return c, files, local, vendored(c, rel), nil
}

// localDeps adds to c the dependencies charts/ lacks whose repository is
// a file:// path: `helm dependency build` would package them from there,
// so they are read from that directory of the project, through root (a
// path that leaves the project is refused). A subchart whose version
// the dependency's constraint refuses fails as the build does; one whose
// directory is missing stays not vendored. local gets, for each subchart
// added, the path Helm gives it under the chart (chart/charts/api, or
// each alias, which Helm names a copy after) mapped to
// its directory; files gets its files under charts/<name>/ (its
// values.yaml gives provenance). stack holds rel and the charts that
// depend on it, which it does not load again.
func localDeps(root *confine.Root, rel string, c *chart.Chart, files *[]*archive.BufferedFile, local map[string]string, stack []string) error {
	if c.Metadata == nil {
		return nil
	}
	chartYAML := path.Join(rel, "Chart.yaml")
	dirs := map[string]string{} // name → directory, of those added
	for _, d := range c.Metadata.Dependencies {
		p, ok := strings.CutPrefix(d.Repository, "file://")
		if !ok || slices.ContainsFunc(c.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name }) {
			continue
		}
		dir := p
		if !path.IsAbs(p) {
			dir = path.Join(rel, p)
		}
		st, err := root.Stat(dir)
		if errors.Is(err, confine.ErrRefused) {
			return fmt.Errorf("%s: dependency %s (repository %s): %w", chartYAML, d.Name, d.Repository, err)
		}
		if err != nil || !st.IsDir() || slices.Contains(stack, dir) {
			continue // helm dependency build fails (or loops): not vendored
		}
		sub, subFiles, subLocal, _, err := loadChartIn(root, dir, nil, stack)
		if err != nil {
			return err
		}
		if sub.Name() != d.Name {
			continue // packaged under its own name, which install does not find
		}
		if err := localVersion(chartYAML, d, dir, sub); err != nil {
			return err
		}
		at := "charts/" + d.Name
		dirs[d.Name] = dir
		for k, v := range subLocal {
			local[path.Join(rel, at, strings.TrimPrefix(k, dir+"/"))] = v
		}
		for _, f := range subFiles {
			*files = append(*files, &archive.BufferedFile{Name: at + "/" + f.Name, ModTime: f.ModTime, Data: f.Data})
		}
		c.AddDependency(sub)
	}
	for _, d := range c.Metadata.Dependencies {
		if dir, ok := dirs[d.Name]; ok {
			local[path.Join(rel, "charts", cmp.Or(d.Alias, d.Name))] = dir
		}
	}
	return nil
}

// localVersion refuses a file:// subchart whose version the
// dependency's constraint excludes, as helm dependency build does. An
// empty constraint takes any version.
func localVersion(chartYAML string, d *chart.Dependency, dir string, sub *chart.Chart) error {
	if d.Version == "" {
		return nil
	}
	want, err := semver.NewConstraint(d.Version)
	if err != nil {
		return &InputError{File: chartYAML, Msg: fmt.Sprintf("dependency %s: version %q is not a version constraint: %v", d.Name, d.Version, err)}
	}
	if v, err := semver.NewVersion(sub.Metadata.Version); err == nil && !want.Check(v) {
		return &InputError{File: chartYAML, Msg: fmt.Sprintf(
			"dependency %s wants version %s, %s has %s: helm dependency build fails the same way", d.Name, d.Version, path.Join(dir, "Chart.yaml"), sub.Metadata.Version)}
	}
	return nil
}

// localScopes is Result.LocalCharts of a chart at rel whose file://
// dependencies are local (see localDeps); nil when it has none.
func localScopes(rel string, local map[string]string) map[string]string {
	if len(local) == 0 {
		return nil
	}
	out := map[string]string{}
	for at, dir := range local {
		scope := ""
		for _, name := range strings.Split(strings.TrimPrefix(at, rel+"/"), "/") {
			if name != "charts" {
				scope += name + "."
			}
		}
		if old, ok := out[dir]; ok && old != scope {
			scope = ""
		}
		out[dir] = scope
	}
	return out
}

// localPath maps a path Helm gives a file of a file:// dependency
// (chart/charts/api/templates/x.yaml) to where it is in the project
// (api/chart/templates/x.yaml); local is as localDeps fills it.
func localPath(local map[string]string, p string) string {
	best := ""
	for from := range local {
		if len(from) > len(best) && strings.HasPrefix(p, from+"/") {
			best = from
		}
	}
	if best == "" {
		return p
	}
	return local[best] + p[len(best):]
}

// vendored says which dependencies are declared but not vendored.
func vendored(c *chart.Chart, rel string) *InputError {
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if !slices.ContainsFunc(c.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return &InputError{File: path.Join(rel, "Chart.yaml"), Msg: fmt.Sprintf(
			"dependency %s is not vendored in %s/charts/: run `helm dependency build %s` and commit the result",
			strings.Join(missing, ", "), rel, rel)}
	}
	return nil
}

var helmLineRe = regexp.MustCompile(`line (\d+)`)

// chartAPIVersions are the Chart.yaml apiVersions Helm's chart v2 loader
// understands; it takes any other without a word.
var chartAPIVersions = []string{"v1", "v2"}

// checkChartFile reads Chart.yaml before Helm's error is reported: for a
// syntax error at its true line (Helm's parser may report the line it
// gave up on), and for an apiVersion Helm would accept and mis-read.
// data is nil when the chart has no Chart.yaml: Helm's loader says what
// is wrong.
func checkChartFile(rel string, data []byte) error {
	if data == nil {
		return nil
	}
	name := path.Join(rel, "Chart.yaml")
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlErr(name, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "apiVersion" {
			continue
		}
		if v.Kind != yaml.ScalarNode || !slices.Contains(chartAPIVersions, v.Value) {
			return &InputError{File: name, Line: v.Line, Msg: fmt.Sprintf("apiVersion %q is not supported (supported: %s)", v.Value, strings.Join(chartAPIVersions, ", "))}
		}
	}
	return nil
}

// chartFileIsFile refuses a chart file that is a directory: a mistake to
// name, which Helm's loader would walk into.
func chartFileIsFile(root *confine.Root, rel, file string) error {
	st, err := root.Stat(path.Join(rel, file))
	switch {
	case errors.Is(err, confine.ErrRefused):
		return err
	case err == nil && st.IsDir():
		return &InputError{File: path.Join(rel, file), Msg: "is a directory, not a file"}
	}
	return nil
}

// chartFile is the data of the chart's file name as read, nil when the
// chart has none.
func chartFile(files []*archive.BufferedFile, name string) []byte {
	for _, f := range files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// checkChartValues names the chart's values.yaml, at the true line of its
// syntax error, when that is what Helm's loader refused: Helm's message
// names neither the file nor the right line.
func checkChartValues(rel string, data []byte, loadErr error) error {
	if data == nil || !strings.Contains(loadErr.Error(), "values.yaml") {
		return nil
	}
	name := path.Join(rel, "values.yaml")
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlErr(name, err)
	}
	msg := loadErr.Error()
	if i := strings.LastIndex(msg, "yaml: "); i >= 0 {
		msg = msg[i+len("yaml: "):]
	}
	return &InputError{File: name, Msg: msg}
}

func chartErr(rel string, err error) error {
	msg := err.Error()
	// Helm's loader errors carry no file of their own; Chart.yaml is where
	// a chart starts.
	ie := &InputError{File: path.Join(rel, "Chart.yaml"), Msg: msg}
	if m := helmLineRe.FindStringSubmatch(msg); m != nil {
		ie.Line, _ = strconv.Atoi(m[1])
	}
	return ie
}

// engineRender renders the chart's templates with the given top-level
// values. lookup returns nothing: rendering is offline.
func engineRender(ctx context.Context, c *chart.Chart, top common.Values) (map[string]string, error) {
	e := engine.Engine{CustomTemplateFuncs: renderFuncs(ctx)}
	return e.RenderWithContext(ctx, c, top)
}

// tracedFuncs are Helm's required and fail with plain errors. Helm's own
// wrap the message in markers and then report it at the outermost
// template, dropping where an included template called them; a plain
// error keeps text/template's whole chain, whose innermost location
// templateErr reports.
var tracedFuncs = template.FuncMap{
	"required": func(msg string, val any) (any, error) {
		if s, ok := val.(string); val == nil || (ok && s == "") {
			return val, errors.New(msg)
		}
		return val, nil
	},
	"fail": func(msg string) (string, error) { return "", errors.New(msg) },
}

// renderFuncs are tracedFuncs, boundedFuncs(ctx), werfFuncs and, in a
// plain render that renders checksummed templates once, the onceRun's.
func renderFuncs(ctx context.Context) template.FuncMap {
	m := template.FuncMap{}
	for k, v := range tracedFuncs {
		m[k] = v
	}
	for k, v := range boundedFuncs(ctx) {
		m[k] = v
	}
	for k, v := range werfFuncs {
		m[k] = v
	}
	if o, ok := ctx.Value(onceKey{}).(*onceRun); ok {
		for k, v := range o.funcs() {
			m[k] = v
		}
	}
	return m
}

// renderValues coalesces user values with the chart's defaults, as helm
// install does.
func renderValues(c *chart.Chart, user map[string]any, release, namespace string) (common.Values, error) {
	if err := chartutil.ProcessDependencies(c, user); err != nil {
		return nil, err
	}
	opts := common.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}
	return util.ToRenderValues(c, user, opts, nil)
}

// scrubbed removes from a render error every secret among the values
// the chart was rendered with (top's Values): Helm's fail and required
// print a message the chart built, often from the values themselves
// (fail (printf "password %s is too short" .Values.db.password)), and
// render, diff, check and deploy print the error. Every error a render
// returns passes here.
func scrubbed(err error, top common.Values) error {
	var ie *InputError
	if !errors.As(err, &ie) {
		return err
	}
	var vals map[string]any
	switch v := top["Values"].(type) {
	case common.Values:
		vals = v
	case map[string]any:
		vals = v
	}
	cp := *ie
	cp.Msg = secret.ScrubRenderError(ie.Msg, vals)
	return &cp
}

// Helm reports template errors as "parse error at (x/templates/a.yaml:1):
// …", "execution error at (x/templates/a.yaml:3:3): …", Go's own
// "template: x/templates/a.yaml:12:3: executing …" or, for an error inside
// an included template, a chain of locations from the outermost template
// to the innermost, one per include.
var templateLocRe = regexp.MustCompile(`([A-Za-z0-9_.-]+/(?:charts/[^/\s:]+/)*templates/[^\s:()"]+):(\d+)(?::\d+)?`)

// templateChatter is what stands between the innermost location and the
// error itself: text/template's "executing "name" at <action>:" and the
// "error calling include:" of each level.
var templateChatter = regexp.MustCompile(`^(?:[):\s]+|executing "[^"]*" at <.*?>:|error calling \w+:|HELM_ERR_START)+`)

// templateErr reports a template error at the innermost template it
// happened in — the included helper that called fail or required, not
// the template that included it — as "chart/templates/_x.tpl:12: …", in
// one short line however deep an include recursed.
func templateErr(chartRel, chartName string, err error) error {
	msg := strings.ReplaceAll(err.Error(), "HELM_ERR_END", "")
	locs := templateLocRe.FindAllStringSubmatchIndex(msg, -1)
	if len(locs) == 0 {
		return &InputError{File: path.Join(chartRel, "templates"), Msg: strings.TrimPrefix(msg, "template: ")}
	}
	last := locs[len(locs)-1]
	line, _ := strconv.Atoi(msg[last[4]:last[5]])
	rest := templateChatter.ReplaceAllString(msg[last[1]:], "")
	if first := locs[0]; len(locs) > 1 && msg[first[2]:first[5]] != msg[last[2]:last[5]] {
		rest += fmt.Sprintf(" (included from %s:%s)", templatePath(chartRel, chartName, msg[first[2]:first[3]]), msg[first[4]:first[5]])
	}
	return &InputError{File: templatePath(chartRel, chartName, msg[last[2]:last[3]]), Line: line, Msg: projectPaths(strings.TrimSpace(rest), chartRel, chartName)}
}

// helmPathRe finds Helm's internal template names in a message, with the
// "template: " Go's text/template puts before them.
var helmPathRe = regexp.MustCompile(`(?:template: )?([A-Za-z0-9_.-]+)/((?:charts/[^/\s:]+/)*templates/[^\s:]+)`)

// projectPaths rewrites Helm's internal template names left inside a
// message ("error calling include: template: x/templates/_helpers.tpl:5:3")
// as paths relative to the project.
func projectPaths(msg, chartRel, chartName string) string {
	return helmPathRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := helmPathRe.FindStringSubmatch(m)
		if sub[1] != chartName {
			return m
		}
		return path.Join(chartRel, sub[2])
	})
}

// templatePath maps a rendered name ("orders-api/templates/x.yaml") to a
// path relative to the project ("chart/templates/x.yaml").
func templatePath(chartRel, chartName, rendered string) string {
	return path.Join(chartRel, strings.TrimPrefix(rendered, chartName+"/"))
}

// Markers are how provenance is traced through templates: the chart is
// rendered a second time with every string and number leaf of the values
// replaced by a unique marker, and a rendered field that is exactly a
// marker was copied from that values path. A field with a marker and other
// text was computed from it. Bools are left alone so that conditionals take
// the same branches; numbers are marked too unless a template compares or
// computes with them, in which case only strings are (see markedRender).
const markerPrefix, markerSuffix = "fry", "yrf"

// markerAt reports the marker at the start of s, case-insensitively (a
// template may upper-case it): its number and length. It matches what
// the regular expression (?i)fry(\d+)yrf would there, without its cost
// on every rendered field of a large chart.
func markerAt(s string) (n int, size int, ok bool) {
	if len(s) < 7 || !strings.EqualFold(s[:3], markerPrefix) {
		return 0, 0, false
	}
	j := 3
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 3 || len(s) < j+3 || !strings.EqualFold(s[j:j+3], markerSuffix) {
		return 0, 0, false
	}
	n, err := strconv.Atoi(s[3:j])
	if err != nil {
		n = -1 // more digits than an int: no marker ferry made
	}
	return n, j + 3, true
}

// markers calls f with the number, start and end of each marker in s,
// leftmost first, not overlapping.
func markers(s string, f func(n, start, end int)) {
	for i := 0; i < len(s); {
		k := strings.IndexAny(s[i:], "fF")
		if k < 0 {
			return
		}
		i += k
		if n, size, ok := markerAt(s[i:]); ok {
			f(n, i, i+size)
			i += size
			continue
		}
		i++
	}
}

type taint struct {
	paths   []string
	numbers bool // mark numbers as well as strings
	// allow, when set, admits the paths to mark; the others keep their
	// values (see traced).
	allow func(path string) bool
}

func (t *taint) mark(v any, prefix string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[k] = t.mark(vv, p)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = t.mark(vv, fmt.Sprintf("%s[%d]", prefix, i))
		}
		return out
	case float64, int, int64:
		if !t.numbers || (t.allow != nil && !t.allow(prefix)) {
			return v
		}
		t.paths = append(t.paths, prefix)
		return markerPrefix + strconv.Itoa(len(t.paths)-1) + markerSuffix
	case string:
		if x == "" {
			// An empty string stays empty: `default`, `if` and `empty`
			// must take the same branch in the marked render, or a
			// template default would be traced to the empty value's line.
			return x
		}
		if t.allow != nil && !t.allow(prefix) {
			return x
		}
		t.paths = append(t.paths, prefix)
		return markerPrefix + strconv.Itoa(len(t.paths)-1) + markerSuffix
	default:
		return v
	}
}

// trace returns the values paths a rendered string carries, and whether
// the string is exactly one marker (a verbatim copy).
func (t *taint) trace(s string) (paths []string, exact bool) {
	count := 0
	markers(s, func(i, start, end int) {
		count++
		if i >= 0 && i < len(t.paths) {
			paths = append(paths, t.paths[i])
		}
		exact = start == 0 && end == len(s)
	})
	return paths, exact && count == 1
}

// manifest is one rendered document.
type manifest struct {
	template string // relative to the project
	body     map[string]any
	// data is a Secret's decoded data, computed once here because every
	// key of an envFrom reads it; a ConfigMap's is read in its body
	// (value), not copied: a large one is held twice already (the object
	// and its marked twin).
	data map[string]string
	// cm is a ConfigMap's data, looked up once: every key of an envFrom
	// reads it, in the object and in its marked twin.
	cm map[string]any
	// idx is the object's position among the release's objects, which its
	// marked twin shares.
	idx int
	// ns is the namespace the API server puts the object in: its own
	// metadata.namespace, else the release's; "" for cluster-scoped kinds.
	ns string
}

// clusterScoped are the kinds that live in no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"PersistentVolume": true, "StorageClass": true, "PriorityClass": true, "IngressClass": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "APIService": true,
	"CSIDriver": true, "RuntimeClass": true, "ClusterIssuer": true, "VolumeSnapshotClass": true,
}

// placeNamespaces gives each object the namespace it is created in, as
// Helm and the API server decide: the manifest's own, else the release's.
func placeNamespaces(objs []manifest, release string) {
	for i := range objs {
		o := &objs[i]
		if clusterScoped[str(o.body, "kind")] {
			continue
		}
		if o.ns = str(o.body, "metadata", "namespace"); o.ns == "" {
			o.ns = release
		}
	}
}

// splitManifests parses rendered templates into objects, in template order,
// splitting each template's output exactly as Helm does
// (splitDocs: a document may start with "--- # comment")
// and flattening kind: List, as an install does.
func splitManifests(rendered map[string]string, chartRel, chartName string) ([]manifest, error) {
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(n, "NOTES.txt") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var out []manifest
	for _, n := range names {
		tpl := templatePath(chartRel, chartName, n)
		for _, doc := range splitDocs(rendered[n]) {
			body, err := parseManifest(doc)
			if err != nil {
				return nil, &InputError{File: tpl, Msg: "rendered output is not valid YAML: " + err.Error()}
			}
			if len(body) == 0 {
				continue
			}
			for _, b := range flattenList(body) {
				out = append(out, newManifest(tpl, b))
			}
		}
	}
	return out, nil
}

// splitDocs splits a template's output into its documents as Helm's
// releaseutil.SplitManifests does, in order: at each "---" that starts a
// line (with the spaces and tabs after it), leading white space trimmed,
// blank documents dropped. Its regular expression cost ~25 ms on the
// output of a 30,000-key ConfigMap.
func splitDocs(s string) []string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	var docs []string
	keep := func(d string) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, strings.TrimLeftFunc(d, unicode.IsSpace))
		}
	}
	beg := 0
	for i := 0; i+3 <= len(s); {
		if (i == 0 || s[i-1] == '\n') && s[i:i+3] == "---" {
			end := i + 3
			for end < len(s) && (s[end] == ' ' || s[end] == '\t') {
				end++
			}
			keep(s[beg:i])
			beg, i = end, end
			continue
		}
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	keep(s[beg:])
	return docs
}

// parseManifest parses one document as sigs.k8s.io/yaml (and so
// Kubernetes' own clients) does — YAML 1.1 scalars through yaml.v2, numbers
// as float64 as JSON has them — without its round trip through JSON, which
// cost a third of a render.
func parseManifest(doc string) (map[string]any, error) {
	if m, ok := plainManifest(doc); ok {
		return m, nil
	}
	return v2Manifest(doc)
}

// v2Manifest is parseManifest through yaml.v2.
func v2Manifest(doc string) (map[string]any, error) {
	var raw any
	if err := yamlv2.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, err
	}
	m, _ := jsonish(raw).(map[string]any)
	return m, nil
}

// jsonish converts yaml.v2's values to what encoding/json would decode
// from the same document.
func jsonish(v any) any {
	switch x := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			out[ks] = jsonish(vv)
		}
		return out
	case []any:
		for i, vv := range x {
			x[i] = jsonish(vv)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	default:
		return v
	}
}

// flattenList returns a kind: List's items, or the object itself.
func flattenList(body map[string]any) []map[string]any {
	if kind, _ := body["kind"].(string); kind != "List" && !strings.HasSuffix(kind, "List") {
		return []map[string]any{body}
	}
	var out []map[string]any
	for _, it := range list(body["items"]) {
		if m, ok := it.(map[string]any); ok {
			out = append(out, flattenList(m)...)
		}
	}
	return out
}

func newManifest(tpl string, body map[string]any) manifest {
	m := manifest{template: tpl, body: body, idx: -1}
	switch scalar(body["kind"]) {
	case "Secret":
		m.data = secretData(body)
	case "ConfigMap":
		m.cm, _ = body["data"].(map[string]any)
	}
	return m
}

// configMap is a ConfigMap's data, nil for other kinds.
func (m manifest) configMap() map[string]any { return m.cm }

// value is key of a ConfigMap's or Secret's data.
func (m manifest) value(key string) (string, bool) {
	if d := m.configMap(); d != nil {
		v, ok := d[key]
		return scalar(v), ok
	}
	v, ok := m.data[key]
	return v, ok
}

// keys are the keys of a ConfigMap's or Secret's data, sorted.
func (m manifest) keys() []string {
	if d := m.configMap(); d != nil {
		return sortedKeys(d)
	}
	return sortedKeys(m.data)
}

// dedupeObjects keeps, of several objects with one kind, namespace and
// name, the last, as an install applies them in order; it reports the
// others.
func dedupeObjects(objs []manifest, namespace string) ([]manifest, []string) {
	last := map[string]int{}
	for i, o := range objs {
		last[objID(o, namespace)] = i
	}
	var out []manifest
	var dups []string
	for i, o := range objs {
		if j := last[objID(o, namespace)]; j != i {
			dups = append(dups, fmt.Sprintf("%s: %s is rendered again by %s; an install keeps the last one", o.template, objKey(o), objs[j].template))
			continue
		}
		out = append(out, o)
	}
	return out, dups
}

func objID(o manifest, namespace string) string {
	ns := str(o.body, "metadata", "namespace")
	if ns == "" {
		ns = namespace
	}
	return objKey(o) + "@" + ns
}

// secretData returns a rendered Secret's data, base64-decoded, merged
// with stringData.
func secretData(body map[string]any) map[string]string {
	out := map[string]string{}
	if d, ok := body["data"].(map[string]any); ok {
		for k, v := range d {
			s := scalar(v) // null is an empty value, never the text "<nil>"
			if _, size, ok := markerAt(s); ok && size == len(s) {
				// a traced render's marker written into data as it is
				// (the values held it encoded): fry12yrf is valid base64
				// too, and decoded it would lose where the value came from
				out[k] = s
			} else if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
				out[k] = string(dec)
			} else {
				out[k] = s
			}
		}
	}
	if d, ok := body["stringData"].(map[string]any); ok {
		for k, v := range d {
			out[k] = scalar(v)
		}
	}
	return out
}

// scalar formats a YAML scalar as Kubernetes would see it.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
