package check

import (
	"reflect"
	"strings"
	"testing"
)

func TestPlainReads(t *testing.T) {
	text := `{{- $ingressPath := .Values.ingress.path -}}
stringData:
  key1: "{{ .Values.key1 }}"
  region: {{ .Values.s3.region | quote }}
  timeout: {{ .Values.timeout | default "30s" | quote }}
  token: {{ required "token is required" .Values.token }}
{{- if .Values.sentry.dsn }}
  dsn: {{ .Values.sentry.dsn | quote }}
{{- end }}
{{- with .Values.extra }}
  extra: {{ .Values.extra.value }}
{{- end }}
  name: {{ include "app.fullname" . }}
# port: {{ .Values.commented.port }}
          resources:
{{ toYaml .Values.resources | indent 12 }}
      nodeSelector: {{- .Values.nodeSelector | toYaml | nindent 8 }}
{{- with .Values.tolerations }}
      tolerations: {{- toYaml .Values.tolerations | nindent 8 }}
{{- end }}
      affinity: {{- toYaml .Values.affinity | default "{}" }}
`
	want := map[string]int{"ingress.path": 1, "key1": 3, "s3.region": 4, "resources": 16, "nodeSelector": 17}
	if got := plainReads(text); !reflect.DeepEqual(got, want) {
		t.Errorf("plainReads = %v, want %v", got, want)
	}
}

func TestSubchartScope(t *testing.T) {
	for tmpl, want := range map[string]string{
		"templates/secret.yaml":                                   "",
		"charts/keycloak/templates/deployment.yaml":               "keycloak.",
		"charts/platform/charts/redis/templates/statefulset.yaml": "platform.redis.",
	} {
		if got := subchartScope(tmpl); got != want {
			t.Errorf("subchartScope(%s) = %q, want %q", tmpl, got, want)
		}
	}
}

func TestValueSet(t *testing.T) {
	vals := map[string]any{"ingress": map[string]any{"enabled": false, "path": nil}, "replicas": 0}
	for path, want := range map[string]bool{"ingress.enabled": true, "replicas": true, "ingress.path": false, "ingress.host": false, "key1": false} {
		if got := valueSet(vals, path); got != want {
			t.Errorf("valueSet(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestOpenIfs(t *testing.T) {
	lines := strings.Split(`data:
  {{- if .Values.db.azure.enabled }}
  pw: {{ .Values.db.azure.password | b64enc }}
  {{- if and .Values.a .Values.b }}
  ab: {{ .Values.ab }}
  {{- end }}
  {{- else }}
  local: {{ .Values.db.local }}
  {{- end }}
  {{- with .Values.extra }}{{ end }}
  top: {{ .Values.top }}`, "\n")
	for n, want := range map[int][]string{1: {}, 3: {"db.azure.enabled"}, 5: {"db.azure.enabled", ""}, 8: {""}, 11: {}} {
		if got := openIfs(lines[:n]); !reflect.DeepEqual(got, want) {
			t.Errorf("openIfs(line %d) = %q, want %q", n, got, want)
		}
	}
	vals := map[string]any{"db": map[string]any{"azure": map[string]any{"enabled": false}}, "n": float64(0), "s": "x"}
	for p, want := range map[string]bool{"db.azure.enabled": true, "db.azure.password": true, "missing.deep": true, "n": true, "s": false, "db": false} {
		if got := falsy(vals, p); got != want {
			t.Errorf("falsy(%s) = %v, want %v", p, got, want)
		}
	}
}
