package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckTargetSettings: `ferry check` runs each environment's target
// decoder, so a near miss in a target's own keys (a gitops: block, kube's
// context:) is bad input naming ferry.yaml:line, before anything deploys.
// Each testdata/nearmiss file says on its first line what check must say
// ("# want: ok" for one that reads).
func TestCheckTargetSettings(t *testing.T) {
	files, err := filepath.Glob("testdata/nearmiss/*.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("near-miss fixtures: %v, %v", files, err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(body), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("%s: the first line says nothing of what check must say", file)
			}
			dir := orderCopy(t, string(body))
			out, errOut, code := run(t, "-C "+dir+" check")
			if want == "ok" {
				if code == 2 || strings.Contains(out, "Not checked") {
					t.Errorf("check: exit %d, want the project checked\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
				}
				return
			}
			if code != 2 || !strings.Contains(out, want) {
				t.Errorf("check: exit %d, want 2 and stdout containing %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
			}
		})
	}
}

// orderCopy writes the bundled example's chart, configs/ and values files
// into a temporary directory with ferryYAML as its ferry.yaml.
func orderCopy(t *testing.T, ferryYAML string) string {
	t.Helper()
	dir, src := t.TempDir(), "../../examples/orders-api"
	for _, d := range []string{"chart", "configs"} {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join(src, d))); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"values-staging.yaml", "values-prod.yaml", "go.mod", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(ferryYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
