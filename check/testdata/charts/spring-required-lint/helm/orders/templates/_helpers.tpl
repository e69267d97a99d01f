{{- define "orders.name" -}}
{{ .Release.Name }}
{{- end -}}
