package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// The metamorphic provenance test runs over check's corpus of
// real-world-shaped charts. Provenance claims something testable about
// every key:
//
//   - a key whose source is a values-file line changes when that line's
//     value changes;
//   - a key whose source is a template line that read no values does not
//     change when any single values leaf changes;
//   - a computed key changes when a values line it names changes.
//
// Each claim is tested on a copy of the chart with one line edited.
const corpus = "../check/testdata/charts"

type keyAt struct{ slot, key string }

func TestProvenanceMetamorphic(t *testing.T) {
	dirs, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range dirs {
		root := filepath.Join(corpus, d.Name())
		charts, err := project.FindCharts(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, chart := range charts {
			p, err := project.LoadChart(root, chart)
			if err != nil {
				continue // the corpus' unloadable projects are check's business
			}
			for _, env := range p.EnvNames() {
				res, err := Render(t.Context(), p, env)
				if err != nil {
					continue // an environment that does not render has no claims
				}
				t.Run(d.Name()+"/"+chart+"/"+env, func(t *testing.T) {
					checked += metamorphic(t, root, chart, env, res)
				})
			}
		}
	}
	t.Logf("%d provenance claims checked", checked)
	if checked < 100 {
		t.Errorf("the metamorphic test checked %d claims, want at least 100", checked)
	}
}

func entries(res *Result) map[keyAt]Entry {
	out := map[keyAt]Entry{}
	for _, w := range res.Workloads {
		for _, c := range w.Containers {
			for _, e := range c.Config.Entries {
				out[keyAt{w.Kind + "/" + w.Name + "/" + c.Name, e.Key}] = e
			}
		}
	}
	return out
}

var lineSrcRe = regexp.MustCompile(`\(([^()\s]+\.ya?ml):(\d+)\)`)

func metamorphic(t *testing.T, root, chart, env string, res *Result) int {
	before := entries(res)
	checked := 0
	// Values lines: each named line, edited, must change its keys.
	for k, e := range before {
		switch e.Source.Kind {
		case KindValues:
			after, ok := mutated(t, root, chart, env, e.Source.File, e.Source.Line)
			if !ok {
				continue
			}
			checked++
			if a, ok := after[k]; ok && a.Value == e.Value && !a.External {
				t.Errorf("%s %s: source %s, but editing that line leaves the value unchanged", k.slot, k.key, e.Source)
			}
		case KindTemplate:
			for _, m := range lineSrcRe.FindAllStringSubmatch(e.Source.Detail, -1) {
				line, _ := strconv.Atoi(m[2])
				after, ok := mutated(t, root, chart, env, m[1], line)
				if !ok {
					continue
				}
				checked++
				if a, ok := after[k]; ok && a.Value == e.Value {
					t.Errorf("%s %s: computed from %s:%s, but editing that line leaves the value unchanged (%s)", k.slot, k.key, m[1], m[2], e.Source)
				}
			}
		}
	}
	// Template literals: no single values leaf may change them.
	var literals []keyAt
	for k, e := range before {
		if e.Source.Kind == KindTemplate && e.Source.Detail == "" {
			literals = append(literals, k)
		}
	}
	if len(literals) == 0 {
		return checked
	}
	for _, file := range res.valuesFiles() {
		for _, line := range leafLines(t, filepath.Join(root, file)) {
			after, ok := mutated(t, root, chart, env, file, line)
			if !ok {
				continue
			}
			for _, k := range literals {
				checked++
				if a, ok := after[k]; ok && a.Value != before[k].Value {
					t.Errorf("%s %s: source %s (a template literal), but editing %s:%d changes it", k.slot, k.key, before[k].Source, file, line)
				}
			}
		}
	}
	return checked
}

// valuesFiles are the files the environment's value sources name.
func (r *Result) valuesFiles() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.ValueSources {
		if s.Kind == KindValues && !seen[s.File] {
			seen[s.File] = true
			out = append(out, s.File)
		}
	}
	return out
}

var leafRe = regexp.MustCompile(`^(\s*(?:-\s+)?(?:[^:#\s][^:#]*:\s+)?)("[^"]*"|'[^']*'|[^\s#|>{}\[\]&*!][^#]*?)\s*(#.*)?$`)

// leafLines lists the lines of a values file that hold a scalar.
func leafLines(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for i, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") && leafRe.MatchString(l) {
			out = append(out, i+1)
		}
	}
	return out
}

var mutation int

// mutated renders env from a copy of root whose file has line's scalar
// replaced by a fresh string; ok is false when the line holds no scalar
// or the copy does not render (a template needed a number there).
func mutated(t *testing.T, root, chart, env, file string, line int) (map[keyAt]Entry, bool) {
	t.Helper()
	tmp := t.TempDir()
	if err := os.CopyFS(tmp, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tmp, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return nil, false
	}
	m := leafRe.FindStringSubmatch(lines[line-1])
	if m == nil {
		return nil, false
	}
	mutation++
	lines[line-1] = m[1] + fmt.Sprintf("%q", fmt.Sprintf("mutated-%d.example", mutation))
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.LoadChart(tmp, chart)
	if err != nil {
		return nil, false
	}
	res, err := Render(t.Context(), p, env)
	var ie *InputError
	if errors.As(err, &ie) || err != nil {
		return nil, false
	}
	return entries(res), true
}

// TestProvenanceEdges pins the sources of the corpus' provenance edge
// cases, including the ones the metamorphic test cannot tell apart (an
// empty value that a template default replaces changes the output when
// edited, whichever line is named).
func TestProvenanceEdges(t *testing.T) {
	p, err := project.Load(filepath.Join(corpus, "gin-provenance-edges"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ env, key, value, source string }{
		{"prod", "FEATURE_FLAG", "true", "deploy/helm/values-prod.yaml:2"},
		{"staging", "FEATURE_FLAG", "false", "deploy/helm/values.yaml:5"},
		{"prod", "LOG_FORMAT", "json", "template deploy/helm/templates/deployment.yaml:21 (default; reads .Values.logFormat)"},
		{"prod", "CACHE_MODE", "redis", "unknown (deploy/helm/templates/deployment.yaml:23)"},
		{"prod", "GREETING", "hello from edges", "deploy/helm/values.yaml:9"},
		{"prod", "MAX_CONN", "50", "deploy/helm/values-prod.yaml:6"},
		{"prod", "WORKERS", "4", "template deploy/helm/templates/deployment.yaml:31"},
		{"staging", "REGION", "eu-central-1", "deploy/helm/values-staging.yaml:1"},
		{"prod", "STATIC_ZONE", "zone-a", "template deploy/helm/templates/_helpers.tpl:9"},
		{"prod", "EXTRA_TWO", "dos", "deploy/helm/values-prod.yaml:11"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"/"+tt.key, func(t *testing.T) {
			res, err := Render(t.Context(), p, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := res.Config.Get(tt.key)
			if !ok || e.Value != tt.value || e.Source.String() != tt.source {
				t.Errorf("%s = %q from %q, want %q from %q", tt.key, e.Value, e.Source, tt.value, tt.source)
			}
		})
	}
}
