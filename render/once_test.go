package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// onceChart is a service whose Deployment checksums its ConfigMap, with
// the templates given over it.
func onceChart(over map[string]string) map[string]string {
	files := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
		"chart/values.yaml": "debug: false\nconfig:\n  LOG_LEVEL: info\n  WORKERS: 4\n  QUOTED: 'say \"hi\"'\n",
		"chart/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n" +
			"  {{- range $k, $v := .Values.config }}\n  {{ $k }}: {{ $v | quote }}\n  {{- end }}\n",
		"chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    metadata:\n      annotations:\n" +
			"        checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum }}\n" +
			"    spec:\n      containers:\n        - name: svc\n          image: svc:1\n          envFrom:\n            - configMapRef:\n                name: {{ .Release.Name }}\n",
		"values-prod.yaml": "config:\n  LOG_LEVEL: warn\n",
	}
	for k, v := range over {
		files[k] = v
	}
	return files
}

// TestRenderOnce renders every chart of the corpora, and charts made to
// catch it out, as Helm does and with each checksummed template rendered
// once (renderOnce): the outputs are the same byte for byte, and the
// single render is taken where the test says it must be.
func TestRenderOnce(t *testing.T) {
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n"
	const checksum = "checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum }}"
	made := []struct {
		name  string
		files map[string]string
		once  bool // the single render is Helm's output (else it falls back)
	}{
		{"the bench chart", onceChart(nil), true},
		{"the ConfigMap reads .Template", onceChart(map[string]string{
			"chart/templates/configmap.yaml": cm + "  from: {{ .Template.Name }}\n  base: {{ $.Template.BasePath }}\n",
		}), false},
		{"the ConfigMap prints <no value>, the checksum keeps it", onceChart(map[string]string{
			"chart/templates/configmap.yaml": cm + "  missing: \"{{ .Values.nothing }}\"\n",
		}), true},
		{"a helper reads .Template for the ConfigMap", onceChart(map[string]string{
			"chart/templates/_helpers.tpl":   "{{- define \"svc.from\" -}}{{ .Template.Name }}{{- end }}\n",
			"chart/templates/configmap.yaml": cm + "  from: {{ include \"svc.from\" . }}\n",
		}), false},
		{"a helper prints the root it is given", onceChart(map[string]string{
			"chart/templates/_helpers.tpl":   "{{- define \"svc.all\" -}}{{ toJson . | len }}{{- end }}\n",
			"chart/templates/configmap.yaml": cm + "  size: \"{{ include \"svc.all\" . }}\"\n",
		}), false},
		{"the root reaches a helper only as its context", onceChart(map[string]string{
			"chart/templates/_helpers.tpl":   "{{- define \"svc.level\" -}}{{ .Values.config.LOG_LEVEL | upper }}{{- end }}\n",
			"chart/templates/configmap.yaml": cm + "  level: {{ include \"svc.level\" . }}\n  also: {{ template \"svc.level\" $ }}\n",
		}), true},
		{"the ConfigMap hashes and encodes values", onceChart(map[string]string{
			"chart/templates/configmap.yaml": cm + "  hash: {{ .Values.config.LOG_LEVEL | sha256sum }}\n  enc: {{ .Values.config.QUOTED | b64enc }}\n",
		}), true},
		{"the ConfigMap defines a template", onceChart(map[string]string{
			"chart/templates/configmap.yaml": "{{- define \"svc.name\" }}{{ .Release.Name }}{{ end -}}\n" + cm,
		}), false},
		{"the checksum under a false if", onceChart(map[string]string{
			"chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  annotations:\n    {{- if .Values.debug }}\n    " + checksum + "\n    {{- end }}\n    a: b\n",
		}), false},
		{"a template writes the values (set)", onceChart(map[string]string{
			"chart/templates/configmap.yaml": cm + "  {{- $_ := set .Values.config \"SEEN\" \"yes\" }}\n  seen: {{ .Values.config.SEEN | quote }}\n",
		}), false},
		{"a chain: the ConfigMap checksums the Secret", onceChart(map[string]string{
			"chart/templates/secret.yaml":    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    at: \"{{ .Values.nothing }}\"\nstringData:\n  k: {{ .Values.config.LOG_LEVEL | quote }}\n",
			"chart/templates/configmap.yaml": cm + "  sum: {{ include (print $.Template.BasePath \"/secret.yaml\") $ | sha256sum }}\n",
		}), true},
		{"two templates checksum the ConfigMap", onceChart(map[string]string{
			"chart/templates/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    " + checksum + "\n",
		}), true},
		{"another template includes the ConfigMap by name", onceChart(map[string]string{
			"chart/templates/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    n: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | len }}\n",
		}), false},
		{"a subchart's Deployment checksums its ConfigMap", map[string]string{
			"chart/Chart.yaml":                           "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: svc\n    version: 0.1.0\n",
			"chart/values.yaml":                          "svc:\n  config:\n    A: b\n",
			"chart/templates/service.yaml":               "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
			"chart/charts/svc/Chart.yaml":                onceChart(nil)["chart/Chart.yaml"],
			"chart/charts/svc/values.yaml":               onceChart(nil)["chart/values.yaml"],
			"chart/charts/svc/templates/configmap.yaml":  cm + "  {{- range $k, $v := .Values.config }}\n  {{ $k }}: {{ $v | quote }}\n  {{- end }}\n",
			"chart/charts/svc/templates/deployment.yaml": onceChart(nil)["chart/templates/deployment.yaml"],
			"values-prod.yaml":                           "svc:\n  config:\n    A: c\n",
		}, true},
	}
	var dirs []string
	for _, tt := range made {
		dir := filepath.Join(t.TempDir(), tt.name)
		testtree.WriteIn(t, dir, tt.files)
		dirs = append(dirs, dir)
	}
	for _, corpus := range []string{"testdata/corpus/*", "testdata/kubelet/*", "../check/testdata/charts/*"} {
		ds, _ := filepath.Glob(corpus)
		dirs = append(dirs, ds...)
	}
	wantOnce := map[string]bool{}
	for i, tt := range made {
		wantOnce[dirs[i]] = tt.once
	}
	taken := 0
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		charts, _ := project.FindCharts(d)
		for _, root := range append(charts, d) {
			p, err := project.Load(root)
			if err != nil || p.Chart == "" {
				continue
			}
			r := New(p)
			if r.load() != nil {
				continue
			}
			for _, e := range p.Environments {
				name := fmt.Sprintf("%s %s", filepath.Base(d), e.Name)
				run := &renderRun{Renderer: r, e: e, res: &Result{Environment: e.Name, ValueSources: map[string]Source{}}}
				if run.readValues(t.Context()) != nil || run.coalesce(t.Context()) != nil {
					continue
				}
				want, werr := boundedRender(t.Context(), run.c, run.top)
				got, ok, err := renderOnce(t.Context(), run.c, run.top, r.onceTpls)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if ok {
					taken++
					if werr != nil {
						t.Errorf("%s: Helm's render fails (%v), the single one does not", name, werr)
					} else if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s (-Helm's +once):\n%s", name, diff)
					}
				}
				if w, made := wantOnce[d]; made && ok != w {
					t.Errorf("%s: single render taken %v, want %v", name, ok, w)
				}
			}
		}
	}
	t.Logf("single render taken %d times", taken)
	if taken < 10 {
		t.Fatalf("the single render was taken %d times: the test shows little", taken)
	}
}

// TestRenderOnceBudget: a checksummed template that loops stops the
// single render at the budget with its error, which Render reports: it
// does not fall back to render past the budget a second time.
func TestRenderOnceBudget(t *testing.T) {
	old := limits
	limits.Budget = 300 * time.Millisecond
	t.Cleanup(func() { limits = old })
	dir := t.TempDir()
	testtree.WriteIn(t, dir, onceChart(map[string]string{
		"chart/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n",
	}))
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := New(p)
	if err := r.load(); err != nil || len(r.onceTpls) == 0 {
		t.Fatalf("no single render to test (%v)", err)
	}
	e, _ := p.Env("prod")
	run := &renderRun{Renderer: r, e: e, res: &Result{Environment: e.Name, ValueSources: map[string]Source{}}}
	if err := run.readValues(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := run.coalesce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := renderOnce(t.Context(), run.c, run.top, r.onceTpls); ok || !errors.Is(err, errBudget) {
		t.Fatalf("single render: ok %v, error %v; want the budget's error", ok, err)
	}
	_, err = r.Render(t.Context(), "prod")
	want := "chart/templates: rendering exceeded its budget (took longer than 300ms): a template loops or recurses without end"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// TestRenderOnceOutputLimit: the single render's output counts the
// checksummed template too; past the output limit it leaves the error to
// Helm's render.
func TestRenderOnceOutputLimit(t *testing.T) {
	dir := t.TempDir()
	testtree.WriteIn(t, dir, onceChart(nil))
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := New(p)
	if err := r.load(); err != nil || len(r.onceTpls) == 0 {
		t.Fatalf("no single render to test (%v)", err)
	}
	e, _ := p.Env("prod")
	run := &renderRun{Renderer: r, e: e, res: &Result{Environment: e.Name, ValueSources: map[string]Source{}}}
	if err := run.readValues(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := run.coalesce(t.Context()); err != nil {
		t.Fatal(err)
	}
	out, err := boundedRender(t.Context(), run.c, run.top)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range out {
		total += len(s)
	}
	old := limits
	limits.Output = total - 1
	t.Cleanup(func() { limits = old })
	if _, ok, err := renderOnce(t.Context(), run.c, run.top, r.onceTpls); ok || err != nil {
		t.Fatalf("single render past the output limit: ok %v, error %v; want Helm's render to report it", ok, err)
	}
	if _, err := r.Render(t.Context(), "prod"); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("error %v, want the output limit's", err)
	}
}
