package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

func TestWithoutChecksums(t *testing.T) {
	rendered := map[string]bool{"templates/configmap.yaml": true, "templates/deployment.yaml": true}
	stand := `"` + checksumStandIn + `"`
	tests := []struct {
		name, in, want string // want "" when nothing is rewritten
	}{
		{"the annotation", `a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}`, `a: {{` + stand + `}}`},
		{"trim markers kept", `a: {{- include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum -}}x`, `a: {{- ` + stand + ` -}}x`},
		{"trim markers beside newlines", "a: {{-\ninclude (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum\n-}}x", "a: {{-\n" + stand + "\n-}}x"},
		{"a string holding }}", `a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }} {{ "}}" }}`, `a: {{` + stand + `}} {{ "}}" }}`},
		{"inside if", `{{ if .Values.on }}a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}{{ end }}`, `{{ if .Values.on }}a: {{` + stand + `}}{{ end }}`},
		{"two", "a: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum }}\nb: {{ include (print $.Template.BasePath \"/deployment.yaml\") . | sha256sum }}", "a: {{" + stand + "}}\nb: {{" + stand + "}}"},
		{"inside range: dot is not the root", `{{ range .Values.l }}a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}{{ end }}`, ""},
		{"inside with", `{{ with .Values.l }}a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}{{ end }}`, ""},
		{"a partial", `a: {{ include (print $.Template.BasePath "/_helpers.tpl") . | sha256sum }}`, ""},
		{"a template not in the chart", `a: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}`, ""},
		{"a named template", `a: {{ include "svc.config" . | sha256sum }}`, ""},
		{"another context", `a: {{ include (print $.Template.BasePath "/configmap.yaml") .Values | sha256sum }}`, ""},
		{"piped further", `a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum | trunc 8 }}`, ""},
		{"assigned", `{{ $s := include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}a: {{ $s }}`, ""},
		{"climbing out", `a: {{ include (print $.Template.BasePath "/../templates/configmap.yaml") . | sha256sum }}`, ""},
		{"no checksum", `a: {{ .Values.x | quote }}`, ""},
		{"does not parse", `a: {{ .Values.x `, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := withoutChecksums("svc/templates/deployment.yaml", tt.in, rendered, func(string) string { return stand })
			if tt.want == "" {
				if ok {
					t.Fatalf("rewritten to %q", got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, ok, tt.want)
			}
			if strings.Contains(got, "include") {
				t.Fatalf("%q still includes", got)
			}
		})
	}
}

// TestChecksumStandIn renders charts whose Deployment carries the
// checksum of another template, with the marked renders' stand-in and
// without it: every environment's result, provenance included, is the
// same.
func TestChecksumStandIn(t *testing.T) {
	dir := t.TempDir()
	testtree.WriteIn(t, dir, map[string]string{
		"chart/Chart.yaml": "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
		"chart/values.yaml": "image:\n  repository: svc\n  tag: \"1.0\"\nport: 8080\ndebug: false\n" +
			"config:\n  LOG_LEVEL: info\n  EMPTY: \"\"\n  WORKERS: 4\n  QUOTED: 'say \"hi\"'\n  ON: true\n" +
			"db:\n  password: s3cret-value\n",
		"chart/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n" +
			"  {{- range $k, $v := .Values.config }}\n  {{ $k }}: {{ $v | quote }}\n  {{- end }}\n  PORT: {{ .Values.port | quote }}\n",
		"chart/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-db\ndata:\n  password: {{ .Values.db.password | b64enc }}\n",
		"chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    metadata:\n      annotations:\n" +
			"        checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum }}\n" +
			"        {{- if not .Values.debug }}\n        checksum/secret: {{ include (print $.Template.BasePath \"/secret.yaml\") $ | sha256sum -}}\n" +
			"        {{ end }}\n    spec:\n      containers:\n        - name: svc\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n" +
			"          envFrom:\n            - configMapRef:\n                name: {{ .Release.Name }}\n          env:\n" +
			"            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {name: {{ .Release.Name }}-db, key: password}\n" +
			"            - name: LISTEN\n              value: \":{{ .Values.port }}\"\n",
		"values-prod.yaml": "config:\n  LOG_LEVEL: warn\nport: 9090\n",
		"configs/.env":     "HTTP_PORT=8000\nLOG_LEVEL=debug\n",
	})
	dirs, _ := filepath.Glob("testdata/corpus/*")
	rewritten := 0
	for _, d := range append(dirs, dir) {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		p, err := project.Load(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if p.Chart == "" {
			continue
		}
		with, without := New(p), New(p)
		if err := without.load(); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		rewritten += len(without.traceTpls)
		without.traceTpls = nil
		for _, e := range p.Environments {
			a, err := with.Render(t.Context(), e.Name)
			if err != nil {
				t.Fatalf("%s %s: %v", d, e.Name, err)
			}
			b, err := without.Render(t.Context(), e.Name)
			if err != nil {
				t.Fatalf("%s %s: %v", d, e.Name, err)
			}
			if diff := cmp.Diff(describeResult(p, e, b), describeResult(p, e, a)); diff != "" {
				t.Errorf("%s %s (-without +with the stand-in):\n%s", filepath.Base(d), e.Name, diff)
			}
		}
	}
	if rewritten < 1 {
		t.Fatal("no template was given the stand-in: the test shows nothing")
	}
}

// A traced render writes a marker into a Secret's data as it is when the
// values already hold the value encoded; fry12yrf is valid base64 too,
// and decoded it lost the key's source for one marker number in four
// (FERRY041 came and went between runs, as values map order numbered
// them).
func TestSecretDataKeepsMarkers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"fry12yrf", "fry12yrf"},
		{"fry1234yrf", "fry1234yrf"},
		{"c2VjcmV0", "secret"},
		{"not base64!", "not base64!"},
	} {
		got := secretData(map[string]any{"data": map[string]any{"k": tc.in}})["k"]
		if got != tc.want {
			t.Errorf("secretData(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
