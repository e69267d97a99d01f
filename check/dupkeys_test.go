package check

import (
	"reflect"
	"testing"
)

func TestTemplateDuplicates(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       map[string][]int
	}{
		{
			name: "three envFrom under three ifs",
			text: `spec:
  containers:
    - name: api
      {{- if .Values.db.existingSecret }}
      envFrom:
        - secretRef:
            name: {{ .Values.db.existingSecret }}
      {{- end }}
      {{- if .Values.s3.existingSecret }}
      envFrom:
        - secretRef:
            name: {{ .Values.s3.existingSecret }}
      {{- end }}
      envFrom:
        - configMapRef:
            name: api
`,
			want: map[string][]int{"envFrom@5": {5, 10, 14}},
		},
		{
			name: "near miss: two defines in one file are two mappings",
			text: `kind: Deployment
{{- define "shop.labels" -}}
app.kubernetes.io/name: shop
app.kubernetes.io/part-of: shop
{{- end }}
{{- define "shop.selectorLabels" -}}
app.kubernetes.io/name: shop
{{- end }}
`,
			want: map[string][]int{},
		},
		{
			name: "a key twice inside one define, and the file's own scope after it",
			text: `{{- define "shop.labels" -}}
app: shop
tier: api
app: shop-api
{{- end }}
metadata:
  name: shop
metadata:
  name: shop-2
`,
			want: map[string][]int{"app@2": {2, 4}, "metadata@6": {6, 8}},
		},
		{
			name: "near miss: if/else branches",
			text: `      {{- if .Values.existingSecret }}
      envFrom:
        - secretRef: {name: a}
      {{- else if .Values.secret }}
      envFrom:
        - secretRef: {name: b}
      {{- else }}
      envFrom: []
      {{- end }}
`,
			want: map[string][]int{},
		},
		{
			name: "near miss: X and not X",
			text: `      {{- if .Values.vault.enabled }}
      env:
        - name: A
      {{- end }}
      {{- if not .Values.vault.enabled }}
      env:
        - name: B
      {{- end }}
`,
			want: map[string][]int{},
		},
		{
			name: "near miss: list items, sibling mappings, block scalars, documents",
			text: `env:
  - name: A
    value: "1"
  - name: B
    value: "2"
resources:
  limits:
    cpu: 1
  requests:
    cpu: 1
data:
  application.yaml: |
    server:
      port: 8080
    server:
      port: 8081
---
env:
  - name: C
`,
			want: map[string][]int{},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := templateDuplicates(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("templateDuplicates = %v, want %v", got, tt.want)
			}
		})
	}
}
