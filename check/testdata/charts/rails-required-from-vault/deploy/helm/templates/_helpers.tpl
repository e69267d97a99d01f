{{- define "helpdesk.fullname" -}}
{{ .Release.Name }}-helpdesk
{{- end }}
