package envfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joho/godotenv"
)

// gofrLayering is GoFr's own start-up code (pkg/gofr/config/godotenv.go at
// the pinned commit), replayed on the real process environment: snapshot,
// godotenv.Load(.env), godotenv.Overload(overlay), write the snapshot back.
// It returns the environment the service would see, and restores the test
// process afterwards.
func gofrLayering(t *testing.T, dir string) map[string]string {
	t.Helper()
	before := os.Environ()
	snapshot := map[string]string{}
	for _, kv := range before {
		k, v, _ := strings.Cut(kv, "=")
		snapshot[k] = v
	}
	overlay := filepath.Join(dir, OverlayName(os.Getenv("APP_ENV")))
	if err := godotenv.Load(filepath.Join(dir, ".env")); err != nil && !os.IsNotExist(err) {
		t.Fatalf("godotenv.Load: %v", err)
	}
	if err := godotenv.Overload(overlay); err != nil && !os.IsNotExist(err) {
		t.Fatalf("godotenv.Overload: %v", err)
	}
	for k, v := range snapshot {
		os.Setenv(k, v)
	}
	got := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	for k := range got {
		if _, ok := snapshot[k]; !ok {
			os.Unsetenv(k)
		}
	}
	return got
}

// TestGoFrConformance loads every example configuration that GoFr itself
// ships (testdata/gofr-examples, copied verbatim with MANIFEST.tsv) as
// configs/.env, alone, under an overlay, and under process variables, and
// checks every key against GoFr's own layering of the same files.
func TestGoFrConformance(t *testing.T) {
	examples, err := filepath.Glob("testdata/gofr-examples/*/.*env")
	if err != nil || len(examples) < 18 {
		t.Fatalf("found %d example files (%v), want the 18 of MANIFEST.tsv", len(examples), err)
	}
	scenarios := []struct {
		name    string
		overlay string // written as .staging.env when set
		environ map[string]string
	}{
		{name: "base"},
		{name: "overlay", overlay: "HTTP_PORT=9999\nLOG_LEVEL=WARN\nEXTRA=from-overlay\n", environ: map[string]string{"APP_ENV": "staging"}},
		{name: "process wins", overlay: "HTTP_PORT=9999\n", environ: map[string]string{"APP_ENV": "staging", "HTTP_PORT": "7000", "APP_NAME": ""}},
	}
	for _, file := range examples {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// sample-cmd/.test.env is an overlay in GoFr; load it as one.
		asOverlay := strings.HasSuffix(file, ".test.env")
		for _, sc := range scenarios {
			name := strings.TrimPrefix(file, "testdata/gofr-examples/") + "/" + sc.name
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "configs")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				environ := map[string]string{}
				for k, v := range sc.environ {
					environ[k] = v
				}
				if asOverlay {
					environ["APP_ENV"] = "test"
					write(t, filepath.Join(dir, ".test.env"), body)
					write(t, filepath.Join(dir, ".env"), []byte("CMD_LOGS_FILE=base.log\nAPP_NAME=base\n"))
				} else {
					write(t, filepath.Join(dir, ".env"), body)
					if sc.overlay != "" {
						write(t, filepath.Join(dir, ".staging.env"), []byte(sc.overlay))
					}
				}
				var list []string
				for k, v := range environ {
					t.Setenv(k, v)
					list = append(list, k+"="+v)
				}
				want := gofrLayering(t, dir)
				got, err := Load(os.DirFS(filepath.Dir(dir)), "configs", list)
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				// Every key GoFr would see from the files or the scenario's
				// process variables must match.
				for k, w := range want {
					if _, fromOS := os.LookupEnv(k); fromOS {
						if _, ours := environ[k]; !ours {
							continue // the test runner's own environment
						}
					}
					if g, ok := got.Lookup(k); !ok || g != w {
						t.Errorf("%s = %q (present %v), GoFr has %q", k, g, ok, w)
					}
				}
				for _, k := range got.Keys() {
					if _, ok := want[k]; !ok {
						t.Errorf("%s set by envfile but not by GoFr", k)
					}
				}
			})
		}
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
