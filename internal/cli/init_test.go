package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/check"
	"github.com/ferrydev/ferry/internal/testtree"
)

// initService copies scaffold's testdata service name into a temporary
// directory (a service on kit gets absolute replace directives) and runs
// ferry init in it.
func initService(t *testing.T, name string, extra string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", name))); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "go.mod")); strings.Contains(string(data), "ferry/kit") {
		root, _ := filepath.Abs("../..")
		mod := regexp.MustCompile(`=> \.\./\.\./\.\./`).ReplaceAllString(string(data), "=> "+root+"/")
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644)
	}
	out, errOut, code := run(t, "-C "+dir+" init "+extra)
	if code != 0 {
		t.Fatalf("ferry init = %d\n%s%s", code, out, errOut)
	}
	return dir
}

// placeholders returns REPLACE_WITH_* → file:line in the project's files.
func placeholders(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	re := regexp.MustCompile(`REPLACE_WITH_[A-Z0-9_]+`)
	files, _ := filepath.Glob(filepath.Join(dir, "values-*.yaml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range re.FindAllString(line, -1) {
				out[m] = fmt.Sprintf("%s:%d", filepath.Base(f), i+1)
			}
		}
	}
	return out
}

// fill replaces every placeholder with what a team would write there.
func fill(t *testing.T, dir string, values map[string]string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "values-*.yaml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		s := string(data)
		for k, v := range values {
			s = strings.ReplaceAll(s, k, v)
		}
		os.WriteFile(f, []byte(s), 0o644)
	}
	if left := placeholders(t, dir); len(left) > 0 {
		t.Fatalf("placeholders left after filling: %v", left)
	}
}

// unexpected returns the findings check should not report on an init'ed
// project: anything but FERRY082 on a placeholder.
func unexpected(t *testing.T, dir string) []check.Finding {
	t.Helper()
	rep, err := check.Project(t.Context(), dir)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var bad []check.Finding
	for _, f := range rep.Findings {
		switch {
		case f.Accepted, f.Rule == "FERRY082":
		default:
			bad = append(bad, f)
		}
	}
	return bad
}

// localLoop gives the project free ports, a 1s soak in its first
// environment and a secrets file, then builds, deploys staging and
// promotes to prod; both must end up running the same digest.
func localLoop(t *testing.T, dir string) {
	t.Helper()
	localize(t, dir)
	c := "-C " + dir + " "
	for _, args := range []string{"build --tag 0.1.0", "deploy staging --artifact 0.1.0"} {
		if out, errOut, code := run(t, c+args); code != 0 {
			t.Fatalf("ferry %s = %d\n%s%s", args, code, out, errOut)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	if out, errOut, code := run(t, c+"promote staging prod"); code != 0 {
		t.Fatalf("ferry promote staging prod = %d\n%s%s", code, out, errOut)
	}
	sameDigestUp(t, dir)
}

// sameDigestUp asserts that staging and prod run one digest, prod UP.
func sameDigestUp(t *testing.T, dir string) {
	t.Helper()
	out, _, _ := run(t, "-C "+dir+" status -o json")
	var st struct {
		Environments []struct{ Name, Digest, Health string } `json:"environments"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Environments) != 2 ||
		st.Environments[0].Digest == "" || st.Environments[0].Digest != st.Environments[1].Digest || st.Environments[1].Health != "UP" {
		t.Errorf("status after the loop: %v\n%s", err, out)
	}
}

// localize gives an init'ed project free ports, a 1s soak in its first
// environment and secrets files in a temporary directory, and stops its
// environments when the test ends.
func localize(t *testing.T, dir string) {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	yaml := string(data)
	for _, p := range []string{"18080", "18081", "18090", "18091"} {
		yaml = strings.ReplaceAll(yaml, p, fmt.Sprint(freePort(t)))
	}
	yaml = strings.Replace(yaml, "soak: 1m", "soak: 1s", 1)
	secrets := t.TempDir()
	for _, env := range []string{"staging", "prod"} {
		os.WriteFile(filepath.Join(secrets, env+".env"), []byte("STRIPE_API_KEY=sk_test_not_real\n"), 0o600)
	}
	yaml = regexp.MustCompile(`~/\.config/ferry/[a-z-]+`).ReplaceAllString(yaml, secrets)
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(yaml), 0o644)
	t.Cleanup(func() {
		run(t, "-C "+dir+" down staging")
		run(t, "-C "+dir+" down prod")
	})
}

// TestInitThreeServices: ferry init on a GoFr-style service on kit, a
// plain net/http service and a service with its own chart gives projects
// whose only findings are the placeholders init left (FERRY082), none
// once they are filled, and that build, deploy and promote locally.
func TestInitThreeServices(t *testing.T) {
	_, has082 := check.RuleByID("FERRY082")
	tests := []struct {
		name string
		want []string          // placeholders init writes
		fill map[string]string // what the team writes there
	}{
		{
			name: "inventory",
			want: []string{"REPLACE_WITH_PROD_DB_HOST", "REPLACE_WITH_PROD_DB_NAME", "REPLACE_WITH_STAGING_DB_HOST", "REPLACE_WITH_STAGING_DB_NAME"},
			fill: map[string]string{
				"REPLACE_WITH_STAGING_DB_HOST": "inventory-db.staging.svc.cluster.local", "REPLACE_WITH_STAGING_DB_NAME": "inventory_staging",
				"REPLACE_WITH_PROD_DB_HOST": "inventory-db.prod.svc.cluster.local", "REPLACE_WITH_PROD_DB_NAME": "inventory_prod",
			},
		},
		{
			name: "billing",
			want: []string{"REPLACE_WITH_PROD_DATABASE_URL", "REPLACE_WITH_STAGING_DATABASE_URL"},
			fill: map[string]string{
				"REPLACE_WITH_STAGING_DATABASE_URL": "postgres://billing@billing-db.staging.internal:5432/billing",
				"REPLACE_WITH_PROD_DATABASE_URL":    "postgres://billing@billing-db.prod.internal:5432/billing",
			},
		},
		{name: "ledger"}, // its chart and values are kept: nothing to fill
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := initService(t, tt.name, "")
			ph := placeholders(t, dir)
			var got []string
			for k := range ph {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("placeholders = %v, want %v", got, tt.want)
			}
			bad := unexpected(t, dir)
			for _, f := range bad {
				t.Errorf("check on the fresh project: %s %v %s (%s:%d)", f.Rule, f.Environments, f.Message, f.File, f.Line)
			}
			if has082 {
				rep, _ := check.Project(t.Context(), dir)
				for k, at := range ph {
					found := false
					for _, f := range rep.Findings {
						found = found || (f.Rule == "FERRY082" && fmt.Sprintf("%s:%d", f.File, f.Line) == at)
					}
					if !found {
						t.Errorf("no FERRY082 finding at %s for %s", at, k)
					}
				}
			} else {
				t.Errorf("FERRY082 is not in check's catalogue")
			}
			fill(t, dir, tt.fill)
			for _, f := range unexpected(t, dir) {
				t.Errorf("check once filled: %s %v %s (%s:%d)", f.Rule, f.Environments, f.Message, f.File, f.Line)
			}
			rep, _ := check.Project(t.Context(), dir)
			for _, f := range rep.Findings {
				if f.Rule == "FERRY082" {
					t.Errorf("FERRY082 once filled: %s:%d", f.File, f.Line)
				}
			}
			localLoop(t, dir)
		})
	}
}

// TestInitKeepsAndRefuses: init on an existing chart plans around it and
// names what it kept; init with no module or two mains is bad input.
func TestInitKeepsAndRefuses(t *testing.T) {
	dir := testtree.Write(t, map[string]string{"README.md": "no Go here\n"})
	if _, errOut, code := run(t, "-C "+dir+" init"); code != 2 || !strings.Contains(errOut, "has no go.mod") {
		t.Errorf("init without a module = %d %q, want 2", code, errOut)
	}
	two := filepath.Join("..", "..", "scaffold", "testdata", "twomains")
	if _, errOut, code := run(t, "-C "+two+" init --dry-run"); code != 2 || !strings.Contains(errOut, "./cmd/api, ./cmd/worker") {
		t.Errorf("init with two mains = %d %q, want 2 naming both", code, errOut)
	}
	out, _, code := run(t, "-C "+filepath.Join("..", "..", "scaffold", "testdata", "ledger")+" init --dry-run -o json")
	var plan struct {
		Files []struct{ Path, Action, Why string } `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 {
		t.Fatalf("init --dry-run -o json = %d %v\n%s", code, err, out)
	}
	kept := false
	for _, f := range plan.Files {
		kept = kept || (f.Path == "deploy/helm/ledger/" && f.Action == "keep" && strings.Contains(f.Why, "existing chart"))
		if strings.HasPrefix(f.Path, "chart/") || strings.HasPrefix(f.Path, "values-") {
			t.Errorf("init plans %s %s beside an existing chart", f.Action, f.Path)
		}
	}
	if !kept {
		t.Errorf("the plan does not name the existing chart as kept: %s", out)
	}
	if _, err := os.Stat(filepath.Join(two, "ferry.yaml")); err == nil {
		t.Errorf("--dry-run wrote ferry.yaml")
	}
}

// goBuild builds the ferry binary for tests that run it as CI would.
func goBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/ferry")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ferry: %v\n%s", err, out)
	}
	return filepath.Dir(bin)
}
