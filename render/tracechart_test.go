package render

import (
	"strings"
	"testing"
)

func TestWithoutChecksums(t *testing.T) {
	rendered := map[string]bool{"templates/configmap.yaml": true, "templates/deployment.yaml": true}
	stand := `"` + checksumStandIn + `"`
	tests := []struct {
		name, in, want string // want "" when nothing is rewritten
	}{
		{"the annotation", `a: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}`, `a: {{` + stand + `}}`},
		{"trim markers kept", `a: {{- include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum -}}x`, `a: {{- ` + stand + ` -}}x`},
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
			got, ok := withoutChecksums("svc/templates/deployment.yaml", tt.in, rendered)
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
