{{- define "recipes.labels" -}}
app.kubernetes.io/name: recipes
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
