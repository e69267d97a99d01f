package scaffold

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// copyService copies testdata/name into a temporary directory, so that
// init can write into it.
func copyService(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		main string
		want Service
	}{
		{name: "inventory", want: Service{
			Module: "example.com/shop/inventory", Name: "inventory", Main: ".",
			GoFr: true, GoFrWhy: "go.mod requires github.com/ferrydev/ferry/kit",
			PortKey: "HTTP_PORT", Port: 9000, MetricsPort: 2122,
			Readiness: "/.well-known/health", Liveness: "/.well-known/alive", Grace: 20 * time.Second,
			Config: map[string]string{}, Datasources: []string{"DB_HOST", "DB_NAME"},
			LocalDefaults: map[string]string{"DB_NAME": "inventory.db"}, ConfigsEnv: true,
		}},
		// GoFr's own example configs/.env with overlays: the ones an
		// environment has are read, a laptop's .local.env is not.
		{name: "gofr-redis", want: Service{
			Module: "github.com/acme-labs/greeter", Name: "greeter", Main: ".",
			GoFr: true, GoFrWhy: "go.mod requires gofr.dev",
			PortKey: "HTTP_PORT", Port: 8000, MetricsPort: 2121,
			Readiness: "/.well-known/health", Liveness: "/.well-known/alive", Grace: 30 * time.Second,
			Config: map[string]string{}, Datasources: []string{"REDIS_HOST"},
			LocalDefaults: map[string]string{"REDIS_HOST": "localhost"}, ConfigsEnv: true,
			Overlays: map[string]map[string]string{
				"staging": {"LOG_LEVEL": "INFO", "REDIS_HOST": "redis.staging.svc.cluster.local", "GREETING": "Hello from staging"},
				"prod":    {"LOG_LEVEL": "WARN", "HTTP_PORT": "8080", "REDIS_HOST": "redis-prod.cache.svc.cluster.local", "REDIS_PORT": "6380"},
			},
		}},
		{name: "billing", want: Service{
			Module: "github.com/acme/billing", Name: "billing", Main: "./cmd/billing",
			PortKey: "PORT", Port: 8081, Readiness: "/healthz", Liveness: "/healthz", Grace: 30 * time.Second,
			Config: map[string]string{}, Datasources: []string{"DATABASE_URL"}, Secrets: []string{"STRIPE_API_KEY"},
			LocalDefaults: map[string]string{},
		}},
		{name: "ledger", want: Service{
			Module: "git.example.org/payments/ledger", Name: "ledger", Main: ".",
			PortKey: "PORT", Port: 8080, Readiness: "/readyz", Liveness: "/livez", Grace: 30 * time.Second,
			Config: map[string]string{}, Datasources: []string{"LEDGER_DB_URL"},
			LocalDefaults: map[string]string{}, Chart: "deploy/helm/ledger",
			ChartImage: "registry.payments.internal/payments/ledger",
		}},
		// No health route the code names: the kept chart's probes.
		{name: "yeller", want: Service{
			Module: "example.com/training/yeller", Name: "yeller", Main: ".",
			PortKey: "PORT", Port: 8080, Readiness: "/yelling?word=foo", Liveness: "/yelling?word=alive", Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{}, Chart: "charts", ChartImage: "training/yeller",
		}},
		// Near miss of PORT: the local target and the chart must set the
		// variable the code reads, or the service binds its default.
		{name: "reports", want: Service{
			Module: "example.com/acme/reports", Name: "reports", Main: "./cmd/reports",
			PortKey: "SERVER_PORT", Port: 8080, Readiness: "/healthz", Liveness: "/healthz", Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{},
		}},
		// The port key is read in a package main imports, named after the
		// service; the cache's REDIS_PORT is not the service's.
		{name: "mediahub", want: Service{
			Module: "example.com/media/mediahub", Name: "mediahub", Main: ".",
			PortKey: "MEDIA_HUB_PORT", Port: 8080, Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{},
		}},
		// No variable sets the port: pflag's --host defaults to ":8000"
		// (a werf chart kept, Dockerfile without flags). PORT would be
		// read by nothing.
		{name: "tokencache", want: Service{
			Module: "github.com/coinlab/tokencache", Name: "tokencache", Main: ".",
			Port: 8000, PortFrom: `flag --host defaults to ":8000" at main.go:17`,
			Readiness: "/health", Liveness: "/health", Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{}, Secrets: []string{"TOKEN_LIST"}, Chart: ".helm",
		}},
		// The image's CMD passes -addr :7070 over the flag's default
		// "0.0.0.0:9090"; -metrics-addr is a side port.
		{name: "relay", want: Service{
			Module: "example.com/chat/relay", Name: "relay", Main: "./cmd/relay",
			Port: 7070, PortFrom: "Dockerfile:9 passes -addr :7070",
			Readiness: "/healthz", Liveness: "/healthz", Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{},
		}},
		// Near miss: a --metrics-port flag beside the HTTP_PORT the code
		// reads; the variable sets the port.
		{name: "relay-metrics", want: Service{
			Module: "example.com/chat/relaymetrics", Name: "relaymetrics", Main: ".",
			PortKey: "HTTP_PORT", Port: 8080, Readiness: "/healthz", Liveness: "/healthz", Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{},
		}},
		{name: "twomains", main: "./cmd/api", want: Service{
			Module: "example.com/twomains", Name: "twomains", Main: "./cmd/api",
			PortKey: "PORT", Port: 8080, Grace: 30 * time.Second,
			Config: map[string]string{}, LocalDefaults: map[string]string{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(filepath.Join("testdata", tt.name), tt.main, "")
			if err != nil {
				t.Fatal(err)
			}
			got.Dir = ""
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("Detect(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestDetectBadInput(t *testing.T) {
	tests := []struct {
		name, dir, want string
	}{
		{"no module", t.TempDir(), "has no go.mod"},
		{"two main packages", "testdata/twomains", "2 main packages (./cmd/api, ./cmd/worker): name the service's with --main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Detect(tt.dir, "", "")
			var ie *InputError
			if err == nil || !strings.Contains(err.Error(), tt.want) || !asInput(err, &ie) {
				t.Fatalf("Detect(%s) = %v, want an InputError with %q", tt.dir, err, tt.want)
			}
		})
	}
}

func asInput(err error, ie **InputError) bool {
	e, ok := err.(*InputError)
	*ie = e
	return ok
}

// allFree is a machine on which every port is free, for golden files.
func allFree(int) (bool, string) { return true, "" }

// TestPlanGolden compares every file init writes with testdata/golden:
// each service on the local target, and two on kube with a pipeline.
func TestPlanGolden(t *testing.T) {
	tests := []struct {
		golden, service string
		opts            Options
	}{
		{"inventory", "inventory", Options{}},
		{"gofr-redis-kube", "gofr-redis", Options{Target: "kube", Image: "registry.acme.internal/greeter", Envs: []string{"dev", "staging", "prod"}}},
		{"billing", "billing", Options{}},
		{"ledger", "ledger", Options{}},
		{"relay", "relay", Options{Envs: []string{"dev", "prod"}}},
		{"billing-kube-github", "billing", Options{Target: "kube", CI: "github", Image: "registry.acme.internal/acme/billing", Install: "v0.4.0"}},
		{"inventory-kube-gitlab", "inventory", Options{Target: "kube", CI: "gitlab", Image: "registry.acme.internal/shop/inventory", Install: "v0.0.0-20261207071516-04d0f54aa1b2", Envs: []string{"dev", "staging", "production"}}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			svc, err := Detect(filepath.Join("testdata", tt.service), "", "")
			if err != nil {
				t.Fatal(err)
			}
			tt.opts.PortFree = allFree
			p, err := NewPlan(svc, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var summary strings.Builder
			p.Print(&summary)
			golden(t, filepath.Join(tt.golden, "PLAN"), summary.String())
			for _, f := range p.Files {
				if f.Action == Keep {
					continue
				}
				golden(t, filepath.Join(tt.golden, f.Path), string(f.Data))
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-golden +got):\n%s", name, diff)
	}
}

// TestNeverOverwrites: a second init keeps everything, --force replaces.
func TestNeverOverwrites(t *testing.T) {
	dir := copyService(t, "billing")
	svc, err := Detect(dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := NewPlan(svc, Options{Envs: []string{"qa", "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Write(); err != nil {
		t.Fatal(err)
	}
	mine := []byte("# mine\nconfig: {DATABASE_URL: postgres://billing@db.qa/billing}\n")
	os.WriteFile(filepath.Join(dir, "values-qa.yaml"), mine, 0o644)

	second, err := NewPlan(svc, Options{Envs: []string{"qa", "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range second.Files {
		if f.Action != Keep {
			t.Errorf("second plan: %s %s, want keep", f.Action, f.Path)
		}
	}
	if err := second.Write(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "values-qa.yaml")); string(got) != string(mine) {
		t.Errorf("values-qa.yaml was overwritten: %q", got)
	}

	forced, err := NewPlan(svc, Options{Envs: []string{"qa", "prod"}, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	forced.Write()
	if got, _ := os.ReadFile(filepath.Join(dir, "values-qa.yaml")); !strings.Contains(string(got), Placeholder("qa", "DATABASE_URL")) {
		t.Errorf("--force left values-qa.yaml as %q", got)
	}
}

// TestGoFrWithoutConfigs: a service on gofr.dev with no configs/.env gets
// one, with GoFr's defaults, and a chart that probes /.well-known/*.
func TestGoFrWithoutConfigs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/payments\n\ngo 1.26.0\n\nrequire gofr.dev v1.40.0\n",
		"cmd/payments/main.go": `package main

import "gofr.dev/pkg/gofr"

func main() {
	app := gofr.New()
	app.GET("/payments", func(c *gofr.Context) (any, error) { return nil, nil })
	app.Run()
}
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	svc, err := Detect(dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !svc.GoFr || svc.GoFrWhy != "go.mod requires gofr.dev" || svc.Main != "./cmd/payments" || svc.Port != 8000 || svc.MetricsPort != 2121 {
		t.Fatalf("Detect = %+v", svc)
	}
	p, err := NewPlan(svc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range p.Files {
		got[f.Path] = string(f.Data)
	}
	for path, want := range map[string]string{
		"configs/.env":                    "HTTP_PORT=8000\nMETRICS_PORT=2121\nLOG_LEVEL=INFO\nSHUTDOWN_GRACE_PERIOD=30s\n",
		"chart/templates/deployment.yaml": "path: /.well-known/health",
		"chart/values.yaml":               "terminationGracePeriodSeconds: 45",
		"values-prod.yaml":                `APP_ENV: "prod"`,
	} {
		if !strings.Contains(got[path], want) {
			t.Errorf("%s lacks %q:\n%s", path, want, got[path])
		}
	}
}

// TestSeveralCharts: with two charts init asks which is the service's;
// --chart answers.
func TestSeveralCharts(t *testing.T) {
	dir := copyService(t, "billing")
	for _, c := range []string{"charts/billing-api", "charts/billing-worker"} {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		os.WriteFile(filepath.Join(dir, c, "Chart.yaml"), []byte("apiVersion: v2\nname: x\nversion: 0.1.0\n"), 0o644)
	}
	_, err := Detect(dir, "", "")
	if err == nil || !strings.Contains(err.Error(), "2 Helm charts") || !strings.Contains(err.Error(), "charts/billing-api, charts/billing-worker") {
		t.Fatalf("Detect with two charts = %v, want both named", err)
	}
	svc, err := Detect(dir, "", "charts/billing-api/")
	if err != nil || svc.Chart != "charts/billing-api" {
		t.Fatalf("Detect --chart = %v, %v", svc, err)
	}
	if _, err := Detect(dir, "", "charts/nope"); err == nil || !strings.Contains(err.Error(), "no Chart.yaml there") {
		t.Errorf("Detect --chart nope = %v", err)
	}
}

// TestConfined: init reads and writes the repository only. A committed
// chart/ or .gitignore that links elsewhere is refused by name and the
// place it points at is left as it was; a Go file linked from outside is
// not read as a main package.
func TestConfined(t *testing.T) {
	for _, link := range []string{"chart", ".gitignore"} {
		t.Run(link, func(t *testing.T) {
			dir := copyService(t, "billing")
			elsewhere := filepath.Join(t.TempDir(), "elsewhere")
			if link == "chart" {
				if err := os.Mkdir(elsewhere, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(elsewhere, []byte("keep me\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
			svc, err := Detect(dir, "", "")
			if err != nil {
				t.Fatal(err)
			}
			// Refused as the plan reads it, or as it writes.
			plan, err := NewPlan(svc, Options{Envs: []string{"staging", "prod"}})
			if err == nil {
				err = plan.Write()
			}
			if err == nil || !strings.Contains(err.Error(), link+" is a symbolic link") {
				t.Fatalf("Write = %v, want a refusal naming %s", err, link)
			}
			if link == "chart" {
				if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
					t.Errorf("init wrote %d entries through the chart link", len(entries))
				}
			} else if got, _ := os.ReadFile(elsewhere); string(got) != "keep me\n" {
				t.Errorf("init appended through the .gitignore link: %q", got)
			}
		})
	}

	t.Run("main package linked in", func(t *testing.T) {
		dir := copyService(t, "billing")
		other := filepath.Join(t.TempDir(), "main.go")
		if err := os.WriteFile(other, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "cmd", "linked"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(other, filepath.Join(dir, "cmd", "linked", "main.go")); err != nil {
			t.Fatal(err)
		}
		svc, err := Detect(dir, "", "")
		if err != nil {
			t.Fatalf("Detect = %v: a main package linked from outside counted as one of the repository's", err)
		}
		if svc.Main != "./cmd/billing" {
			t.Errorf("main = %s, want ./cmd/billing", svc.Main)
		}
	})
}

// TestPortWithoutVariable: the flag shapes and image commands that fix a
// service's port without a variable, and near misses that must not be
// taken for it (side ports, a flag named for something else, a RUN line).
func TestPortWithoutVariable(t *testing.T) {
	flags := []struct{ src, want string }{
		{`flag.String("addr", ":8080", "listen address")`, `8080 flag --addr defaults to ":8080" at main.go:1`},
		{`flag.StringVar(&a, "listen", "0.0.0.0:9000", "")`, `9000 flag --listen defaults to "0.0.0.0:9000" at main.go:1`},
		{`pflag.StringVarP(&h, "host", "h", "[::]:8443", "")`, `8443 flag --host defaults to "[::]:8443" at main.go:1`},
		{`fs.IntVar(&p, "port", 3000, "")`, `3000 flag --port defaults to 3000 at main.go:1`},
		{`cmd.Flags().IntP("http-port", "p", 8081, "")`, `8081 flag --http-port defaults to 8081 at main.go:1`},
		{`flag.String("metrics-addr", ":9102", "")`, `0 `},
		{`flag.Int("db-port", 5432, "")`, `0 `},
		{`flag.Int("workers", 8080, "")`, `0 `},
		{`flag.String("upstream", "api:8080", "")`, `0 `},
		{`flag.Bool("port", true, "")`, `0 `},
	}
	for _, tt := range flags {
		fset := token.NewFileSet()
		e, err := parser.ParseExprFrom(fset, "main.go", tt.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		p, from := flagPort(e.(*ast.CallExpr), "main.go", fset)
		if got := fmt.Sprintf("%d %s", p, from); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.src, got, tt.want)
		}
	}
	docker := []struct{ file, want string }{
		{"FROM x\nCMD [\"/relay\", \"-addr\", \":7070\"]\n", "7070 Dockerfile:2 passes -addr :7070"},
		{"FROM x\nENTRYPOINT /app --metrics-addr=:9102 --listen=0.0.0.0:8000\n", "8000 Dockerfile:2 passes --listen 0.0.0.0:8000"},
		{"FROM x\ncmd ./srv --port 5000\n", "5000 Dockerfile:2 passes --port 5000"},
		{"FROM x\nRUN ./srv --port 5000 --selftest\nCMD [\"./srv\"]\n", "0 "},
		{"FROM x\nEXPOSE 8000\nCMD [\"./srv\", \"--workers\", \"4000\"]\n", "0 "},
	}
	for _, tt := range docker {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(tt.file), 0o644); err != nil {
			t.Fatal(err)
		}
		root, err := confine.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		p, from := dockerPort(root)
		root.Close()
		if got := fmt.Sprintf("%d %s", p, from); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.file, got, tt.want)
		}
	}
}

// TestChartEnvs: the environments init takes from a kept chart are the
// ones its values files name, for a werf .helm without Chart.yaml as
// for a Helm chart; an environment CI deploys only with another one's
// values file (a pull request's review app on values-dev.yaml) is not
// a stage of the path, one with a file of its own is.
func TestChartEnvs(t *testing.T) {
	review := t.TempDir()
	for f, c := range map[string]string{
		"go.mod":                        "module example.com/shop/cart\n",
		"chart/Chart.yaml":              "apiVersion: v2\nname: cart\nversion: 0.1.0\n",
		"chart/values.yaml":             "replicaCount: 1\n",
		"chart/values-dev.yaml":         "replicaCount: 1\n",
		"chart/values-eu-prod.yaml":     "replicaCount: 4\n",
		".github/workflows/main.yml":    "jobs:\n  dev:\n    environment: dev\n    steps:\n      - run: helm upgrade --install cart ./chart -n dev -f chart/values-dev.yaml\n",
		".github/workflows/pr.yml":      "jobs:\n  review:\n    environment: review\n    steps:\n      - run: helm upgrade --install cart-pr-${{ github.event.number }} ./chart -n review -f chart/values-dev.yaml\n",
		".github/workflows/release.yml": "jobs:\n  eu-prod:\n    environment: eu-prod\n    steps:\n      - run: helm upgrade --install cart ./chart -n cart -f chart/values-eu-prod.yaml\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(review, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(review, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, dir, chart string
		want             []string
	}{
		{"werf chart, review app on dev's values", "testdata/tokencache", ".helm", []string{"dev", "staging"}},
		{"helm chart", "testdata/ledger", "deploy/helm/ledger", []string{"staging", "prod"}},
		{"review app beside eu-prod", review, "chart", []string{"dev", "eu-prod"}},
		{"a chart init writes", "testdata/relay", "", nil},
	}
	for _, tt := range tests {
		if got := ChartEnvs(tt.dir, tt.chart); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestInitLeavesOverlaysAlone: init on a GoFr service with per-environment
// overlays (configs/.<env>.env) puts none of configs/'s keys into the
// ConfigMap where the overlay would be shadowed: the ConfigMap is process
// environment, which wins over GoFr's files. Rendered, each environment's
// LOG_LEVEL and REDIS_HOST are its overlay's; an environment without one
// gets a placeholder; a port the overlay moves is followed by the chart.
func TestInitLeavesOverlaysAlone(t *testing.T) {
	dir := copyService(t, "gofr-redis")
	svc, err := Detect(dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(svc, Options{PortFree: allFree, Target: "kube", Image: "registry.acme.internal/greeter", Envs: []string{"dev", "staging", "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	proj, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := render.New(proj)
	tests := []struct {
		env       string
		want      map[string]string // key → value@source prefix
		fromChart []string          // keys the ConfigMap may set
	}{
		{"dev", map[string]string{"LOG_LEVEL": "DEBUG@configs/.env", "REDIS_HOST": "REPLACE_WITH_DEV_REDIS_HOST@values-dev.yaml", "HTTP_PORT": "8000@chart/values.yaml"},
			[]string{"APP_ENV", "HTTP_PORT", "METRICS_PORT", "REDIS_HOST"}},
		{"staging", map[string]string{"LOG_LEVEL": "INFO@configs/.staging.env", "REDIS_HOST": "redis.staging.svc.cluster.local@configs/.staging.env", "GREETING": "Hello from staging@configs/.staging.env"},
			[]string{"APP_ENV", "HTTP_PORT", "METRICS_PORT"}},
		{"prod", map[string]string{"LOG_LEVEL": "WARN@configs/.prod.env", "REDIS_PORT": "6380@configs/.prod.env", "HTTP_PORT": "8080@values-prod.yaml"},
			[]string{"APP_ENV", "HTTP_PORT", "METRICS_PORT"}},
	}
	for _, tt := range tests {
		res, err := r.Render(t.Context(), tt.env)
		if err != nil {
			t.Fatalf("%s: %v", tt.env, err)
		}
		for k, want := range tt.want {
			v, src, _ := strings.Cut(want, "@")
			en, ok := res.Config.Get(k)
			if !ok || en.Value != v || !strings.HasPrefix(en.Source.File, src) {
				t.Errorf("%s: %s = %q from %s, want %q from %s", tt.env, k, en.Value, en.Source, v, src)
			}
		}
		for _, en := range res.Config.Entries {
			if en.Source.Kind == render.KindFile || slices.Contains(tt.fromChart, en.Key) {
				continue
			}
			t.Errorf("%s: the chart sets %s (%s), shadowing configs/", tt.env, en.Key, en.Source)
		}
		port := 8000
		if tt.env == "prod" {
			port = 8080
		}
		if w := res.Workloads; len(w) != 1 || len(w[0].Containers) != 1 || w[0].Containers[0].Ports["http"] != port {
			t.Errorf("%s: the container's http port is not %d: %+v", tt.env, port, w)
		}
	}
}
