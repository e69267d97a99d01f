package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/promote"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

var _ promote.TagResolver = (*Target)(nil)

// TestPromoteTagResolvedThroughRegistry: `ferry promote staging prod
// --artifact 1.0.0` resolves the tag in the registry the environments
// pull from (a real one on loopback). While it names what staging runs
// the promotion goes ahead; once someone re-pushes the tag to another
// image, the tag names something that never soaked and the promotion is
// refused (exit 1), naming both digests, with prod left as it was.
func TestPromoteTagResolvedThroughRegistry(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	kp, _, repo, _ := newRegistryProject(t, c)
	kp.deploy(t, "staging", "alice@laptop") // pushes repo@digest, no tag
	tag, err := name.NewTag(repo + ":1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Get(tag.Context().Digest(kp.digest))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(tag, pushed); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // staging's soak

	promoteTo := func(artifact string, dry bool) (*promote.Plan, error) {
		pr := promote.NewPromote(kp.engine(t, "bob@desk"))
		pr.Artifact, pr.DryRun = artifact, dry
		return pr.Run(ctx, "staging", "prod")
	}
	plan, err := promoteTo("1.0.0", false)
	if err != nil {
		t.Fatalf("promote --artifact 1.0.0 while the tag names what soaked: %v", err)
	}
	if plan.Revision == nil || plan.Digest != kp.digest || !gatePassed(plan, "artifact 1.0.0") {
		t.Fatalf("plan = %+v", plan)
	}

	// The tag moves: someone pushed another build as 1.0.0.
	other, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, other); err != nil {
		t.Fatal(err)
	}
	moved, err := other.Digest()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, artifact string
		dry            bool
		// want is what the refusal must say; "" for no refusal.
		want []string
	}{
		{"the moved tag is refused, naming both digests", "1.0.0", false, []string{repo + ":1.0.0 now points to " + moved.String(), "staging revision 1 runs and soaked " + kp.digest}},
		{"the moved tag, dry run", "1.0.0", true, []string{moved.String(), kp.digest}},
		{"a tag the registry does not have", "2.0.0", true, []string{repo + ":2.0.0: no such tag"}},
		{"the soaked digest itself", kp.digest, true, nil},
		{"the soaked digest, abbreviated", kp.digest[:19], true, nil},
		{"another digest", moved.String(), true, []string{"now points to " + moved.String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := promoteTo(tt.artifact, tt.dry)
			if tt.want == nil {
				if err != nil || !gatePassed(plan, "artifact "+tt.artifact) {
					t.Fatalf("promote --artifact %s: %v, plan %+v", tt.artifact, err, plan)
				}
				return
			}
			if !errors.Is(err, promote.ErrGate) {
				t.Fatalf("promote --artifact %s: %v, want a refused gate (exit 1)", tt.artifact, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
			if plan == nil || gatePassed(plan, "artifact "+tt.artifact) {
				t.Errorf("plan does not show the artifact gate failed: %+v", plan)
			}
		})
	}
	// Nothing reached prod after the first promotion.
	live, err := (&Kube{}).Live(ctx, kp.kubeEnv(t, "prod"))
	if err != nil {
		t.Fatal(err)
	}
	if live.Revision.Ferry != 1 || live.Digest != kp.digest {
		t.Errorf("prod after the refusals: revision %d running %s, want 1 running %s", live.Revision.Ferry, live.Digest, kp.digest)
	}
}

// gatePassed says whether plan has a gate whose name starts with prefix
// and it passed.
func gatePassed(plan *promote.Plan, prefix string) bool {
	for _, g := range plan.Gates {
		if strings.HasPrefix(g.Name, prefix) {
			return g.Passed
		}
	}
	return false
}
