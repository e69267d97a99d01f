package project

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestArgoAppOfApps reads repositories whose Argo CD Applications are
// the templates of an app-of-apps chart (platform/apps/templates/*.yaml,
// deeper than the paths that say argo), one of them templated, and
// describes every chart of each: the charts the Applications deploy get
// their environments from them. Near misses planted: an Application
// whose chart path a template fills in, and an Application of the
// app.k8s.io kind, which is no Argo CD one.
func TestArgoAppOfApps(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/argo/*")
	var n int
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
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
			golden := dir + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", dir, diff)
			}
		})
	}
	if n == 0 {
		t.Fatal("no fixtures")
	}
}
