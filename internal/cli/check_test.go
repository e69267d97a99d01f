package cli

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
)

const brokenTwin = "../../check/testdata/orders-api-broken"

func TestCheckExitCodes(t *testing.T) {
	warnOnly := writeProject(t, map[string]string{
		"configs/.env":         "APP_NAME=x\nLOG_LEVEL=INFO\n",
		"configs/.staging.env": "LOG_LEVEL=INFO\n",
		"configs/.prod.env":    "LOG_LEVEL=INFO\nMETRICS_PORT=0\n",
	})
	chart := map[string]string{
		"pom.xml":           "<project><artifactId>search</artifactId></project>\n",
		"chart/Chart.yaml":  "apiVersion: v2\nname: search\nversion: 0.1.0\n",
		"chart/values.yaml": "image:\n  repository: ghcr.io/acme/search\n  tag: 2.3.1\n",
		"chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\nspec:\n" +
			"  selector: {matchLabels: {app: search}}\n  template:\n    metadata: {labels: {app: search}}\n" +
			"    spec:\n      containers:\n        - name: search\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
	}
	// GitLab-style environment names (primary_dev) are environments,
	// named with '-'; a values file no name can be made of is said, and a
	// project left with no environment is no pass.
	underscores := testtree.Write(t, with(chart, map[string]string{
		"chart/values-primary_dev.yaml":   "image:\n  tag: 2.4.0-rc.1\n",
		"chart/values-fallback_prod.yaml": "image:\n  tag: 2.3.1\n",
	}))
	noEnv := testtree.Write(t, with(chart, map[string]string{"chart/values-Prod.yaml": "image:\n  tag: 2.3.1\n"}))
	// A monorepo whose cluster-wide chart (a cert-manager ClusterIssuer
	// Terraform installs once per cluster) has no environment: said as
	// an info beside the API's checked chart, not an incomplete run
	// (eval9 fastapi); alone, nothing was checked and it still is one.
	issuer := map[string]string{
		"helm/cluster-issuer/Chart.yaml":  "apiVersion: v2\nname: cluster-issuer\nversion: 0.1.0\n",
		"helm/cluster-issuer/values.yaml": "email: ops@shop.test\nserver: https://acme-v02.api.letsencrypt.org/directory\n",
		"helm/cluster-issuer/templates/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\n" +
			"spec:\n  acme:\n    email: {{ .Values.email }}\n    server: {{ .Values.server }}\n    privateKeySecretRef: {name: letsencrypt-key}\n",
	}
	api := map[string]string{
		"requirements.txt":             "fastapi==0.111.0\nuvicorn==0.30.1\n",
		"helm/api/Chart.yaml":          "apiVersion: v2\nname: api\nversion: 0.2.0\n",
		"helm/api/values.yaml":         "image:\n  repository: ghcr.io/shop/api\n  tag: 1.0.4\n",
		"helm/api/values-preprod.yaml": "replicas: 1\n",
		"helm/api/values-prod.yaml":    "replicas: 2\n",
		"helm/api/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: {{ .Values.replicas }}\n" +
			"  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n" +
			"    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
	}
	monorepo := testtree.Write(t, with(api, issuer))
	issuerOnly := testtree.Write(t, with(issuer, map[string]string{
		"helm/ingress-classes/Chart.yaml":           "apiVersion: v2\nname: ingress-classes\nversion: 0.1.0\n",
		"helm/ingress-classes/templates/nginx.yaml": "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec:\n  controller: k8s.io/ingress-nginx\n",
	}))
	tests := []struct {
		name string
		args string
		code int
		out  string // substring of stdout
		err  string // substring of stderr
	}{
		{name: "example is clean", args: "-C ../../examples/orders-api check", code: 0, out: "0 errors, 0 warnings, 0 infos, 1 accepted"},
		{name: "example is clean even strict", args: "-C ../../examples/orders-api check --strict", code: 0},
		{name: "broken twin fails", args: "-C " + brokenTwin + " check", code: 1, out: "FERRY010 shared-database"},
		{name: "warnings pass", args: "-C " + warnOnly + " check", code: 0, out: "FERRY054"},
		{name: "warnings fail strict", args: "-C " + warnOnly + " check --strict", code: 1, out: "FERRY054"},
		{name: "missing project", args: "-C does-not-exist check", code: 2, err: "does-not-exist"},
		{name: "bad format", args: "-C ../../examples/orders-api check -o yaml", code: 2, err: "unknown format"},
		{name: "underscored environments", args: "-C " + underscores + " check", code: 0, out: "primary-dev: from chart/values-primary_dev.yaml (discovered; '_' in the file's name read as '-'"},
		{name: "no environment left", args: "-C " + noEnv + " check", code: 2, out: "Not checked",
			err: `ferry: no environment checked: chart/values-Prod.yaml: "Prod" is not an environment name`},
		{name: "no environment's warning said", args: "-C " + noEnv + " check -o json", code: 2, out: `"message": "no environment checked`,
			err: `ferry: warning: chart/values-Prod.yaml: "Prod" is not an environment name`},
		{name: "a chart with no environment beside a checked one", args: "-C " + monorepo + " check", code: 0,
			out: "info: not checked: no environments: chart helm/cluster-issuer has no values file", err: "not checked: no environments"},
		{name: "near miss: charts with no environment and nothing checked", args: "-C " + issuerOnly + " check", code: 2,
			out: "incomplete: 2 ", err: ": no environment checked: chart helm/cluster-issuer"},
		{name: "several projects, concurrently", args: "check ../../examples/orders-api " + brokenTwin, code: 1, out: "== " + brokenTwin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.args)
			if code != tt.code {
				t.Errorf("ferry %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("ferry %s: stdout lacks %q:\n%s", tt.args, tt.out, out)
			}
			if !strings.Contains(errOut, tt.err) {
				t.Errorf("ferry %s: stderr lacks %q:\n%s", tt.args, tt.err, errOut)
			}
		})
	}
}

// with is files with more added.
func with(files, more map[string]string) map[string]string {
	out := maps.Clone(files)
	maps.Copy(out, more)
	return out
}

// writeProject writes a chartless project: configs/ only.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	return testtree.Write(t, files)
}

func TestCheckJSON(t *testing.T) {
	out, _, code := run(t, "-C "+brokenTwin+" check -o json")
	if code != 1 {
		t.Errorf("check -o json on the broken twin: exit %d, want 1", code)
	}
	var got struct {
		Findings []struct {
			Rule, Severity string
			Environments   []string
			Accepted       bool
		}
		Summary struct{ Errors, Warnings, Infos, Accepted int }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("check -o json is not JSON: %v\n%s", err, out)
	}
	if got.Summary.Errors == 0 || got.Summary.Accepted != 1 || len(got.Findings) == 0 {
		t.Errorf("check -o json summary = %+v", got.Summary)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("check -o json prints a secret value")
	}
}

func TestCheckSARIF(t *testing.T) {
	out, _, code := run(t, "-C "+brokenTwin+" check -o sarif")
	if code != 1 {
		t.Errorf("check -o sarif on the broken twin: exit %d, want 1", code)
	}
	var log struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("check -o sarif is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("check -o sarif: version %q, %d runs", log.Version, len(log.Runs))
	}
	// URIs are relative to the directory ferry ran in, as code-scanning
	// UIs resolve them against the repository root.
	uri := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI
	if !strings.HasPrefix(uri, "../../check/testdata/orders-api-broken/") {
		t.Errorf("SARIF artifact URI = %q, want it under the project directory as given", uri)
	}
}
