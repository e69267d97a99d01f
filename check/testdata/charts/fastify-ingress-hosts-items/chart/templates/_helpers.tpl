{{- define "quotes-gateway.sidecarEnv" -}}
- name: {{ .name }}
  value: {{ .value | quote }}
{{- end }}
