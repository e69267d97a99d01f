package render

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"

	"github.com/ferrydev/ferry/project"
)

func renderEnv(t *testing.T, dir, env string) *Result {
	t.Helper()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatalf("project.Load(%s): %v", dir, err)
	}
	res, err := Render(t.Context(), p, env)
	if err != nil {
		t.Fatalf("Render(%s): %v", env, err)
	}
	return res
}

// TestRenderFull covers what real charts do: envFrom of a rendered
// ConfigMap and Secret, valueFrom of each kind, a values key set only in
// the base, a list ranged into env, a computed DSN, an include helper, a
// default pipe, $(VAR) expansion, and the GoFr file layer underneath.
func TestRenderFull(t *testing.T) {
	tests := []struct {
		env, key string
		value    string
		source   string
		secret   bool
		external bool
	}{
		{"prod", "APP_ENV", "prod", "values-prod.yaml:1", false, false},
		{"prod", "DB_HOST", "db.prod.internal", "values-prod.yaml:4", false, false},
		{"staging", "DB_HOST", "db.base.internal", "deploy/values.yaml:5", false, false},
		{"prod", "DB_PORT", "5432", "deploy/values.yaml:6", false, false},
		{"prod", "ONLY_IN_BASE", "kept", "deploy/values.yaml:9", false, false},
		{"prod", "FEATURE_A", "on", "deploy/values.yaml:14", false, false},
		{"prod", "FEATURE_B", "off", "values-prod.yaml:10", false, false},
		{"staging", "LOG_LEVEL", "WARN", "values.staging.yaml:4", false, false},
		{"prod", "FROM_LIST", "prod-list", "values-prod.yaml:13", false, false},
		{"staging", "FROM_LIST", "base-list", "deploy/values.yaml:12", false, false},
		{"prod", "API_TOKEN", "tok-prod", "values-prod.yaml:7", true, false},
		{"prod", "SIGNING_KEY", "key-prod", "values-prod.yaml:8", true, false},
		{"prod", "DB_PASSWORD", "", "external Secret shop-db/password (nothing in the repository provides it)", true, true},
		{"prod", "POD_NAME", "", "runtime fieldRef metadata.name", false, true},
		{"prod", "REGION", "eu-west-1", "template deploy/templates/config.yaml:16 (default; reads .Values.region)", false, false},
		{"prod", "STATIC_FLAG", "static", "template deploy/templates/deployment.yaml:46", false, false},
		{"prod", "ADDR", "db.prod.internal:5432", "template deploy/templates/deployment.yaml:48 (expands DB_HOST (values-prod.yaml:4), DB_PORT (deploy/values.yaml:6))", false, false},
		{"prod", "TRACER_URL", "collector.prod:4317", "values-prod.yaml:6", false, false},
		// The literal sits in a helper: no line rather than a wrong one.
		{"staging", "TRACER_URL", "collector:4317", "template deploy/templates/_helpers.tpl:4 (default; reads .Values.tracerUrl)", false, false},
		{"prod", "DB_URL", "postgres://db.prod.internal:5432/shop_prod",
			"template deploy/templates/deployment.yaml:30 (computed from db.host (values-prod.yaml:4), db.port (deploy/values.yaml:6), db.name (values-prod.yaml:5))", false, false},
		{"prod", "HTTP_PORT", "8000", "configs/.env:1", false, false},
		{"prod", "FILE_ONLY", "from-prod-overlay", "configs/.prod.env:1", false, false},
		{"staging", "FILE_ONLY", "from-file", "configs/.env:3", false, false},
	}
	results := map[string]*Result{}
	for _, env := range []string{"staging", "prod"} {
		results[env] = renderEnv(t, "testdata/full", env)
	}
	for _, tt := range tests {
		t.Run(tt.env+"/"+tt.key, func(t *testing.T) {
			e, ok := results[tt.env].Config.Get(tt.key)
			if !ok {
				t.Fatalf("%s: %s not in the effective config", tt.env, tt.key)
			}
			if e.Value != tt.value || e.Source.String() != tt.source || e.Secret != tt.secret || e.External != tt.external {
				t.Errorf("%s = %q from %q (secret %v, external %v), want %q from %q (secret %v, external %v)",
					tt.key, e.Value, e.Source, e.Secret, e.External, tt.value, tt.source, tt.secret, tt.external)
			}
		})
	}
}

func TestRenderShadowsFileLayer(t *testing.T) {
	res := renderEnv(t, "testdata/full", "prod")
	e, _ := res.Config.Get("DB_HOST")
	if len(e.Shadows) != 1 || e.Shadows[0].Value != "localhost" || e.Shadows[0].Source.String() != "configs/.env:4" {
		t.Errorf("DB_HOST shadows %+v, want configs/.env:4's localhost", e.Shadows)
	}
}

func TestRenderWorkloads(t *testing.T) {
	res := renderEnv(t, "testdata/full", "prod")
	if len(res.Workloads) != 1 {
		t.Fatalf("%d workloads, want 1", len(res.Workloads))
	}
	w := res.Workloads[0]
	if w.Replicas != 3 || w.TerminationGracePeriodSeconds != 30 || len(w.Containers) != 2 {
		t.Errorf("workload = %d replicas, grace %d, %d containers; want 3, 30, 2", w.Replicas, w.TerminationGracePeriodSeconds, len(w.Containers))
	}
	want := []string{"ConfigMap/shop-features", "ConfigMap/shop-single", "Secret/shop-creds", "Secret/shop-db"}
	if strings.Join(w.Reads, ",") != strings.Join(want, ",") {
		t.Errorf("Reads = %v, want %v", w.Reads, want)
	}
	if v, _ := w.Containers[1].Config.Value("UPSTREAM"); v != "127.0.0.1:8000" {
		t.Errorf("sidecar UPSTREAM = %q", v)
	}
	if res.Image != "shop:2.0.0" {
		t.Errorf("Image = %q", res.Image)
	}
}

func TestRenderWarnsOnRepeatedKey(t *testing.T) {
	res := renderEnv(t, "testdata/full", "staging")
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "values.staging.yaml:4: logLevel is set again (first at line 3)") {
		t.Errorf("Warnings = %q", res.Warnings)
	}
}

func TestRenderExample(t *testing.T) {
	staging := renderEnv(t, "../examples/orders-api", "staging")
	prod := renderEnv(t, "../examples/orders-api", "prod")
	var keys []string
	for _, c := range Diff(staging.Config, prod.Config) {
		keys = append(keys, c.Key+":"+c.Change)
	}
	want := "APP_ENV:changed DB_HOST:changed DB_MAX_OPEN_CONNECTION:changed DB_NAME:changed LOG_LEVEL:changed OTEL_RESOURCE_ATTRIBUTES:changed TRACER_RATIO:changed"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("Diff(staging, prod) = %s\nwant %s", got, want)
	}
}

func TestRenderChartless(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"configs/.env":         "HTTP_PORT=8000\nLOG_LEVEL=INFO\n",
		"configs/.staging.env": "LOG_LEVEL=DEBUG\n",
	})
	res := renderEnv(t, dir, "staging")
	for key, want := range map[string]string{"APP_ENV": "staging|project (the environment's name)", "LOG_LEVEL": "DEBUG|configs/.staging.env:1", "HTTP_PORT": "8000|configs/.env:1"} {
		e, _ := res.Config.Get(key)
		if got := e.Value + "|" + e.Source.String(); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
}

func TestRenderBadInput(t *testing.T) {
	chart := map[string]string{
		"chart/Chart.yaml":                "apiVersion: v2\nname: x\nversion: 0.1.0\n",
		"chart/values.yaml":               "a: 1\n",
		"chart/templates/deployment.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  A: {{ .Values.a | quote }}\n",
		"values-prod.yaml":                "a: 2\n",
	}
	tests := []struct {
		name    string
		change  map[string]string
		wantErr string
	}{
		{"malformed values", map[string]string{"values-prod.yaml": "a: 2\nb: [1,\nc: 3\n"}, "values-prod.yaml:"},
		{"template error", map[string]string{"chart/templates/deployment.yaml": "a: {{ .Values.a | nosuchfunc }}\n"}, "chart/templates/deployment.yaml:1"},
		{"template fail", map[string]string{"chart/templates/deployment.yaml": "\n\n{{ required \"b is required\" .Values.b }}\n"}, "chart/templates/deployment.yaml:3: "},
		{"unvendored dependency", map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.org\n"}, "chart/Chart.yaml: dependency redis is not vendored in chart/charts/"},
		{"malformed env file", map[string]string{"configs/.env": "A=1\nBAD-KEY=2\n"}, "configs/.env:2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range chart {
				files[k] = v
			}
			for k, v := range tt.change {
				files[k] = v
			}
			writeFiles(t, dir, files)
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Render(context.Background(), p, "prod")
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Render error = %v, want an *InputError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %q, want one line starting %q", err, tt.wantErr)
			}
		})
	}
}

func TestRenderUnknownEnvironment(t *testing.T) {
	p, err := project.Load("../examples/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(t.Context(), p, "qa")
	if !errors.Is(err, project.ErrUnknownEnvironment) {
		t.Errorf("Render(qa) error = %v, want ErrUnknownEnvironment", err)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	testtree.WriteIn(t, dir, files)
}

// TestProvenanceWhenTemplatesComputeWithNumbers: a template that compares
// a number cannot render with every leaf marked; strings still trace to
// their values lines.
func TestProvenanceWhenTemplatesComputeWithNumbers(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: x\nversion: 0.1.0\n",
		"chart/values.yaml": "replicas: 3\nconfig:\n  DB_HOST: db.internal\n",
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: x
          image: x:1
          env:
            - name: DB_HOST
              value: {{ .Values.config.DB_HOST | quote }}
            {{- if gt .Values.replicas 1.0 }}
            - name: CLUSTERED
              value: "true"
            {{- end }}
`,
		"values-prod.yaml": "config:\n  DB_HOST: db.prod.internal\n",
	})
	res := renderEnv(t, dir, "prod")
	for key, want := range map[string]string{
		"DB_HOST":   "db.prod.internal @ values-prod.yaml:2",
		"CLUSTERED": "true @ template chart/templates/deployment.yaml:16",
	} {
		e, _ := res.Config.Get(key)
		if got := e.Value + " @ " + e.Source.String(); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
}

// TestRendererSharedAcrossEnvironments renders environments through one
// Renderer, concurrently: a dependency condition enabled in one
// environment must not leak into another.
func TestRendererSharedAcrossEnvironments(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"chart/Chart.yaml":                        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: cache\n    version: 0.1.0\n    condition: cache.enabled\n",
		"chart/values.yaml":                       "cache:\n  enabled: false\n",
		"chart/templates/cm.yaml":                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  A: \"1\"\n",
		"chart/charts/cache/Chart.yaml":           "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
		"chart/charts/cache/templates/cache.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache\ndata:\n  B: \"2\"\n",
		"values-staging.yaml":                     "cache:\n  enabled: false\n",
		"values-prod.yaml":                        "cache:\n  enabled: true\n",
	})
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := New(p)
	want := map[string]int{"staging": 1, "prod": 2}
	errs := make(chan error, 20)
	for i := 0; i < 10; i++ {
		for env, n := range want {
			go func() {
				res, err := r.Render(t.Context(), env)
				if err == nil && len(res.Objects) != n {
					err = fmt.Errorf("%s rendered %d objects, want %d", env, len(res.Objects), n)
				}
				errs <- err
			}()
		}
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestRenderErrorScrubbed renders charts whose fail or required message
// is built from a secret among the values (issue 18): the error, which
// render, diff, check and deploy print, names the template and keeps the
// message's words, but none of the secrets — by key (the chart's, a
// subchart's), by a password inside a URL, or by shape.
func TestRenderErrorScrubbed(t *testing.T) {
	base := map[string]string{
		"chart/Chart.yaml":                           "apiVersion: v2\nname: orders\nversion: 0.1.0\ndependencies:\n  - name: postgresql\n    version: 1.0.0\n",
		"chart/values.yaml":                          "db:\n  host: db.internal\n  user: orders\n",
		"chart/charts/postgresql/Chart.yaml":         "apiVersion: v2\nname: postgresql\nversion: 1.0.0\n",
		"chart/charts/postgresql/values.yaml":        "auth:\n  postgresPassword: \"\"\n",
		"chart/charts/postgresql/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: pg\n",
		"values-prod.yaml": "db:\n  password: Tr0ub4dor-canary-3\n  url: postgres://orders:pg-canary-91@db/orders\n" +
			"postgresql:\n  auth:\n    postgresPassword: sub-canary-77\nsmtpPassword: smtp-canary-55\n",
	}
	tests := []struct {
		name, template string
		want           []string // in the error
		leak           string
	}{
		{"fail with the chart's password",
			"{{- if lt (len .Values.db.password) 32 }}\n{{- fail (printf \"db.password %s is too short\" .Values.db.password) }}\n{{- end }}\n",
			[]string{"chart/templates/check.yaml:2", "is too short"}, "Tr0ub4dor-canary-3"},
		{"required naming a subchart's password",
			"{{- required (printf \"postgresql.auth.postgresPassword %s needs db.replica\" .Values.postgresql.auth.postgresPassword) .Values.db.replica }}\n",
			[]string{"chart/templates/check.yaml:1", "needs db.replica"}, "sub-canary-77"},
		{"fail quoting a URL",
			"{{- fail (printf \"cannot reach %s\" .Values.db.url) }}\n",
			[]string{"chart/templates/check.yaml:1", "cannot reach postgres://orders:", "@db/orders"}, "pg-canary-91"},
		{"fail in an included helper with a camelCase key",
			"{{- define \"orders.smtp\" }}{{ fail (printf \"smtp %s rejected\" .Values.smtpPassword) }}{{ end }}\n{{- include \"orders.smtp\" . }}\n",
			[]string{"chart/templates/check.yaml:1", "rejected"}, "smtp-canary-55"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"chart/templates/check.yaml": tt.template}
			for k, v := range base {
				files[k] = v
			}
			p, err := project.Load(testtree.Write(t, files))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Render(t.Context(), p, "prod")
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an *InputError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, tt.leak) || strings.Contains(ie.Msg, tt.leak) {
				t.Errorf("the error prints the secret %s: %s", tt.leak, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q, want it to contain %q", msg, w)
				}
			}
		})
	}
}
