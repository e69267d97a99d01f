package render

import (
	"path/filepath"
	"testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// BenchmarkChartReads times what the templates read of .Values for every
// chart of the check corpus, once each: the cost a check pays per chart
// on top of rendering it.
func BenchmarkChartReads(b *testing.B) {
	dirs, _ := filepath.Glob("../check/testdata/charts/*/*/Chart.yaml")
	more, _ := filepath.Glob("../check/testdata/charts/*/*/*/Chart.yaml")
	var charts []*chart.Chart
	for _, f := range append(dirs, more...) {
		c, err := loader.LoadDir(filepath.Dir(f))
		if err == nil {
			charts = append(charts, c)
		}
	}
	if len(charts) < 20 {
		b.Fatalf("%d charts loaded, want at least 20", len(charts))
	}
	for b.Loop() {
		for _, c := range charts {
			chartReads(c)
		}
	}
}
