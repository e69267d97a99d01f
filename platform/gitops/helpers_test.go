package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
	"github.com/go-git/go-git/v5"
)

const (
	digestA = "sha256:a3c1e04ab1a0f5ad8e2a6c4bd92b04bbdb6a7bd5b5e2b8bc2d0e3bd53c2f0a1d"
	digestB = "sha256:b7f02e9d4c1a88e0d5b3a1c9e7f6d2b4a0c8e6f4d2b0a9c7e5f3d1b9a7c5e3f1"
)

// bareRepo returns the path of a new empty bare repository, the remote
// that ferry pushes to.
func bareRepo(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "deploy.git")
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

// exampleProject copies the bundled orders-api example's chart, values
// and configs into a new directory with testdata/ferry.yaml, its
// environments' manifests going to repository url.
func exampleProject(t testing.TB, url string) *project.Project {
	t.Helper()
	p, err := project.Load(exampleDir(t, url, nil))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// exampleDir writes the example project and returns its directory;
// replace maps words of testdata/ferry.yaml to what they become.
func exampleDir(t testing.TB, url string, replace map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := filepath.Abs("../../examples/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"chart", "configs"} {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join(src, d))); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"values-staging.yaml", "values-prod.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	y, err := os.ReadFile("testdata/ferry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(y), "REPO", url)
	for from, to := range map[string]string{"NS_STAGING": "staging", "NS_PROD": "prod"} {
		if _, ok := replace[from]; !ok {
			text = strings.ReplaceAll(text, from, to)
		}
	}
	for from, to := range replace {
		text = strings.ReplaceAll(text, from, to)
	}
	if err := os.WriteFile(filepath.Join(dir, project.FileName), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustProject(t testing.TB, dir string) *project.Project {
	t.Helper()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// appendValues adds YAML to a values file of the project in dir and
// returns the function that puts the file back.
func appendValues(t testing.TB, dir, name, extra string) func() {
	t.Helper()
	f := filepath.Join(dir, name)
	orig, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, append(append([]byte{}, orig...), extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(f, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
