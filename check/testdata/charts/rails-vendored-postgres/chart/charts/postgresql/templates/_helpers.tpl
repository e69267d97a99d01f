{{- define "postgresql.image" -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- define "postgresql.podSecurity" -}}
{{- if semverCompare ">=15.0.0" .Values.image.tag -}}
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- end -}}
