{{- define "notify.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "notify.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
A checksum of one rendered ConfigMap or Secret, keyed by its kind and
name, so that a change to it rolls the pods that read it.
*/}}
{{- define "notify.checksum" -}}
{{- $ := index . 0 }}
{{- $obj := include (print $.Template.BasePath (index . 1)) $ | fromYaml -}}
{{- if $obj -}}
checksum-{{ $obj.kind | lower }}-{{ $obj.metadata.name }}: {{ $obj.data | toYaml | sha256sum }}
{{- end -}}
{{- end -}}
