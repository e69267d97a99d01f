{{/* The log shipper sidecar's image; the sidecar itself was never added. */}}
{{- define "tiles.logCollector.image" -}}
{{- printf "%s:%s" .Values.logCollector.image.repository .Values.logCollector.image.tag -}}
{{- end }}
