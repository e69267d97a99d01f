package render

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// TestForCheck: a SOPS values file no sops can decrypt here
// (no decrypter is installed in this test) fails a render, and with
// stand-ins the environment renders: the encrypted key keeps its
// committed line, is secret, and the Result says the file was not
// decrypted and why.
func TestForCheck(t *testing.T) {
	p, err := project.LoadChart("../check/testdata/charts/gin-sops-prod", "deploy/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(p).Render(t.Context(), "prod"); err == nil || !strings.Contains(err.Error(), "SOPS-encrypted") {
		t.Fatalf("render without stand-ins: %v, want the SOPS error", err)
	}
	r := New(p)
	r.ForCheck()
	res, err := r.Render(t.Context(), "prod")
	if err != nil {
		t.Fatalf("render with stand-ins: %v", err)
	}
	if len(res.NotDecrypted) != 1 || res.NotDecrypted[0].File != "deploy/helm/values-prod.yaml" || res.NotDecrypted[0].Line != 3 {
		t.Errorf("NotDecrypted = %+v, want deploy/helm/values-prod.yaml:3", res.NotDecrypted)
	}
	e, ok := res.Config.Get("ELASTICSEARCH_HOSTS")
	if !ok {
		t.Fatalf("ELASTICSEARCH_HOSTS missing from prod's configuration: %d entries", len(res.Config.Entries))
	}
	if !e.Secret || !e.Source.Encrypted || e.Source.File != "deploy/helm/values-prod.yaml" || e.Source.Line != 2 {
		t.Errorf("ELASTICSEARCH_HOSTS = secret %v, encrypted %v, from %s; want a secret from deploy/helm/values-prod.yaml:2", e.Secret, e.Source.Encrypted, e.Source)
	}
	if strings.Contains(e.Display(), "sops-encrypted") {
		t.Errorf("the stand-in is shown: %s", e.Display())
	}
	if !e.External || e.Value != "" {
		t.Errorf("ELASTICSEARCH_HOSTS = %q (external %v), want a value unknown until run time: a stand-in is no setting", e.Value, e.External)
	}
	// The staging file is not encrypted: nothing is said of it.
	res, err = r.Render(t.Context(), "staging")
	if err != nil || len(res.NotDecrypted) != 0 {
		t.Errorf("staging: %v, NotDecrypted %+v", err, res.NotDecrypted)
	}
}

// TestStandInThroughSecret: a stand-in for an encrypted boolean that a
// chart's own Secret carries to the container (secretKeyRef) is unknown
// there too, never "true": no rule may judge a setting nobody chose.
func TestStandInThroughSecret(t *testing.T) {
	dir := t.TempDir()
	testtree.WriteIn(t, dir, map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
		"chart/values.yaml": "secretEnv: {}\n",
		"chart/values-prod.yaml": "secretEnv:\n  APP_DEBUG: ENC[AES256_GCM,data:ZmFsc2U=,iv:aXY=,tag:dGFn,type:bool]\n" +
			"sops:\n  version: 3.8.1\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n",
		// range over the map: provenance cannot trace the key, so only the
		// stand-in's own text can mark what it reaches.
		"chart/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop\ndata:\n" +
			"{{- range $k, $v := .Values.secretEnv }}\n  {{ $k }}: {{ toString $v | b64enc }}\n{{- end }}\n",
		"chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: php\n          image: shop:1.0.0\n" +
			"          env:\n            - name: APP_DEBUG\n              valueFrom:\n                secretKeyRef: {name: shop, key: APP_DEBUG}\n",
	})
	p, err := project.LoadChart(dir, "chart")
	if err != nil {
		t.Fatal(err)
	}
	r := New(p)
	r.ForCheck()
	res, err := r.Render(t.Context(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := res.Config.Get("APP_DEBUG")
	if !ok || !e.External || e.Value != "" || !e.Secret {
		t.Errorf("APP_DEBUG = %+v, want an unknown secret value", e)
	}
}

// TestRenderWithoutMissingDependencies: for a check, a chart whose
// dependency charts/ lacks renders its own templates and says which
// dependency is missing; without stand-ins it fails as helm install does.
func TestRenderWithoutMissingDependencies(t *testing.T) {
	p, err := project.LoadChart("../check/testdata/charts/rails-unvendored-deps", "ops/chart")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(p).Render(t.Context(), "production"); err == nil || !strings.Contains(err.Error(), "not vendored") {
		t.Fatalf("render: %v, want the dependency refused", err)
	}
	r := New(p)
	r.ForCheck()
	res, err := r.Render(t.Context(), "production")
	if err != nil {
		t.Fatalf("render for a check: %v", err)
	}
	if res.NotVendored == nil || !strings.Contains(res.NotVendored.Msg, "redis") {
		t.Errorf("NotVendored = %v, want the redis dependency named", res.NotVendored)
	}
	if len(res.Workloads) == 0 {
		t.Errorf("no workload rendered from the chart's own templates")
	}
	for _, u := range res.Unread {
		if strings.HasPrefix(u.Path, "redis") {
			t.Errorf("%s is called unread: the missing subchart reads it", u.Path)
		}
	}
}

// TestUmbrellaWithoutTemplates: a chart with no templates of its own
// renders nothing by itself; over a dependency charts/ lacks, that missing
// dependency is the error (FERRY092's path, which still reads the
// values), for a check as for an install. Near misses: a chart with
// neither templates nor dependencies has nothing to render, and an
// umbrella whose dependency is vendored renders the subchart.
func TestUmbrellaWithoutTemplates(t *testing.T) {
	chart := "apiVersion: v2\nname: portal\nversion: 1.0.0\n"
	dep := "dependencies:\n  - name: service-base\n    version: \">=2.1.0\"\n    repository: https://charts.platform.example.invalid\n"
	sub := map[string]string{
		"chart/charts/service-base/Chart.yaml":               "apiVersion: v2\nname: service-base\nversion: 2.1.0\n",
		"chart/charts/service-base/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  URL: {{ .Values.url | quote }}\n",
	}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		check   bool
		wantErr string // "" when it renders
	}{
		{"dependency missing, check", map[string]string{"chart/Chart.yaml": chart + dep}, true, "dependency service-base is not vendored"},
		{"dependency missing, install", map[string]string{"chart/Chart.yaml": chart + dep}, false, "dependency service-base is not vendored"},
		{"no dependency", map[string]string{"chart/Chart.yaml": chart}, true, "the chart has no templates"},
		{"dependency vendored", sub, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"chart/values.yaml": "service-base:\n  url: https://portal.opsdesk.io\n", "chart/values-prod.yaml": "{}\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			if _, ok := files["chart/Chart.yaml"]; !ok {
				files["chart/Chart.yaml"] = chart + dep
			}
			testtree.WriteIn(t, dir, files)
			p, err := project.LoadChart(dir, "chart")
			if err != nil {
				t.Fatal(err)
			}
			r := New(p)
			if tc.check {
				r.ForCheck()
			}
			res, err := r.Render(t.Context(), "prod")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("render: %v", err)
			case tc.wantErr == "":
				if len(res.Objects) != 1 {
					t.Errorf("%d objects, want the subchart's ConfigMap", len(res.Objects))
				}
			case err == nil || !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("render: %v, want %q", err, tc.wantErr)
			}
		})
	}
}
