package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
)

// TestTemplateFile decides which render failures of a chart that
// renders nowhere are the chart's own mistake (its values are still
// checked) and which stay problems.
func TestTemplateFile(t *testing.T) {
	for _, tt := range []struct {
		chart, file string
		want        bool
	}{
		{"deploy/chart", "deploy/chart/templates/cronjob.yaml", true},
		{"deploy/chart", "deploy/chart/templates/api/deployment.yaml", true},
		{"chart", "chart/charts/redis/templates/master.yaml", true},
		{".", "templates/_helpers.tpl", true},
		{"deploy/chart", "deploy/chart/templates", false}, // the chart has no templates
		{"deploy/chart", "configs/.env", false},
		{"deploy/chart", "deploy/chart/values-prod.yaml", false},
		{"deploy/chart", "deploy/chart-old/templates/x.yaml", false},
		{"chart", "chart/charts/redis-1.0.0.tgz", false},
	} {
		if got := templateFile(&project.Project{Chart: tt.chart}, tt.file); got != tt.want {
			t.Errorf("templateFile(%q, %q) = %v, want %v", tt.chart, tt.file, got, tt.want)
		}
	}
}

// TestTemplateErrorEverywhere: a template that fails in every
// environment is an error finding (ferry check exits 1), not a problem
// (exit 2), and the values rules still report.
func TestTemplateErrorEverywhere(t *testing.T) {
	reports := checkCorpus(t, filepath.Join(corpusDir, "chi-helper-renamed"))
	if len(reports) != 1 {
		t.Fatalf("%d reports, want 1", len(reports))
	}
	r := reports[0]
	if len(r.Problems) != 0 {
		t.Errorf("problems %+v, want none: the failure is a finding", r.Problems)
	}
	if !r.Failed(false) {
		t.Error("the report does not fail the check")
	}
	rules := map[string]bool{}
	for _, f := range r.Findings {
		rules[f.Rule] = true
	}
	for _, id := range []string{"FERRY092", "FERRY002", "FERRY041"} {
		if !rules[id] {
			t.Errorf("no %s finding", id)
		}
	}
}

// TestRequiredKey reads the values path a failing template line
// requires, in both of required's spellings.
func TestRequiredKey(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`  host: {{ required "set ingress.host" .Values.ingress.host }}`,
		`  APP_KEY: {{ .Values.app.key | required "app.key обязателен" | quote }}`,
		`  a: {{ .Values.a | required "a" }} b: {{ .Values.b }}`,
		`  name: {{ include "app.fullname" . }}`,
	}
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"ingress.host", "app.key", "a", ""} {
		if got := requiredKey(dir, "t.yaml", i+1); got != want {
			t.Errorf("line %d: %q, want %q", i+1, got, want)
		}
	}
}

// TestValuesSecretsSkipsFlags: where an environment did not render, a
// boolean under a credential's name is a setting about credentials
// (eval13 cogito: CORS_ALLOW_CREDENTIALS=false), while a literal password
// beside it is still reported.
func TestValuesSecretsSkipsFlags(t *testing.T) {
	e := envOf("prod", "CORS_ALLOW_CREDENTIALS=false", "DB_PASSWORD=s3cr3t-Pa55")
	for i := range e.Result.Config.Entries {
		en := &e.Result.Config.Entries[i]
		en.Secret = secret.Name(en.Key)
	}
	var keys []string
	for _, f := range valuesSecrets(e) {
		keys = append(keys, f.Key)
	}
	if !slices.Equal(keys, []string{"DB_PASSWORD"}) {
		t.Errorf("valuesSecrets reported %v, want [DB_PASSWORD]", keys)
	}
}
