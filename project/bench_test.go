package project

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
)

// BenchmarkDiscovery loads a project from the root of a repository of
// 10,000 files with its chart in deploy/helm/<name> (issue 8: discovery
// adds < 50 ms).
func BenchmarkDiscovery(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{
		"deploy/helm/svc/Chart.yaml":  chartYAML,
		"deploy/helm/svc/values.yaml": "replicaCount: 1\n",
		"deploy/helm/values-dev.yaml": "", "deploy/helm/values-prod.yaml": "",
	}
	for i := range 10000 {
		switch i % 4 {
		case 0:
			files[fmt.Sprintf("internal/pkg%03d/file%05d.go", i/400, i)] = "package x\n"
		case 1:
			files[fmt.Sprintf("node_modules/mod%03d/lib/index%05d.js", i/400, i)] = "//\n"
		case 2:
			files[fmt.Sprintf("docs/section%02d/page%05d.md", i/1000, i)] = "#\n"
		default:
			files[fmt.Sprintf("web/src/c%03d/component%05d.tsx", i/400, i)] = "//\n"
		}
	}
	testtree.WriteIn(b, dir, files)
	b.ResetTimer()
	for b.Loop() {
		p, err := Load(dir)
		if err != nil || p.Chart != filepath.ToSlash("deploy/helm/svc") {
			b.Fatalf("Load = %v, %v", p, err)
		}
	}
}

// BenchmarkLoadCI loads every CI fixture (workflows, GitLab CI,
// Makefiles, scripts, helmfiles): the cost of reading the deploy
// commands, for comparison before and after a change (issue 17: CI
// files add at most 10% to check).
func BenchmarkLoadCI(b *testing.B) {
	dirs, _ := filepath.Glob("testdata/ci/*")
	var projects []string
	for _, d := range dirs {
		if filepath.Ext(d) == "" {
			projects = append(projects, d)
		}
	}
	for _, d := range projects {
		b.Run(filepath.Base(d), func(b *testing.B) {
			// A copy outside this repository: its own CI files must not be read.
			tmp := filepath.Join(b.TempDir(), filepath.Base(d))
			if err := os.CopyFS(tmp, os.DirFS(d)); err != nil {
				b.Fatal(err)
			}
			d := tmp
			for b.Loop() {
				if _, err := Load(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
