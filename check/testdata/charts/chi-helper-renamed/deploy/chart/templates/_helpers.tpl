{{/* The chart was called billing until 1.4.0. */}}
{{- define "ledgerd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "ledgerd.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ledgerd.dbSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-db" (include "ledgerd.fullname" .)) }}
{{- end }}
