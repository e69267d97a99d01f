package project

import (
	"strings"
	"testing"
)

// TestNameless covers how a deploy command that names no environment
// is called: after its namespace, else its release, as written; one
// ferry cannot define (a chart or values file CI fills in, no literal
// name) is listed as not checked instead.
func TestNameless(t *testing.T) {
	dir := "testdata/ci/ledger-py-unmatched"
	for _, tc := range []struct {
		name string
		d    Deploy
		want string // "" when it is listed as not checked
		why  string // what the header says
	}{
		{"namespace", Deploy{Release: "shop", Namespace: "shop-live", Chart: "helm"}, "shop-live", "after its namespace"},
		{"default namespace", Deploy{Release: "shop", Namespace: "default", Chart: "helm"}, "shop", "after its release"},
		{"no namespace", Deploy{Release: "Shop", Chart: "helm"}, "shop", "after its release"},
		{"namespace from CI", Deploy{Release: "shop", Namespace: "${{ vars.NS }}", Chart: "helm"}, "shop", "after its release"},
		{"own values file", Deploy{Release: "shop", Namespace: "shop", Chart: "helm", Values: []string{"helm/values-dev.yaml"}}, "shop", "after its namespace"},
		{"values from CI", Deploy{File: "deploy.sh", Line: 7, Release: "shop", Namespace: "shop", Chart: "helm", Values: []string{"$VALUES"}}, "", "deploy.sh:7 (release shop, namespace shop, values $VALUES)"},
		{"chart from CI", Deploy{File: "ci.yml", Line: 3, Release: "shop", Chart: "$CHART"}, "", "ci.yml:3 (release shop, namespace unset, values the chart's)"},
		{"nothing literal", Deploy{File: "ci.yml", Line: 9, Release: "$R", Namespace: "$NS", Chart: "helm"}, "", "ci.yml:9 (release $R, namespace $NS, values the chart's)"},
		{"values file missing", Deploy{File: "ci.yml", Line: 4, Release: "shop", Chart: "helm", Values: []string{"helm/values-live.yaml"}}, "", "ci.yml:4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Project{Dir: dir, Chart: "helm"}
			got := p.nameless(tc.d)
			if got != tc.want {
				t.Fatalf("nameless = %q, want %q", got, tc.want)
			}
			said := p.named[got]
			if got == "" {
				said = strings.Join(p.unmatched, "; ")
			}
			if !strings.Contains(said, tc.why) {
				t.Errorf("header says %q, want it to say %q", said, tc.why)
			}
		})
	}
}

// TestLocalDeployListed: a command its script or job names local (a
// developer's machine) defines no environment and is listed as not
// checked; a command written for every environment
// (-f values-$ENV.yaml) that values-local.yaml happens to match is not
// said to deploy local.
func TestLocalDeployListed(t *testing.T) {
	chart := map[string]string{
		"helm/Chart.yaml": chartYAML, "helm/values.yaml": "", "helm/values-local.yaml": "", "helm/values-prod.yaml": "",
	}
	for _, tc := range []struct {
		name   string
		script string
		want   bool
	}{
		{"deploy-local.sh", "#!/bin/sh\nhelm upgrade --install svc ./helm -n svc --set image.pullPolicy=Never\n", true},
		{"deploy.sh", "#!/bin/sh\nENV=\"$1\"\nhelm upgrade --install svc ./helm -n \"svc-$ENV\" -f \"helm/values-$ENV.yaml\"\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"scripts/" + tc.name: tc.script}
			for k, v := range chart {
				files[k] = v
			}
			write(t, dir, files)
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(p.OrderReason, "scripts/"+tc.name+":"); got != tc.want {
				t.Errorf("order line %q: listed %v, want %v", p.OrderReason, got, tc.want)
			}
			if _, err := p.Env("local"); err != nil {
				t.Errorf("values-local.yaml is no longer an environment: %v", err)
			}
		})
	}
}
