package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../check/testdata/charts"

// TestCheckFromRepositoryRoot runs ferry check as CI does, from a
// repository root with no flags, over corpus repositories in each layout.
func TestCheckFromRepositoryRoot(t *testing.T) {
	tests := []struct {
		repo      string
		wantCode  int
		wantChart string // in the JSON report
		wantOut   []string
		wantErr   string
	}{
		{repo: "gin-deploy-helm", wantCode: 1, wantChart: "deploy/helm", wantOut: []string{"FERRY018"}},
		{repo: "spring-dot-helm", wantCode: 1, wantChart: ".helm", wantOut: []string{"FERRY019", "Deployment/accounts"}},
		{repo: "umbrella-subchart", wantCode: 0, wantChart: "helm"},
		{repo: "nestjs-parent-values", wantCode: 1, wantChart: "deploy/helm/notifier", wantOut: []string{"FERRY041"}},
		{repo: "quarkus-values-dir", wantCode: 1, wantChart: "k8s/chart"},
		// One environment unreadable: the other is still checked, exit 2.
		{repo: "gin-sops-prod", wantCode: 2, wantChart: "deploy/helm", wantOut: []string{`"problems"`, "SOPS-encrypted"}, wantErr: "values-prod.yaml:3"},
		// One environment's chart fails on a required value the other
		// sets: a finding naming the key and the line (exit 1), not
		// "could not be read".
		{repo: "flask-notes-required", wantCode: 1, wantChart: "chart", wantOut: []string{"FERRY002", "FERRY092", `"file": "chart/templates/NOTES.txt"`, "requires ingress.host"}},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			out, errOut, code := run(t, "-C "+filepath.Join(corpus, tt.repo)+" check -o json")
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			var rep struct {
				Project struct{ Chart, Runtime string } `json:"project"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out)
			}
			if rep.Project.Chart != tt.wantChart || rep.Project.Runtime == "" {
				t.Errorf("project = %+v, want chart %q and a runtime", rep.Project, tt.wantChart)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr = %q, want it to name %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestDiscoveryCLI(t *testing.T) {
	t.Run("empty directory exits 2", func(t *testing.T) {
		dir := t.TempDir()
		_, errOut, code := run(t, "-C "+dir+" check")
		if code != ExitUsage || !strings.Contains(errOut, "no Helm chart found under") {
			t.Errorf("exit %d, stderr %q; want 2 and where ferry looked", code, errOut)
		}
	})
	t.Run("several charts: check checks each", func(t *testing.T) {
		out, _, code := run(t, "-C "+filepath.Join(corpus, "multi-chart-repo")+" check")
		if code != ExitFailed || !strings.Contains(out, "chart charts/api") || !strings.Contains(out, "chart charts/worker") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("several charts: render asks for one", func(t *testing.T) {
		_, errOut, code := run(t, "-C "+filepath.Join(corpus, "multi-chart-repo")+" render prod")
		if code != ExitUsage || !strings.Contains(errOut, "charts/api, charts/worker") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		out, _, code := run(t, "-C "+filepath.Join(corpus, "multi-chart-repo")+" render prod --chart charts/worker -o json")
		if code != 0 || !strings.Contains(out, `"chart": "charts/worker"`) || !strings.Contains(out, "QUEUE_URL") {
			t.Errorf("render --chart: exit %d\n%s", code, out)
		}
	})
	t.Run("one unreadable project among several", func(t *testing.T) {
		out, errOut, code := run(t, "check -o json "+filepath.Join(corpus, "gin-duplicate-key")+" "+t.TempDir()+" "+filepath.Join(corpus, "kratos-range-services"))
		if code != ExitUsage {
			t.Errorf("exit %d, want 2", code)
		}
		if !strings.Contains(out, "FERRY081") || !strings.Contains(out, "Deployment/billing") || !strings.Contains(errOut, "no Helm chart found") {
			t.Errorf("the readable projects' findings are missing:\n%s\n%s", out, errOut)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("JSON output is not valid: %v", err)
		}
	})
	t.Run("render shows every workload, --workload picks one", func(t *testing.T) {
		dir := filepath.Join(corpus, "django-cronjob-job")
		out, _, code := run(t, "-C "+dir+" render prod")
		for _, w := range []string{"== Deployment/reports (the service)", "== CronJob/reports-nightly", "== Job/reports-migrate (container wait-for-db, init)"} {
			if !strings.Contains(out, w) {
				t.Errorf("render lacks section %q (exit %d):\n%s", w, code, out)
			}
		}
		out, _, _ = run(t, "-C "+dir+" render prod --workload reports-nightly")
		if strings.Contains(out, "==") || !strings.Contains(out, "DATABASE_URL") {
			t.Errorf("--workload: %s", out)
		}
		_, errOut, code := run(t, "-C "+dir+" render prod --workload nope")
		if code != ExitUsage || !strings.Contains(errOut, "CronJob/reports-nightly") {
			t.Errorf("unknown workload: exit %d, %q", code, errOut)
		}
	})
}
