// Command gen writes a repository for bench/charts/run.sh: a chart in
// deploy/helm/<name> with ten workloads (an API, workers, a scheduler, a
// CronJob), a ConfigMap, a Secret and three environments' values beside
// it, and optionally thousands of other files around it (source, docs,
// node_modules) for discovery to walk.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("o", "", "directory to write the repository to")
	files := flag.Int("files", 0, "other files to write around the chart")
	flag.Parse()
	if *out == "" {
		log.Fatal("-o is required")
	}
	chart := filepath.Join(*out, "deploy", "helm", "fleet")
	write(filepath.Join(chart, "Chart.yaml"), "apiVersion: v2\nname: fleet\nversion: 1.0.0\nappVersion: \"3.1.0\"\n")
	write(filepath.Join(chart, "templates", "_helpers.tpl"), helpers)
	write(filepath.Join(chart, "templates", "workloads.yaml"), workloads)
	write(filepath.Join(chart, "templates", "cronjob.yaml"), cronjob)
	write(filepath.Join(chart, "templates", "config.yaml"), config)
	var b strings.Builder
	b.WriteString("image:\n  repository: ghcr.io/acme/fleet\n  tag: \"3.1.0\"\nconfig:\n  LOG_FORMAT: json\n  DATABASE_URL: postgres://fleet@pg.dev.acme.internal:5432/fleet\n  REDIS_URL: redis://redis.dev.acme.internal:6379/0\nsecrets:\n  API_TOKEN: \"\"\nworkloads:\n")
	for i := range 9 {
		fmt.Fprintf(&b, "  worker-%d:\n    replicas: %d\n    port: %d\n    env:\n      QUEUE: q%d\n      CONCURRENCY: \"%d\"\n", i, 1+i%3, 8000+i, i, 4+i)
	}
	write(filepath.Join(chart, "values.yaml"), b.String())
	for i, env := range []string{"dev", "staging", "prod"} {
		write(filepath.Join(*out, "deploy", "helm", "values-"+env+".yaml"), fmt.Sprintf(
			"config:\n  DATABASE_URL: postgres://fleet@pg.%s.acme.internal:5432/fleet\n  REDIS_URL: redis://redis.%s.acme.internal:6379/%d\nworkloads:\n  worker-0:\n    replicas: %d\n", env, env, i, 2+i))
	}
	for i := range *files {
		var p string
		switch i % 4 {
		case 0:
			p = filepath.Join(*out, "internal", fmt.Sprintf("pkg%03d", i/400), fmt.Sprintf("file%05d.go", i))
		case 1:
			p = filepath.Join(*out, "node_modules", fmt.Sprintf("mod%03d", i/400), "lib", fmt.Sprintf("index%05d.js", i))
		case 2:
			p = filepath.Join(*out, "docs", fmt.Sprintf("section%02d", i/1000), fmt.Sprintf("page%05d.md", i))
		default:
			p = filepath.Join(*out, "web", "src", fmt.Sprintf("c%03d", i/400), fmt.Sprintf("component%05d.tsx", i))
		}
		write(p, "// generated\n")
	}
}

func write(path, body string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		log.Fatal(err)
	}
}

const helpers = `{{- define "fleet.labels" -}}
app.kubernetes.io/part-of: {{ .Release.Name }}
{{- end }}
`

const workloads = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/config.yaml") . | sha256sum }}
    spec:
      containers:
        - name: api
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          envFrom:
            - configMapRef:
                name: {{ .Release.Name }}-config
            - secretRef:
                name: {{ .Release.Name }}-secrets
          ports:
            - name: http
              containerPort: 8080
{{- range $name, $w := .Values.workloads }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $.Release.Name }}-{{ $name }}
  labels:
    {{- include "fleet.labels" $ | nindent 4 }}
spec:
  replicas: {{ $w.replicas }}
  selector:
    matchLabels:
      app: {{ $name }}
  template:
    metadata:
      labels:
        app: {{ $name }}
    spec:
      containers:
        - name: {{ $name }}
          image: "{{ $.Values.image.repository }}:{{ $.Values.image.tag }}"
          args: ["worker", "--queue", {{ $w.env.QUEUE | quote }}]
          envFrom:
            - configMapRef:
                name: {{ $.Release.Name }}-config
          env:
            {{- range $k, $v := $w.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
          ports:
            - containerPort: {{ $w.port }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $.Release.Name }}-{{ $name }}
spec:
  selector:
    app: {{ $name }}
  ports:
    - port: {{ $w.port }}
{{- end }}
`

const cronjob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ .Release.Name }}-reindex
spec:
  schedule: "*/30 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: reindex
              image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
              envFrom:
                - configMapRef:
                    name: {{ .Release.Name }}-config
`

const config = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  {{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secrets
type: Opaque
stringData:
  {{- range $k, $v := .Values.secrets }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
`
