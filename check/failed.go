package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// An environment whose chart does not render — a value the chart requires
// that only a CI lint job sets, a dependency not vendored — used to leave
// it unchecked (exit 2, nothing said about prod). It is now a finding for
// that environment (FERRY092, an error: the install fails the same way),
// and what its values say is still checked: placeholders, committed
// secrets, images, datasources shared with other environments, values
// keys. So is a template that fails in every environment (a helper
// renamed in one place only): the values are checked all the same. A
// chart with no templates stays a problem (nothing renders), its values
// checked too; other failures of a chart that renders nowhere (an
// unreadable .env) stay problems alone.

func init() {
	register(Rule{
		ID: "FERRY092", Name: "render-failed", Severity: Error,
		Summary: "The chart does not render for an environment: a required value unset, a dependency not vendored",
		Help: "helm install fails the same way, so the environment cannot be deployed as it is. " +
			"Set the value the template requires in the environment's own values file (a --set in a " +
			"lint job does not reach the deploy), or vendor the dependency (helm dependency build, " +
			"and commit charts/). The environment's values are still checked; its manifests are not. " +
			"A dependency the repository fetches before each deploy (CI runs helm dependency build or " +
			"update, or git ignores charts/) is a warning: the install works, only the subcharts went unchecked.",
		Check: checkRenderFailed,
	})
	projectRules["FERRY092"] = true
}

// valuesRules are the rules that read values and need no rendered
// manifest: they run over the environments that did not render too.
var valuesRules = map[string]bool{
	"FERRY002": true, "FERRY003": true, "FERRY010": true, "FERRY011": true, "FERRY012": true,
	"FERRY013": true, "FERRY018": true, "FERRY019": true, "FERRY041": true, "FERRY060": true,
	"FERRY081": true, "FERRY082": true,
}

// withFailed are the environments whose values keys the dead-value rules
// (FERRY080, FERRY085) judge: every one, those that did not render too,
// in project order. Those rules fold one key across environments, so
// they run once over all of them rather than again in valuesPass. A
// chart with no templates reads no key: its problem says so once.
func (in *Input) withFailed() []*Env {
	if len(in.Failed) == 0 {
		return in.Envs
	}
	order := map[string]int{}
	if in.Project != nil {
		for i, n := range in.Project.EnvNames() {
			order[n] = i
		}
	}
	all := append(slices.Clone(in.Envs), in.Failed...)
	slices.SortStableFunc(all, func(a, b *Env) int { return order[a.Name] - order[b.Name] })
	out := all[:0]
	for _, e := range all {
		if e.Failure == nil || !e.Failure.Empty {
			out = append(out, e)
		}
	}
	return out
}

// Failure is why an environment did not render, kept with it.
type Failure struct {
	Problem
	// Key is the values path the failing template requires, when the
	// failure is a required value.
	Key string
	// Dependency is set when a declared dependency is not vendored.
	Dependency bool
	// Unset is set when the template failed on Key being unset (a nil
	// pointer, b64enc of nothing) rather than on a required.
	Unset bool
	// Rendered is set when the chart's own templates rendered without
	// the dependencies it lacks: only the subcharts went unchecked.
	Rendered bool
	// Empty is set when the chart has no templates: it stays a problem
	// (nothing was rendered), and its values are checked all the same
	// (eval15 product-catalog: a placeholder registry passed unseen).
	Empty bool
}

// partial renders what can be of an environment that failed: its values
// alone, with a configuration made of them. ok is false when not even the
// values can be read, or the failure is one a working chart elsewhere is
// needed to judge and none rendered.
func partial(ctx context.Context, r *render.Renderer, p *project.Project, e *project.Environment, err error, anyRendered bool) (*Env, bool) {
	pr := problemOf(e.Name, fmt.Errorf("%s: %w", e.Name, err))
	f := &Failure{Problem: pr}
	var ie *render.InputError
	inTemplate := false
	if errors.As(err, &ie) {
		f.Dependency = strings.Contains(ie.Msg, "is not vendored")
		f.Key = requiredKey(p.Dir, ie.File, ie.Line)
		if f.Key == "" {
			f.Key = unsetKey(p.Dir, ie.File, ie.Line, ie.Msg)
			f.Unset = f.Key != ""
		}
		inTemplate = templateFile(p, ie.File)
		f.Empty = strings.HasPrefix(ie.Msg, "the chart has no templates")
	}
	if !anyRendered && !f.Dependency && f.Key == "" && !inTemplate && !f.Empty {
		return nil, false
	}
	res, verr := r.ValuesOnly(ctx, e.Name)
	if verr != nil {
		return nil, false
	}
	// The templates' .Values reads are known without a render: FERRY085
	// judges this environment's keys too, and the configuration leaves
	// them out.
	if !f.Empty { // with no template, every key is unread: the problem says it once
		res.Unread = r.UnreadValues(e.Name, res)
	}
	res.Config = render.NewConfig(valuesEntries(res))
	var at string
	deps := map[string]bool{}
	data, _ := os.ReadFile(filepath.Join(p.Dir, p.Chart, "Chart.yaml"))
	chartDeps(data, deps)
	res.Image, at = valuesImage(res.Values, deps)
	return &Env{Name: e.Name, Spec: e, Result: res, SetByCI: ciSets(e), Failure: f, imagePath: at}, true
}

// templateFile reports whether file is a template of p's chart or of a
// subchart vendored in it: a render that fails there is the chart's
// mistake, one the values need no working chart to be checked beside
// (a helper renamed in one template and not in _helpers.tpl, eval8
// nebi). A chart without templates, an unreadable .env, stays a problem.
func templateFile(p *project.Project, file string) bool {
	rel := file
	if c := path.Clean(filepath.ToSlash(p.Chart)); c != "." {
		var ok bool
		if rel, ok = strings.CutPrefix(file, c+"/"); !ok {
			return false
		}
	}
	return strings.HasPrefix(rel, "templates/") || strings.HasPrefix(rel, "charts/") && strings.Contains(rel, "/templates/")
}

// requiredRe finds the values path a template line requires:
// {{ required "…" .Values.ingress.host }}, required (printf …) .Values.x,
// {{ .Values.app.key | required "…" }} (eval8 career2).
var requiredRe = lazyre.New(`\.Values\.([A-Za-z0-9_.]+)\s*\|\s*required\b|\brequired\b.*?\.Values\.([A-Za-z0-9_.]+)`)

// requiredKey reads the template line that failed for the values path it
// requires, "" when the line is not a required.
func requiredKey(dir, file string, line int) string {
	if m := requiredRe.Get().FindStringSubmatch(templateLine(dir, file, line)); m != nil {
		return strings.TrimSuffix(m[1]+m[2], ".")
	}
	return ""
}

// unsetKey reads the template line that failed on a value being unset
// for the values path it reads: nil pointer evaluating
// interface {}.repository on {{ .Values.image.repository }}, "expected
// string" on {{ .Values.mongo_dsn | b64enc }}. "" when the line does not
// tell.
func unsetKey(dir, file string, line int, msg string) string {
	if !strings.Contains(msg, "nil pointer evaluating") && !strings.Contains(msg, "expected string") && !strings.Contains(msg, "wrong type for value") {
		return ""
	}
	text := templateLine(dir, file, line)
	refs := valuesRefs.Get().FindAllStringSubmatch(text, -1)
	if i := strings.LastIndex(msg, "}."); i >= 0 && strings.Contains(msg, "nil pointer evaluating") {
		field := strings.FieldsFunc(msg[i+2:], func(r rune) bool { return !isIdent(byte(r)) || r > 127 })
		for _, r := range refs {
			if len(field) > 0 && (strings.HasSuffix(r[1], "."+field[0]) || r[1] == field[0]) {
				return r[1]
			}
		}
	}
	if len(refs) == 1 {
		return refs[0][1]
	}
	return ""
}

var valuesRefs = lazyre.New(`\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)`)

// templateLine is line of a project file, "" when it cannot be read.
func templateLine(dir, file string, line int) string {
	if file == "" || line <= 0 {
		return ""
	}
	data, err := readConfined(dir, file)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(data), "\n")
	if line > len(lines) {
		return ""
	}
	return lines[line-1]
}

// readConfined reads a project file through the confined tree.
func readConfined(dir, rel string) ([]byte, error) {
	return newTree(dir).ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
}

// valuesEntries makes a configuration of an environment's values: every
// scalar a values file sets, keyed as a chart usually hands it to the
// container (env.DATABASE_URL → DATABASE_URL, config.dbHost →
// CONFIG_DB_HOST; a {name, value} list item → its name). A key no
// template reads (res.Unread) reaches no container and is left out, and
// an image map is the image rules' to judge.
func valuesEntries(res *render.Result) []render.Entry {
	var out []render.Entry
	var walk func(p string, v any)
	walk = func(p string, v any) {
		for _, u := range res.Unread {
			if u.Path == p { // the top-most key no template reads
				return
			}
		}
		switch v := v.(type) {
		case map[string]any:
			if p == "image" || strings.HasSuffix(p, ".image") {
				return // the image rules judge it, as an image
			}
			for k, x := range v {
				walk(join(p, k), x)
			}
		case []any:
			for i, x := range v {
				m, ok := x.(map[string]any)
				name, _ := m["name"].(string)
				val, isStr := m["value"].(string)
				if ok && name != "" && isStr {
					if src, ok := res.ValueSources[p+"["+strconv.Itoa(i)+"].value"]; ok {
						out = append(out, entry(name, val, src))
					} else if src, ok := res.ValueSources[p]; ok {
						out = append(out, entry(name, val, src))
					}
				}
			}
		case string, bool, int, int64, float64:
			src, ok := res.ValueSources[p]
			if !ok || src.Kind != render.KindValues {
				return
			}
			out = append(out, entry(valuesKey(p), fmt.Sprint(v), src))
		}
	}
	walk("", res.Values)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func entry(key, val string, src render.Source) render.Entry {
	return render.Entry{Key: key, Value: val, Source: src, Secret: render.IsSensitive(key) || src.Encrypted}
}

var envName = lazyre.New(`^[A-Z][A-Z0-9_]*$`)

// valuesKey names a values path as an environment variable.
func valuesKey(p string) string {
	parts := strings.Split(p, ".")
	if last := parts[len(parts)-1]; envName.Get().MatchString(last) {
		return last
	}
	return upperKey(p)
}

// valuesImage is the image the values name (image.registry,
// image.repository, image.tag), "" when they name no tag: the template
// may default it to the chart's appVersion, which is not a values line.
func valuesImage(vals map[string]any, deps map[string]bool) (string, string) {
	if img := imageOf(vals["image"]); img != "" {
		return img, ""
	}
	// An umbrella chart configures its dependency's image under the
	// dependency's key: generic-chart.image, generic-chart.app.image.
	// Two levels down; the first path in order is the one cited, the
	// same in every run.
	var img, at string
	for k, v := range vals {
		sub, _ := v.(map[string]any)
		for k2, v2 := range sub {
			p := k + "." + k2
			if k2 != "image" {
				m, _ := v2.(map[string]any)
				v2, p = m["image"], p+".image"
			}
			if i := imageOf(v2); i != "" && deps[k] && (at == "" || p < at) {
				img, at = i, p
			}
		}
	}
	return img, at
}

// chartDeps adds the values keys of a chart's dependencies (name, and
// alias when it has one) from its Chart.yaml text to into.
func chartDeps(data []byte, into map[string]bool) {
	var c struct {
		Dependencies []struct{ Name, Alias string } `yaml:"dependencies"`
	}
	if yaml.Unmarshal(data, &c) != nil {
		return
	}
	for _, d := range c.Dependencies {
		into[d.Name] = true
		if d.Alias != "" {
			into[d.Alias] = true
		}
	}
}

func imageOf(v any) string {
	img, _ := v.(map[string]any)
	repo, _ := img["repository"].(string)
	tag := fmt.Sprint(img["tag"])
	if repo == "" || img["tag"] == nil || tag == "" {
		return ""
	}
	if reg, _ := img["registry"].(string); reg != "" {
		repo = reg + "/" + repo
	}
	return repo + ":" + tag
}

func checkRenderFailed(in *Input) []Finding {
	// Values set outside the repository (outside.go): infos.
	out := outsideFindings(in)
	at := map[string]int{}   // one finding for a failure every environment shares
	deps := map[int]string{} // the findings of dependencies not vendored, with the reason
	failed := slices.Clone(in.Failed)
	for _, e := range in.Envs {
		if e.Failure != nil && e.Failure.Rendered {
			failed = append(failed, e)
		}
	}
	for _, e := range failed {
		f := e.Failure
		if f.Empty {
			continue // a problem already: not checked, there is nothing to render
		}
		l := Location{Environment: e.Name, Key: "chart", Source: f.File, File: f.File, Line: f.Line}
		if f.Line > 0 {
			l.Source = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if f.Dependency {
			l.Key = "dependencies"
		}
		reason := strings.TrimPrefix(f.Message, e.Name+": ")
		id := fmt.Sprintf("%s|%s", l.Source, reason)
		if i, ok := at[id]; ok && f.Key == "" {
			out[i].Environments = append(out[i].Environments, e.Name)
			out[i].Locations = append(out[i].Locations, l)
			continue
		}
		key, what := "chart", ""
		switch {
		case f.Dependency:
			key = "dependencies"
		case f.Key != "":
			key, l.Key = f.Key, f.Key
			verb := "requires"
			if f.Unset {
				verb = "reads"
			}
			what = fmt.Sprintf("%s %s %s, which no values file or deploy command of %s sets%s", l.Source, verb, f.Key, e.Name, setElsewhere(in, f.Key))
		}
		if what == "" {
			what = reason
		}
		at[id] = len(out)
		fd := Finding{
			Environments: []string{e.Name}, Key: key, Locations: []Location{l}, File: f.File, Line: f.Line,
			Message: "\x00the chart does not render: " + what + "; helm install fails the same way. The values were checked, the manifests were not: " + fix(f),
		}
		if f.Key != "" && unlayeredFile(in, f.Key) != "" {
			// The value may be layered at deploy time (helm-secrets).
			fd.Severity = Warning
			fd.Message = strings.Replace(fd.Message, "helm install fails the same way.", "helm install fails the same way unless the deploy layers that file.", 1)
		}
		if f.Dependency {
			deps[len(out)] = reason
		}
		out = append(out, fd)
	}
	for i, reason := range deps {
		out[i] = notVendored(in, out[i], reason)
	}
	for i := range out {
		out[i].Message = strings.Replace(out[i].Message, "\x00", andList(out[i].Environments)+": ", 1)
	}
	return out
}

// notVendored words the finding of dependencies not vendored so that it
// is true of every environment it names: those rendered without the
// subcharts had the chart's own manifests checked, those that did not
// render without them only their values. It is a warning when the
// repository fetches the dependencies before each deploy (CI runs helm
// dependency build or update on the chart, or git ignores charts/): the
// install works there, only ferry could not see the subcharts.
func notVendored(in *Input, fd Finding, reason string) Finding {
	var rendered, not []string
	for _, n := range fd.Environments {
		e := envNamed(in, n)
		if e != nil && e.Failure != nil && e.Failure.Rendered {
			rendered = append(rendered, n)
		} else {
			not = append(not, n)
		}
	}
	var checked string
	switch {
	case len(not) == 0:
		checked = "the chart's own manifests were checked without them, the subcharts' were not"
	case len(rendered) == 0:
		checked = "the values were checked, the manifests were not"
	default:
		checked = fmt.Sprintf("for %s the chart's own manifests were checked without them, the subcharts' were not; %s did not render without them, so only %s values were checked",
			andList(rendered), andList(not), map[bool]string{true: "its", false: "their"}[len(not) == 1])
	}
	fetched, advice := "", "commit charts/ (helm dependency build) to have them checked"
	if build := depBuild(in); build != "" {
		fetched = "CI fetches them at " + build + " before it deploys"
	} else if ig := ignoredCharts(in); ig != "" {
		fetched = "the repository ignores charts/ (" + ig + "), so they are fetched before each deploy"
		advice = "run helm dependency build before ferry check, as the deploy does, to have them checked"
	}
	switch {
	case fetched != "":
		fd.Severity = Warning
		fd.Message = fmt.Sprintf("\x00the chart's dependencies are not vendored (%s), and %s: %s; %s.", reason, fetched, checked, advice)
	case len(rendered) == 0:
		fd.Message = "\x00the chart does not render: " + reason + "; helm install fails the same way. The values were checked, the manifests were not: vendor the dependency as the message says."
	default:
		fd.Message = fmt.Sprintf("\x00the chart's dependencies are not vendored (%s): helm install fails; %s. Vendor the dependency as the message says.", reason, checked)
	}
	return fd
}

// ignoredCharts is the .gitignore line that keeps the chart's charts/
// directory out of the repository ("" when none does): its dependencies
// are fetched, not vendored, by design.
func ignoredCharts(in *Input) string {
	p := in.Project
	if p == nil || p.Chart == "" {
		return ""
	}
	charts := strings.Split(path.Join(filepath.ToSlash(p.Chart), "charts"), "/")
	// Every .gitignore from the root down to the chart applies, each to
	// the paths below its own directory; the last pattern that matches
	// decides (a !charts/ re-includes).
	at := ""
	for i := 0; i < len(charts); i++ {
		dir := charts[:i]
		rel := path.Join(append(slices.Clone(dir), ".gitignore")...)
		data, err := in.files().ReadFile(filepath.Join(p.Dir, filepath.FromSlash(rel)))
		if err != nil {
			continue
		}
		for n, line := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(line)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			// The directory, or the archives helm dependency build
			// writes into it (charts/*.tgz).
			pat := gitignore.ParsePattern(t, dir)
			m := pat.Match(charts, true)
			if m == gitignore.NoMatch {
				m = pat.Match(append(slices.Clone(charts), "dependency-1.0.0.tgz"), false)
			}
			switch m {
			case gitignore.Exclude:
				at = fmt.Sprintf("%s:%d", rel, n+1)
			case gitignore.Include:
				at = ""
			}
		}
	}
	return at
}

// depBuild is where CI runs helm dependency build (or update) on the
// project's chart, "" when it does not.
func depBuild(in *Input) string {
	if in.Project == nil {
		return ""
	}
	for _, d := range in.Project.Deploys {
		if strings.HasPrefix(d.Command, "dependency") && in.Project.OwnChart(d) {
			return d.Loc()
		}
	}
	return ""
}

func fix(f *Failure) string {
	if f.Dependency {
		return "vendor the dependency as the message says."
	}
	if f.Key != "" {
		return "set " + f.Key + " in the environment's own values file."
	}
	return "fix the template or the environment's values."
}

// setElsewhere says where else key is set: a CI command that is not the
// environment's deploy (helm lint or template with --set), another
// environment's values.
func setElsewhere(in *Input, key string) string {
	var where []string
	if in.Project != nil {
		for _, d := range in.Project.Deploys {
			if slices.ContainsFunc(d.Set, func(s project.SetFlag) bool { return s.Path == key }) {
				where = append(where, fmt.Sprintf("helm %s at %s sets it with --set", d.Command, d.Loc()))
				break
			}
		}
	}
	for _, o := range in.Envs {
		if o.Result == nil {
			continue
		}
		if s, ok := o.Result.ValueSources[key]; ok && s.Kind == render.KindValues {
			where = append(where, fmt.Sprintf("%s sets it at %s", o.Name, s))
			break
		}
	}
	if f := unlayeredFile(in, key); f != "" {
		where = append(where, f+" sets it, but no environment's values include that file")
	}
	if len(where) == 0 {
		return ""
	}
	return " (" + strings.Join(where, "; ") + ")"
}

// unlayeredFile finds a YAML file beside the chart's values that sets
// key's first segment at its top level but that no environment reads
// (secret-values-prod.yaml a helm-secrets plugin layers in CI): the
// value may well arrive at deploy time, ferry cannot tell.
func unlayeredFile(in *Input, key string) string {
	p := in.Project
	if p == nil || p.Chart == "" {
		return ""
	}
	read := map[string]bool{}
	for _, e := range p.Environments {
		for _, v := range e.Values {
			read[v] = true
		}
	}
	top, _, _ := strings.Cut(key, ".")
	dir := filepath.Join(p.Dir, filepath.FromSlash(p.Chart))
	ents, _ := in.files().ReadDir(dir)
	for _, ent := range ents {
		n := ent.Name()
		rel := filepath.ToSlash(filepath.Join(p.Chart, n))
		if ent.IsDir() || read[rel] || n == "Chart.yaml" || (!strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml")) {
			continue
		}
		data, err := in.files().ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, top+":") {
				return rel
			}
		}
	}
	return ""
}

// valuesSecrets reports the literal credentials an environment that did
// not render sets in its own values files: where they would have gone is
// unknown, that they are committed is not.
func valuesSecrets(e *Env) []Finding {
	var out []Finding
	for _, en := range e.Result.Config.Entries {
		if len(secret.Passwords(en.Value)) > 0 && en.Source.Kind == render.KindValues && !en.Source.Encrypted && !placeholderPasswords(en.Value) {
			out = append(out, urlCredentialFinding(e, en))
			continue
		}
		if !en.Secret || en.Value == "" || en.Source.Encrypted || en.Source.Kind != render.KindValues ||
			baseLayer(e, en.Source.File) || placeholder(en.Value) || isPlaceholder(en.Value) || encrypted(en.Value) ||
			project.IsCIExpr(en.Value) || !secret.Name(en.Key) || boolish(en.Value) {
			continue
		}
		key := e.valuesPathOf(en.Source.File, en.Source.Line)
		if key == "" {
			key = en.Key
		} else if !secret.Name(key) {
			// The dotted path says more than its upper-cased form: the key
			// inside a Secret another map names (webhookSecret.key), not
			// the credential (eval15 BOL-CD).
			continue
		}
		l := Location{Environment: e.Name, Key: key, Value: secret.Shown(en.Key, en.Value, secret.Whole), Source: en.Source.String(), File: en.Source.File, Line: en.Source.Line}
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: key, Locations: []Location{l},
			Message: fmt.Sprintf("%s: %s is a literal credential in %s, committed with the repository: deliver it from a Secret created outside the chart, or encrypt the file with SOPS.",
				e.Name, key, en.Source),
		})
	}
	return out
}

// listImageFindings runs the image rules (FERRY002, FERRY003) on the
// images values lists name in the environments that did not render
// (render.Result.ListImages: images[], sidecars[].image), each as the
// service's image is judged, keyed by its values path. Only errors and
// warnings: a version tag pulled by tag is the service image's advice.
func listImageFindings(in *Input) []Finding {
	imgs := &Input{Project: in.Project, Problems: in.Problems, parent: in}
	for _, e := range in.Failed {
		for _, li := range e.Result.ListImages {
			res := *e.Result
			res.Image = li.Image
			imgs.Envs = append(imgs.Envs, &Env{Name: e.Name, Spec: e.Spec, Result: &res, SetByCI: e.SetByCI, Failure: e.Failure, imagePath: li.Path})
		}
	}
	var out []Finding // in.Failed is in project order: so are imgs.Envs
	for _, id := range []string{"FERRY002", "FERRY003"} {
		r, _ := RuleByID(id)
		at := map[string]int{} // one finding per environment and severity: a list of 12 jobs at latest is one fix
		for _, f := range r.Check(imgs) {
			if f = complete(r, f); f.Severity == Info || len(f.Locations) == 0 {
				continue
			}
			f.Key = f.Locations[0].Key
			id := strings.Join(f.Environments, ",") + string(f.Severity)
			i, seen := at[id]
			if !seen {
				at[id] = len(out)
				out = append(out, f)
				continue
			}
			l := f.Locations[0]
			more := fmt.Sprintf("%s=%s (%s)", l.Key, l.Value, l.Source)
			if len(out[i].Locations) == 1 {
				out[i].Message += " The same for images other values lists name: " + more
			} else {
				out[i].Message = strings.TrimSuffix(out[i].Message, ".") + ", " + more
			}
			out[i].Message += "."
			out[i].Locations = append(out[i].Locations, l)
		}
	}
	return out
}

// valuesPass runs the rules that need only values over every environment,
// the ones that did not render included, and keeps what involves those:
// the rest the ordinary pass has reported.
func valuesPass(in *Input) []Finding {
	if len(in.Failed) == 0 {
		return nil
	}
	all := &Input{Project: in.Project, Problems: in.Problems, parent: in}
	order := map[string]int{}
	if in.Project != nil {
		for i, n := range in.Project.EnvNames() {
			order[n] = i
		}
	}
	all.Envs = append(slices.Clone(in.Envs), in.Failed...)
	slices.SortStableFunc(all.Envs, func(a, b *Env) int { return order[a.Name] - order[b.Name] })
	failed := func(f Finding) bool {
		return slices.ContainsFunc(f.Environments, func(n string) bool {
			return slices.ContainsFunc(in.Failed, func(e *Env) bool { return e.Name == n })
		})
	}
	generic := in.Project != nil && in.Project.Runtime == project.RuntimeGeneric
	var out []Finding
	for _, r := range Rules() {
		if !valuesRules[r.ID] || (generic && GoFrOnly(r.ID)) {
			continue
		}
		for _, f := range r.Check(all) {
			if f = complete(r, f); failed(f) {
				out = append(out, f)
			}
		}
	}
	out = append(out, listImageFindings(in)...)
	committed, _ := RuleByID("FERRY041")
	for _, e := range in.Failed {
		for _, f := range valuesSecrets(e) {
			out = append(out, complete(committed, f))
		}
	}
	return out
}
