{{- define "inventory.fullname" -}}
{{ .Release.Name }}-inventory
{{- end }}
{{- define "inventory.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
