package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrydev/ferry/project"
)

func TestIgnoredCharts(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"charts anywhere", map[string]string{".gitignore": "node_modules\ncharts\n"}, ".gitignore:2"},
		{"the chart's own, below it", map[string]string{"deploy/.gitignore": "# deps\napi/charts/\n"}, "deploy/.gitignore:2"},
		{"the archives only", map[string]string{".gitignore": "deploy/api/charts/*.tgz\n"}, ".gitignore:1"},
		// Near misses: nothing ignored, another chart's charts/, re-included.
		{"nothing", map[string]string{".gitignore": "bin/\n"}, ""},
		{"another chart", map[string]string{".gitignore": "ops/legacy/charts/\n"}, ""},
		{"re-included", map[string]string{".gitignore": "charts/\n!deploy/api/charts/\n"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for f, body := range tt.files {
				if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			in := &Input{Project: &project.Project{Dir: dir, Chart: "deploy/api"}}
			if got := ignoredCharts(in); got != tt.want {
				t.Errorf("ignoredCharts = %q, want %q", got, tt.want)
			}
		})
	}
}
