{{- define "shop.tracing" -}}
- name: TRACE_EXPORTER
  value: otlp
- name: TRACER_URL
  value: {{ .Values.tracerUrl | default "collector:4317" | quote }}
{{- end -}}
