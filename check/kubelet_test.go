package check

import (
	"path/filepath"
	"testing"
)

// TestKubeletRules checks render's kubelet fixtures end to end.
func TestKubeletRules(t *testing.T) {
	tests := []struct {
		chart string
		want  []string // rule key
	}{
		{"links", []string{"FERRY058 DB_PORT", "FERRY058 REDIS_PORT"}},
		{"refs", []string{"FERRY056 FEATURE", "FERRY056 PASSWORD"}},
		{"invalid", []string{"FERRY057 "}},
	}
	for _, tt := range tests {
		t.Run(tt.chart, func(t *testing.T) {
			rep, err := Project(t.Context(), filepath.Join("..", "render", "testdata", "kubelet", tt.chart))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range rep.Findings {
				got[f.Rule+" "+f.Key] = true
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("missing finding %q; got %v", w, got)
				}
			}
		})
	}
}
