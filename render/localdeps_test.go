package render

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
)

// TestLocalDeps loads umbrella charts whose dependencies are file://
// paths, as helm dependency build would package them: from the
// project, never from outside it.
func TestLocalDeps(t *testing.T) {
	const sub = "apiVersion: v2\nname: api\nversion: 1.4.0\n"
	tests := []struct {
		name    string
		dep     string // the dependency's lines in Chart.yaml
		files   map[string]string
		loaded  bool   // api is a dependency of the loaded chart
		missing bool   // reported not vendored
		wantErr string // "" for none
		refused bool
	}{
		{name: "sibling directory", dep: "version: ~1.4.0\n    repository: file://../services/api/chart",
			files: map[string]string{"services/api/chart/Chart.yaml": sub}, loaded: true},
		{name: "no version constraint", dep: "repository: file://../services/api/chart",
			files: map[string]string{"services/api/chart/Chart.yaml": sub}, loaded: true},
		{name: "leaves the project", dep: "version: 1.4.0\n    repository: file://../../elsewhere/api",
			wantErr: "umbrella/Chart.yaml: dependency api (repository file://../../elsewhere/api): ", refused: true},
		{name: "absolute path", dep: "version: 1.4.0\n    repository: file:///srv/charts/api",
			wantErr: "umbrella/Chart.yaml: dependency api (repository file:///srv/charts/api): ", refused: true},
		{name: "version the constraint excludes", dep: "version: ~2.0.0\n    repository: file://../services/api/chart",
			files:   map[string]string{"services/api/chart/Chart.yaml": sub},
			wantErr: "umbrella/Chart.yaml: dependency api wants version ~2.0.0, services/api/chart/Chart.yaml has 1.4.0"},
		{name: "directory missing stays not vendored", dep: "version: 1.4.0\n    repository: file://../services/api/chart", missing: true},
		{name: "chart of another name stays not vendored", dep: "version: 1.4.0\n    repository: file://../services/api/chart",
			files: map[string]string{"services/api/chart/Chart.yaml": "apiVersion: v2\nname: api-server\nversion: 1.4.0\n"}, missing: true},
		{name: "a repository is not a path", dep: "version: 1.4.0\n    repository: oci://ghcr.io/acme/charts", missing: true},
		{name: "dependencies in a cycle load once", dep: "version: 1.4.0\n    repository: file://../services/api/chart",
			files: map[string]string{"services/api/chart/Chart.yaml": sub +
				"dependencies:\n  - name: umbrella\n    version: 0.1.0\n    repository: file://../../../umbrella\n"}, loaded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"umbrella/Chart.yaml":        "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: api\n    " + tt.dep + "\n",
				"umbrella/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
			}
			for k, v := range tt.files {
				files[k] = v
			}
			for name, data := range files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			root, err := confine.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			c, _, local, notVendored, err := loadChart(root, "umbrella", nil)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line starting %q", err, tt.wantErr)
				}
				if errors.Is(err, confine.ErrRefused) != tt.refused {
					t.Errorf("refused = %v, want %v", !tt.refused, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(c.Dependencies()) == 1 && c.Dependencies()[0].Name() == "api"; got != tt.loaded {
				t.Errorf("api loaded = %v, want %v", got, tt.loaded)
			}
			if tt.loaded && local["umbrella/charts/api"] != "services/api/chart" {
				t.Errorf("local = %v, want umbrella/charts/api → services/api/chart", local)
			}
			if (notVendored != nil) != tt.missing {
				t.Errorf("not vendored = %v, want %v", notVendored, tt.missing)
			}
		})
	}
}
