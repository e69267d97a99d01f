package promote

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestArtifactGateOnFakeTarget: promote --artifact on a target with no
// registry (the fake, like the local target) resolves a tag through the
// project's artifact store; anything but what runs in the source is
// refused, naming both digests. (The registry case is platform/kube's
// TestPromoteTagResolvedThroughRegistry.)
func TestArtifactGateOnFakeTarget(t *testing.T) {
	c, _, clk := fakeProject(t)
	old := deploy(t, c, "prod", "1.0.0")
	soaked := deploy(t, c, "staging", "2.0.0")
	clk.Advance(time.Minute)
	tests := []struct {
		artifact string
		want     []string // what the refusal says; nil: promoted
	}{
		{"2.0.0", nil},
		{soaked.Digest, nil},
		{soaked.Digest[:19], nil},
		{"1.0.0", []string{"tag 1.0.0 in this project's artifact store now points to " + old.Digest, "staging revision 1 runs and soaked " + soaked.Digest}},
		{old.Digest, []string{old.Digest, soaked.Digest}},
		{"9.9.9", []string{"cannot resolve 9.9.9"}},
	}
	for _, tt := range tests {
		t.Run(tt.artifact, func(t *testing.T) {
			pr := NewPromote(c)
			pr.Artifact, pr.DryRun = tt.artifact, true
			plan, err := pr.Run(t.Context(), "staging", "prod")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("promote --artifact %s: %v", tt.artifact, err)
				}
				return
			}
			if !errors.Is(err, ErrGate) || plan == nil {
				t.Fatalf("promote --artifact %s: %v, want a refused gate", tt.artifact, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
		})
	}
}
