package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	testtree.WriteIn(t, dir, files)
}

const chartYAML = "apiVersion: v2\nname: svc\nversion: 0.1.0\n"

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantChart string
		wantPath  []string
		wantVals  map[string][]string
		service   string
	}{
		{
			name:      "chart dir with env files beside it",
			files:     map[string]string{"chart/Chart.yaml": chartYAML, "chart/values.yaml": "", "values-prod.yaml": "", "values-staging.yaml": "", "configs/.env": ""},
			wantChart: "chart", wantPath: []string{"staging", "prod"}, service: "svc",
			wantVals: map[string][]string{"staging": {"chart/values.yaml", "values-staging.yaml"}, "prod": {"chart/values.yaml", "values-prod.yaml"}},
		},
		{
			name:      "chart at the root, .yml and values.<env>.yaml",
			files:     map[string]string{"Chart.yaml": chartYAML, "values.yaml": "", "values-dev.yml": "", "values.qa.yaml": ""},
			wantChart: ".", wantPath: []string{"dev", "qa"}, service: "svc",
			wantVals: map[string][]string{"dev": {"values.yaml", "values-dev.yml"}, "qa": {"values.yaml", "values.qa.yaml"}},
		},
		{
			name:      "single chart under charts/, no base values",
			files:     map[string]string{"charts/api/Chart.yaml": chartYAML, "charts/api/values-production.yaml": "", "charts/api/values-uat.yaml": ""},
			wantChart: "charts/api", wantPath: []string{"uat", "production"}, service: "svc",
			wantVals: map[string][]string{"uat": {"charts/api/values-uat.yaml"}, "production": {"charts/api/values-production.yaml"}},
		},
		{
			// GoFr's .local.env is a developer's machine, never an environment (issue 17).
			name:     "configs only: environments from overlays, never local from .local.env",
			files:    map[string]string{"configs/.env": "", "configs/.local.env": "", "configs/.prod.env": "", "configs/.staging.env": ""},
			wantPath: []string{"staging", "prod"},
			wantVals: map[string][]string{"staging": nil, "prod": nil},
		},
		{
			// GoFr's .test.env is what its unit tests load (APP_ENV=test),
			// not a deploy environment (issue 17, inventory-func).
			name: "configs only: never test from GoFr's .test.env",
			files: map[string]string{
				"go.mod":               "module github.com/acme/stock\n\ngo 1.22\n\nrequire gofr.dev v1.28.0\n",
				"configs/.env":         "APP_NAME=stock\nHTTP_PORT=8000\nDB_DIALECT=mysql\nDB_PORT=3306\n",
				"configs/.test.env":    "DB_HOST=localhost\nDB_NAME=stock_test\nDB_USER=root\nDB_PASSWORD=password\n",
				"configs/.staging.env": "DB_HOST=stock-db.staging.internal\nDB_NAME=stock\nTRACE_EXPORTER=otlp\n",
				"configs/.prod.env":    "DB_HOST=stock-db.prod.internal\nDB_NAME=stock\nTRACE_EXPORTER=otlp\nDB_MAX_OPEN_CONNECTION=20\n",
			},
			wantPath: []string{"staging", "prod"},
			wantVals: map[string][]string{"staging": nil, "prod": nil},
		},
		{
			// Near miss: a chart's values-test.yaml names a real test
			// environment, which then reads configs/.test.env as its overlay.
			name: "values-test.yaml beside GoFr's .test.env is an environment",
			files: map[string]string{
				"chart/Chart.yaml": chartYAML, "chart/values.yaml": "", "chart/values-test.yaml": "", "chart/values-prod.yaml": "",
				"configs/.env": "APP_NAME=svc\n", "configs/.test.env": "DB_HOST=svc-db.test.internal\n", "configs/.prod.env": "DB_HOST=svc-db.prod.internal\n",
			},
			wantChart: "chart", wantPath: []string{"test", "prod"}, service: "svc",
			wantVals: map[string][]string{"test": {"chart/values.yaml", "chart/values-test.yaml"}, "prod": {"chart/values.yaml", "chart/values-prod.yaml"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.files)
			p, err := Load(dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if p.Chart != tt.wantChart {
				t.Errorf("Chart = %q, want %q", p.Chart, tt.wantChart)
			}
			if diff := cmp.Diff(tt.wantPath, p.Path); diff != "" {
				t.Errorf("Path (-want +got):\n%s", diff)
			}
			got := map[string][]string{}
			for _, e := range p.Environments {
				got[e.Name] = e.Values
				if e.Target != "local" || e.Namespace != e.Name {
					t.Errorf("%s: target %q namespace %q, want local and its name", e.Name, e.Target, e.Namespace)
				}
			}
			if diff := cmp.Diff(tt.wantVals, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if tt.service != "" && p.Service != tt.service {
				t.Errorf("Service = %q, want %q", p.Service, tt.service)
			}
		})
	}
}

func TestFerryYAML(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"chart/Chart.yaml": chartYAML,
		"deploy/a.yaml":    "", "deploy/b.yaml": "",
		"ferry.yaml": `service: orders
path: [staging, prod]
accept:
  - rule: FERRY014
    environments: [staging, prod]
    reason: one collector, envs tagged by resource attribute
environments:
  staging:
    soak: 90s
    env: {HTTP_PORT: "18080"}
    smoke:
      - http: GET /orders
  prod:
    target: kube
    namespace: orders-prod
    values: [deploy/a.yaml, deploy/b.yaml]
`,
	})
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := p.Env("staging")
	pr, _ := p.Env("prod")
	if st.Soak != 90*time.Second || st.Smoke[0].String() != "GET /orders → 200" || st.Release != "orders" {
		t.Errorf("staging = %+v", st)
	}
	// env: is the local target's: project keeps it in the section.
	var own struct {
		Env map[string]string `yaml:"env"`
	}
	if err := st.DecodeSettings("local", &own); err != nil || own.Env["HTTP_PORT"] != "18080" {
		t.Errorf("staging's own settings = %+v, %v; want env HTTP_PORT 18080", own, err)
	}
	if pr.Target != "kube" || pr.Namespace != "orders-prod" || strings.Join(pr.Values, ",") != "deploy/a.yaml,deploy/b.yaml" {
		t.Errorf("prod = %+v", pr)
	}
	if len(p.Accept) != 1 || p.Accept[0].Line != 4 || p.Accept[0].Rule != "FERRY014" {
		t.Errorf("Accept = %+v, want FERRY014 at line 4", p.Accept)
	}
	if next, ok := p.Next("staging"); !ok || next != "prod" {
		t.Errorf("Next(staging) = %q, %v", next, ok)
	}
	if _, ok := p.Next("prod"); ok {
		t.Error("Next(prod) exists, want none")
	}
	if p.Database.MaxConnections != 100 {
		t.Errorf("MaxConnections = %d, want the default 100", p.Database.MaxConnections)
	}
}

func TestFerryYAMLErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"unknown field", "service: x\nsrevice: y\n", `ferry.yaml:2: unknown field "srevice"`},
		{"unknown field in soak", "service: x\nenvironments:\n  prod:\n    soak:\n      durration: 3s\n", `ferry.yaml:5: unknown field "durration" in soak`},
		{"smoke step with a misspelt key", "environments:\n  prod:\n    smoke:\n      - {http: GET /orders, expct: 201}\n", `ferry.yaml:4: unknown field "expct"`},
		{"section not a mapping", "environments:\n  prod: [kube]\n", `ferry.yaml:2: an environment's section must be a mapping`},
		{"bad duration", "environments:\n  prod:\n    soak: soon\n", `ferry.yaml:3: "soon" is not a duration such as 30m`},
		{"malformed", "path: [a, b\n", "ferry.yaml:"},
		{"smoke method that is none", "environments:\n  prod:\n    smoke:\n      - {http: GET /}\n      - {http: FETCH /orders}\n", `ferry.yaml:5: environment "prod": smoke step 2: "FETCH" is not an HTTP method`},
		{"smoke step with both", "environments:\n  prod:\n    smoke:\n      - {http: GET /, run: 'true'}\n", "smoke step 1 needs exactly one of http or run"},
		{"trust requires an unknown environment", "path: [staging, prod]\ntrust:\n  keys: [ferry.pub]\n  require: [prd]\n", `ferry.yaml:3: trust.require names "prd", which is not an environment`},
		{"trust requires without keys", "path: [staging, prod]\ntrust:\n  require: [prod]\n", "ferry.yaml:3: trust.require needs at least one key in trust.keys"},
		{"trust with an unknown field", "trust:\n  key: [ferry.pub]\n", `ferry.yaml:2: unknown field "key"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{"ferry.yaml": tt.body, "configs/.env": ""})
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Load error = %v, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestMissingChart(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"ferry.yaml": "chart: deploy\n"})
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "chart deploy has no Chart.yaml") {
		t.Errorf("Load error = %v", err)
	}
}

// TestWerfChartNamed: ferry.yaml naming a werf project's .helm (no
// Chart.yaml; werf.yaml beside it) loads, as discovery finds it; a .helm
// without werf.yaml beside it is still refused.
func TestWerfChartNamed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"ferry.yaml": "chart: .helm\n", "werf.yaml": "project: tokeninfo\nconfigVersion: 1\n",
		".helm/templates/deployment.yaml": "kind: Deployment\n", ".helm/values-dev.yaml": "replicas: 1\n",
	})
	p, err := Load(dir)
	if err != nil || p.Chart != ".helm" {
		t.Fatalf("Load = %v, %v; want the werf chart .helm", p, err)
	}
	if err := os.Remove(filepath.Join(dir, "werf.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "chart .helm has no Chart.yaml") {
		t.Errorf("without werf.yaml: Load error = %v", err)
	}
}

func TestTrust(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"configs/.env": "", "configs/.staging.env": "", "configs/.prod.env": "", "ferry.yaml": "path: [staging, prod]\n\ntrust:\n  keys: [keys/ci.pub, \"-----BEGIN PUBLIC KEY-----\\n…\"]\n  require: [prod]\n"})
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Trust{Keys: []string{"keys/ci.pub", "-----BEGIN PUBLIC KEY-----\n…"}, Require: []string{"prod"}, Line: 4}
	if diff := cmp.Diff(want, p.Trust); diff != "" {
		t.Errorf("Trust (-want +got):\n%s", diff)
	}
}
