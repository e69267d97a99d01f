{{- define "app.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "edges.env" -}}
- name: REGION
  value: {{ .Values.region | quote }}
- name: STATIC_ZONE
  value: "zone-a"
{{- end }}
