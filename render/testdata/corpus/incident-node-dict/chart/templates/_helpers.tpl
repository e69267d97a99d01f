{{/* The environment of every process, handed the values and its component. */}}
{{- define "incident.env" -}}
- name: COMPONENT
  value: {{ .component | quote }}
- name: PORT
  value: {{ .Values.port | quote }}
- name: INCIDENT_TABLE
  value: {{ .Values.tenantInfra.incidentTable | quote }}
- name: EVIDENCE_BUCKET
  value: {{ .Values.tenantInfra.evidenceBucket | quote }}
{{ include "incident.logging" (dict "logging" .Values.logging) }}
{{- end -}}

{{- define "incident.logging" -}}
- name: LOG_LEVEL
  value: {{ .logging.level | quote }}
- name: LOG_FORMAT
  value: {{ .logging.format | quote }}
{{- end -}}

{{- define "incident.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
