// Command gen writes a synthetic monorepo for benchmarking ferry check:
// N services, each with a Helm chart, ~40 configuration keys and three
// environments (dev, staging, prod), shaped like examples/orders-api.
//
//	go run ./bench/check/gen -n 100 -o /tmp/mono
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
	n := flag.Int("n", 10, "number of services")
	out := flag.String("o", "", "output directory (created)")
	flag.Parse()
	if *out == "" {
		log.Fatal("gen: -o is required")
	}
	for i := range *n {
		if err := service(filepath.Join(*out, fmt.Sprintf("svc%03d", i)), i); err != nil {
			log.Fatalf("gen: %v", err)
		}
	}
}

var envs = []string{"dev", "staging", "prod"}

func service(dir string, i int) error {
	name := fmt.Sprintf("svc%03d", i)
	files := map[string]string{
		"ferry.yaml":       fmt.Sprintf("service: %s\nchart: chart\npath: [dev, staging, prod]\naccept:\n  - rule: FERRY002\n    environments: [prod]\n    reason: deploy pins the digest\n", name),
		"chart/Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 0.1.0\nappVersion: \"1.0.0\"\n", name),
		"chart/templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  {{- range $key, $value := .Values.config }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
`,
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    spec:
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - name: http
              containerPort: {{ .Values.config.HTTP_PORT }}
            - name: metrics
              containerPort: {{ .Values.config.METRICS_PORT }}
          envFrom:
            - configMapRef:
                name: {{ .Release.Name }}-config
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .Release.Name }}-db
                  key: password
          livenessProbe:
            httpGet:
              path: /.well-known/alive
              port: http
          readinessProbe:
            httpGet:
              path: /.well-known/health
              port: http
`,
		"configs/.env": "APP_NAME=" + name + "\nHTTP_PORT=8000\nMETRICS_PORT=2121\nLOG_LEVEL=INFO\n",
		"main.go":      "package main\n\nimport (\n\t\"log\"\n\t\"os\"\n)\n\nfunc main() { log.Printf(\"env %s\", os.Getenv(\"APP_ENV\")) }\n",
	}
	var base strings.Builder
	fmt.Fprintf(&base, "replicas: 1\nimage:\n  repository: %s\n  tag: \"1.0.0\"\nterminationGracePeriodSeconds: 40\nconfig:\n", name)
	fmt.Fprintf(&base, "  APP_NAME: %s\n  HTTP_PORT: \"8000\"\n  METRICS_PORT: \"2121\"\n  LOG_LEVEL: INFO\n  SHUTDOWN_GRACE_PERIOD: 25s\n", name)
	base.WriteString("  TRACE_EXPORTER: otlp\n  TRACER_URL: otel-collector.observability:4317\n  TRACER_RATIO: \"0.1\"\n")
	base.WriteString("  DB_DIALECT: postgres\n  DB_PORT: \"5432\"\n  DB_USER: app\n  DB_MAX_OPEN_CONNECTION: \"5\"\n")
	for k := range 26 {
		fmt.Fprintf(&base, "  FEATURE_%02d: \"value-%d\"\n", k, k)
	}
	files["chart/values.yaml"] = base.String()
	for _, e := range envs {
		files["values-"+e+".yaml"] = fmt.Sprintf("config:\n  APP_ENV: %s\n  OTEL_RESOURCE_ATTRIBUTES: deployment.environment=%s\n  DB_HOST: %s-db.%s.svc.cluster.local\n  DB_NAME: %s_%s\n  REDIS_HOST: cache.%s.svc.cluster.local\n",
			e, e, name, e, name, e, e)
	}
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
