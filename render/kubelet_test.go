package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// kubeletCase renders one chart of testdata/kubelet and compares a
// container's environment with what the kubelet would give it.
type kubeletCase struct {
	chart, env string
	want       map[string]string // key → value; "<absent>" for a key that must not be set
	warn       string            // a warning that must be given
}

func runKubelet(t *testing.T, tests []kubeletCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.env, func(t *testing.T) {
			p, err := project.Load(filepath.Join("testdata", "kubelet", tt.chart))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Render(t.Context(), p, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				e, ok := res.Config.Get(k)
				switch {
				case want == "<absent>" && ok:
					t.Errorf("%s is set (%q from %s), want it absent", k, e.Value, e.Source)
				case want != "<absent>" && (!ok || e.Display() != want):
					t.Errorf("%s = %q (set %v, from %s), want %q", k, e.Display(), ok, e.Source, want)
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", res.Warnings, tt.warn)
			}
		})
	}
}

func TestKubeletObjects(t *testing.T) {
	runKubelet(t, []kubeletCase{{
		chart: "objects", env: "prod",
		want: map[string]string{
			"MODE":   "second",      // the later of two objects-config, as an install keeps
			"LISTED": "from-a-list", // an item of a kind: List
			"SHARED": "<absent>",    // a ConfigMap in another namespace
		},
		warn: "an install keeps the last one",
	}})
}
