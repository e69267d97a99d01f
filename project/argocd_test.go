package project

import "testing"

// TestArgoAppOfApps reads repositories whose Argo CD Applications are
// the templates of an app-of-apps chart (platform/apps/templates/*.yaml,
// deeper than the paths that say argo), one of them templated, and
// describes every chart of each: the charts the Applications deploy get
// their environments from them. Near misses planted: an Application
// whose chart path a template fills in, and an Application of the
// app.k8s.io kind, which is no Argo CD one.
func TestArgoAppOfApps(t *testing.T) {
	if n := eachGolden(t, "testdata/argo/*", func(t *testing.T, dir string) string {
		charts, err := FindCharts(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, c := range charts {
			p, err := LoadChart(dir, c)
			if err != nil {
				t.Fatal(err)
			}
			got += "== " + c + "\n" + describe(p)
		}
		return got
	}); n == 0 {
		t.Fatal("no fixtures")
	}
}
