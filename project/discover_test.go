package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiscoveryLayouts covers where real repositories keep their charts
// and environment values, each with a near miss that must not count.
func TestDiscoveryLayouts(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantChart string
		wantVals  map[string][]string
		runtime   string
		configs   string   // checked when set
		warnings  []string // checked when set
	}{
		{
			name: "deploy/helm with values-<env>.yaml and a common layer",
			files: map[string]string{
				"go.mod":                          "module x\n\nrequire github.com/gin-gonic/gin v1.10.0\n",
				"deploy/helm/Chart.yaml":          chartYAML,
				"deploy/helm/values.yaml":         "",
				"deploy/helm/values-common.yaml":  "",
				"deploy/helm/values-staging.yaml": "",
				"deploy/helm/values-prod.yaml":    "",
				"deploy/helm/secrets.prod.yaml":   "", // helm-secrets: not an environment
				"deploy/helm/ci/test-values.yaml": "", // chart-testing: not an environment
			},
			wantChart: "deploy/helm", runtime: RuntimeGeneric,
			wantVals: map[string][]string{
				"staging": {"deploy/helm/values.yaml", "deploy/helm/values-common.yaml", "deploy/helm/values-staging.yaml"},
				"prod":    {"deploy/helm/values.yaml", "deploy/helm/values-common.yaml", "deploy/helm/values-prod.yaml"},
			},
		},
		{
			name: ".helm with values.<env>.yaml, GoFr by go.mod",
			files: map[string]string{
				"go.mod":                  "module x\n\nrequire (\n\tgofr.dev v1.40.0\n)\n",
				".helm/Chart.yaml":        chartYAML,
				".helm/values.dev.yaml":   "",
				".helm/values.uat.yaml":   "",
				".github/helm/Chart.yaml": chartYAML, // dot directories other than .helm are skipped
			},
			wantChart: ".helm", runtime: RuntimeGoFr,
			wantVals: map[string][]string{"dev": {".helm/values.dev.yaml"}, "uat": {".helm/values.uat.yaml"}},
		},
		{
			name: "deploy/helm/<name> with environments in the parent",
			files: map[string]string{
				"deploy/helm/ledger/Chart.yaml":  chartYAML,
				"deploy/helm/ledger/values.yaml": "",
				"deploy/helm/values-dev.yaml":    "",
				"deploy/helm/values-dr.yaml":     "",
				"node_modules/x/Chart.yaml":      chartYAML, // dependencies are skipped
			},
			wantChart: "deploy/helm/ledger", runtime: RuntimeGeneric,
			wantVals: map[string][]string{
				"dev": {"deploy/helm/ledger/values.yaml", "deploy/helm/values-dev.yaml"},
				"dr":  {"deploy/helm/ledger/values.yaml", "deploy/helm/values-dr.yaml"},
			},
		},
		{
			name: "helm/ with <env>/values.yaml directories, an umbrella's subcharts are one chart",
			files: map[string]string{
				"helm/Chart.yaml":                 chartYAML,
				"helm/charts/redis/Chart.yaml":    chartYAML,
				"helm/staging/values.yaml":        "",
				"helm/production/values.yaml":     "",
				"helm/templates/values.yaml":      "", // not an environment
				"configs/.env":                    "",
				"environments/prod/notes.md":      "",
				"docs/values.yaml":                "",
				"examples/values-readme.yaml":     "",
				"examples/deep/er/still/too/deep": "",
			},
			wantChart: "helm", runtime: RuntimeGoFr,
			wantVals: map[string][]string{"staging": {"helm/staging/values.yaml"}, "production": {"helm/production/values.yaml"}},
		},
		{
			name: "a service directory in a monorepo: its own go.mod and configs/",
			files: map[string]string{
				"go.mod":                              "module acme/platform\n\nrequire github.com/gin-gonic/gin v1.10.0\n",
				"services/ledger/go.mod":              "module acme/ledger\n\nrequire gofr.dev v1.42.0\n",
				"services/ledger/configs/.env":        "APP_NAME=ledger\n",
				"services/ledger/configs/.qa.env":     "",
				"services/ledger/chart/Chart.yaml":    chartYAML,
				"services/ledger/values-prod.yaml":    "",
				"services/ledger/chart/values.yaml":   "",
				"services/ledger/chart/values-qa.yml": "",
			},
			wantChart: "services/ledger/chart", runtime: RuntimeGoFr, configs: "services/ledger/configs",
			wantVals: map[string][]string{
				"qa":   {"services/ledger/chart/values.yaml", "services/ledger/chart/values-qa.yml"},
				"prod": {"services/ledger/chart/values.yaml", "services/ledger/values-prod.yaml"},
			},
		},
		{
			name: "<env>/values.yaml at the root beside charts/<name>, ferry.yaml excludes one",
			files: map[string]string{
				"ferry.yaml":              "exclude: [local]\nruntime: generic\n",
				"charts/api/Chart.yaml":   chartYAML,
				"charts/api/values.yaml":  "",
				"prod/values.yaml":        "",
				"qa/values.yaml":          "",
				"local/values.yaml":       "",
				"scripts/values.yaml":     "",
				"charts/api/values/x.txt": "",
			},
			wantChart: "charts/api", runtime: RuntimeGeneric,
			wantVals: map[string][]string{
				"qa":   {"charts/api/values.yaml", "qa/values.yaml"},
				"prod": {"charts/api/values.yaml", "prod/values.yaml"},
			},
		},
		{
			name: "values of separate installs beside the chart are not environments (Java, Chart v1 requirements)",
			files: map[string]string{
				"pom.xml":         "<project/>",
				"helm/Chart.yaml": "apiVersion: v1\nname: workout\nversion: 0.1.0\n",
				"helm/requirements.yaml": "dependencies:\n  - name: keycloak\n    version: 0.1.0\n    repository: file://charts/keycloak\n" +
					"  - name: postgresql\n    alias: db\n    version: 12.1.0\n    repository: https://charts.example.org\n",
				"helm/charts/keycloak/Chart.yaml": chartYAML,
				"helm/values.yaml":                "service:\n  port: 8080\nkeycloak:\n  enabled: true\n",
				"helm/values-prod.yaml":           "image:\n  tag: 1.4.2\n",
				"helm/keycloak/values.yaml":       "auth:\n  adminUser: admin\nservice:\n  type: ClusterIP\n",
				"helm/db/values.yaml":             "primary:\n  persistence:\n    size: 8Gi\n", // by alias
				"helm/minio/Chart.yaml":           chartYAML,                                   // a chart of its own
				"helm/minio/values.yaml":          "mode: standalone\n",
				"helm/eu-west/values.yaml":        "replicaCount: 3\n", // near miss: a region's values, an environment
			},
			wantChart: "helm", runtime: RuntimeGeneric,
			wantVals: map[string][]string{
				"prod":    {"helm/values.yaml", "helm/values-prod.yaml"},
				"eu-west": {"helm/values.yaml", "helm/eu-west/values.yaml"},
			},
			warnings: []string{
				`helm/db/values.yaml: not an environment: "db" is a dependency of chart helm, so this is the values of a separate db install`,
				`helm/keycloak/values.yaml: not an environment: "keycloak" is a dependency of chart helm, so this is the values of a separate keycloak install`,
				"helm/minio/values.yaml: not an environment: helm/minio/ is a chart of its own, and a chart's values.yaml is its defaults",
			},
		},
		{
			name: "GitLab environment names with '_' (Java): read with '-', the CI job's name matched to the file's",
			files: map[string]string{
				"pom.xml":                            "<project/>",
				"k8s/helm/Chart.yaml":                chartYAML,
				"k8s/helm/values.yaml":               "replicaCount: 1\n",
				"k8s/helm/values-primary_dev.yaml":   "replicaCount: 1\n",
				"k8s/helm/values-fallback_prod.yaml": "replicaCount: 2\n",
				"k8s/helm/values-Staging.yaml":       "replicaCount: 1\n", // near miss: no name can be made of it
				".gitlab-ci.yml": "deploy_fallback_prod:\n  variables:\n    ENVIRONMENT_NAME: fallback_prod\n  environment:\n    name: fallback_prod\n" +
					"  script:\n    - helm upgrade --install search ./k8s/helm --values ./k8s/helm/values-${ENVIRONMENT_NAME}.yaml -n search-fallback\n",
			},
			wantChart: "k8s/helm", runtime: RuntimeGeneric,
			wantVals: map[string][]string{
				"primary-dev":   {"k8s/helm/values.yaml", "k8s/helm/values-primary_dev.yaml"},
				"fallback-prod": {"k8s/helm/values.yaml", "k8s/helm/values-fallback_prod.yaml"},
			},
			warnings: []string{`k8s/helm/values-Staging.yaml: "Staging" is not an environment name (lower-case letters, digits and '-'); ignored — rename the file, or list it under an environment's values: in ferry.yaml`},
		},
		{
			name: "a chart in a dot directory that the CI deploy command installs (Ruby, .deploy/rails)",
			files: map[string]string{
				"Gemfile":                                 "source \"https://rubygems.org\"\ngem \"rails\", \"~> 7.1\"\n",
				".deploy/rails/Chart.yaml":                chartYAML,
				".deploy/rails/values.yaml":               "image:\n  repository: ghcr.io/acme/pad\n  tag: latest\n",
				".deploy/rails/templates/deployment.yaml": "kind: Deployment\n",
				".devcontainer/helm/Chart.yaml":           chartYAML, // near miss: a dot directory's chart nothing deploys
				".github/workflows/deploy.yml": "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n" +
					"      - uses: actions/checkout@v4\n      - run: |\n          helm upgrade pad-prod ./.deploy/rails --install \\\n" +
					"            -f .deploy/rails/values.yaml --namespace pad-prod\n",
			},
			wantChart: ".deploy/rails", runtime: RuntimeGeneric,
			wantVals: map[string][]string{"prod": {".deploy/rails/values.yaml"}},
		},
		{
			name: "a sibling install's values beside deploy/helm/<svc> (Python, Chart v2 dependencies)",
			files: map[string]string{
				"pyproject.toml":                   "[project]\nname = \"orders\"\n",
				"deploy/helm/orders/Chart.yaml":    "apiVersion: v2\nname: orders\nversion: 1.0.0\ndependencies:\n  - name: rabbitmq\n    version: 12.0.0\n    repository: oci://charts.example.org\n",
				"deploy/helm/orders/values.yaml":   "image:\n  repository: ghcr.io/acme/orders\n",
				"deploy/helm/rabbitmq/values.yaml": "auth:\n  username: orders\n",
				"deploy/helm/redis/values.yaml":    "architecture: standalone\n",
				"deploy/helm/staging/values.yaml":  "replicaCount: 2\n",
				"deploy/helm/values-prod.yaml":     "replicaCount: 4\n",
			},
			wantChart: "deploy/helm/orders", runtime: RuntimeGeneric,
			wantVals: map[string][]string{
				"staging": {"deploy/helm/orders/values.yaml", "deploy/helm/staging/values.yaml"},
				"prod":    {"deploy/helm/orders/values.yaml", "deploy/helm/values-prod.yaml"},
			},
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
			got := map[string][]string{}
			for _, e := range p.Environments {
				got[e.Name] = e.Values
			}
			if diff := cmp.Diff(tt.wantVals, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, p.Warnings); tt.warnings != nil && diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if tt.configs != "" && p.Configs != tt.configs {
				t.Errorf("Configs = %q, want %q", p.Configs, tt.configs)
			}
			if p.Runtime != tt.runtime || p.RuntimeReason == "" {
				t.Errorf("Runtime = %q (%s), want %q with a reason", p.Runtime, p.RuntimeReason, tt.runtime)
			}
		})
	}
}

func TestDiscoveryFailures(t *testing.T) {
	t.Run("empty directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Load(dir)
		var nc *NoChartError
		if !errors.As(err, &nc) || !strings.Contains(err.Error(), "no Helm chart found under") {
			t.Errorf("Load(empty) = %v, want a NoChartError", err)
		}
	})
	t.Run("several charts", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, map[string]string{"deploy/api/Chart.yaml": chartYAML, "deploy/worker/Chart.yaml": chartYAML})
		_, err := Load(dir)
		var sc *SeveralChartsError
		if !errors.As(err, &sc) || !cmp.Equal(sc.Charts, []string{"deploy/api", "deploy/worker"}) {
			t.Fatalf("Load = %v, want a SeveralChartsError naming both", err)
		}
		p, err := LoadChart(dir, "deploy/worker")
		if err != nil || p.Chart != "deploy/worker" {
			t.Errorf("LoadChart = %v, %v", p, err)
		}
	})
	t.Run("a dot directory's chart no deploy command installs", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, map[string]string{
			".deploy/rails/Chart.yaml":       chartYAML,
			".github/workflows/build.yml":    "jobs:\n  build:\n    steps:\n      - run: docker build -t pad .\n",
			".deploy/rails/values-prod.yaml": "",
		})
		var nc *NoChartError
		if _, err := Load(dir); !errors.As(err, &nc) {
			t.Errorf("Load = %v, want a NoChartError", err)
		}
	})
	t.Run("bad runtime", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, map[string]string{"Chart.yaml": chartYAML, "ferry.yaml": "runtime: spring\n"})
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `runtime "spring"`) {
			t.Errorf("Load = %v", err)
		}
	})
}

// TestWerfProject: a .helm directory beside werf.yaml is werf's chart,
// named by project:, or by the directory when project: is templated;
// near misses: no werf.yaml, no templates/, a directory not called .helm.
func TestWerfProject(t *testing.T) {
	for _, tc := range []struct {
		name, werf, dir string
		templates       bool
		want            string
	}{
		{"named", "project: billing\nconfigVersion: 1\n---\nimage: app\n", ".helm", true, "billing"},
		{"templated", "project: {{ env \"PROJECT\" }}\nconfigVersion: 1\n", ".helm", true, "templated"},
		{"no werf.yaml", "", ".helm", true, ""},
		{"no templates", "project: billing\n", ".helm", false, ""},
		{"other directory", "project: billing\n", "helm", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), tc.name)
			dir := filepath.Join(root, tc.dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.templates {
				if err := os.Mkdir(filepath.Join(dir, "templates"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.werf != "" {
				if err := os.WriteFile(filepath.Join(root, "werf.yaml"), []byte(tc.werf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := WerfProject(dir); got != tc.want {
				t.Errorf("WerfProject = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUmbrellaSubcharts: charts an umbrella pulls in as file://
// dependencies (helm/ledger, helm/notify beside helm/bank) are checked
// inside the umbrella, not as projects given the umbrella's
// values-<env>.yaml; the umbrella keeps its environments.
func TestUmbrellaSubcharts(t *testing.T) {
	charts, err := FindCharts("testdata/umbrella")
	if err != nil || !cmp.Equal(charts, []string{"helm/bank"}) {
		t.Fatalf("FindCharts = %v, %v; want only the umbrella helm/bank", charts, err)
	}
	ps, err := LoadAll("testdata/umbrella")
	if err != nil || len(ps) != 1 {
		t.Fatalf("LoadAll = %d projects, %v; want the umbrella alone", len(ps), err)
	}
	got := map[string][]string{}
	for _, e := range ps[0].Environments {
		got[e.Name] = e.Values
	}
	want := map[string][]string{
		"dev":        {"helm/bank/values.yaml", "helm/values-dev.yaml"},
		"production": {"helm/bank/values.yaml", "helm/values-production.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" || len(ps[0].Warnings) > 0 {
		t.Errorf("umbrella environments (-want +got):\n%s\nwarnings %q", diff, ps[0].Warnings)
	}
}

// TestUmbrellaValuesNotOthers: a values-<env>.yaml whose top-level keys
// name the charts beside it is their umbrella's, not the environment of
// a chart checked on its own (-C helm/ledger, or a dependency pulled from
// a registry); near misses keep a file that sets the chart's own keys or
// its own dependency's.
func TestUmbrellaValuesNotOthers(t *testing.T) {
	p, err := LoadChart("testdata/umbrella", "helm/ledger")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Environments) != 0 {
		t.Errorf("helm/ledger environments %v, want none", p.EnvNames())
	}
	wantWarn := []string{
		"helm/values-dev.yaml: not an environment of helm/ledger: its top-level keys (ledger, notify) name the charts beside it, so it is their umbrella's values",
		"helm/values-production.yaml: not an environment of helm/ledger: its top-level keys (ledger, notify) name the charts beside it, so it is their umbrella's values",
	}
	if diff := cmp.Diff(wantWarn, p.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name  string
		files map[string]string
		envs  string
	}{
		{"own keys beside a sibling chart", map[string]string{
			"deploy/helm/orders/Chart.yaml":   chartYAML,
			"deploy/helm/orders/values.yaml":  "replicaCount: 1\nimage:\n  tag: latest\n",
			"deploy/helm/rabbitmq/Chart.yaml": chartYAML,
			"deploy/helm/values-prod.yaml":    "replicaCount: 4\nimage:\n  tag: 1.2.0\n",
		}, "prod"},
		{"own dependency's key named like a sibling chart", map[string]string{
			"deploy/helm/orders/Chart.yaml":   "apiVersion: v2\nname: orders\nversion: 1.0.0\ndependencies:\n  - name: rabbitmq\n    version: 12.0.0\n    repository: oci://charts.example.org\n",
			"deploy/helm/orders/values.yaml":  "replicaCount: 1\n",
			"deploy/helm/rabbitmq/Chart.yaml": chartYAML,
			"deploy/helm/values-prod.yaml":    "rabbitmq:\n  replicaCount: 3\n",
		}, "prod"},
		{"a registry dependency's vendored source beside the umbrella", map[string]string{
			"helm/shop/Chart.yaml":     "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - name: api\n    version: 0.1.0\n    repository: https://charts.example.org\n",
			"helm/api/Chart.yaml":      chartYAML,
			"helm/api/values.yaml":     "image:\n  tag: latest\n",
			"helm/values-staging.yaml": "api:\n  image:\n    tag: 0.9.1\n",
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.files)
			chart := "deploy/helm/orders"
			if _, ok := tc.files["helm/api/Chart.yaml"]; ok {
				chart = "helm/api"
			}
			p, err := LoadChart(dir, chart)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.EnvNames(), ","); got != tc.envs {
				t.Errorf("environments %q, want %q (warnings %q)", got, tc.envs, p.Warnings)
			}
		})
	}
}
