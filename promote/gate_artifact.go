package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/state"
)

// TagResolver is platform.TagResolver, under the name promote gave it
// first.
type TagResolver = platform.TagResolver

// artifactGate: the artifact named on the command line (promote
// --artifact) is what runs and soaked in the source. A tag is mutable:
// re-pushed since the soak, it names something nobody tested, and the
// promotion is refused, naming both digests.
type artifactGate struct{}

func (artifactGate) Phase() Phase { return Before }

func (artifactGate) Check(ctx context.Context, g *GateCheck) []state.Gate {
	ref := g.Artifact
	if ref == "" {
		return nil
	}
	ran := g.Live.Digest
	r := state.Gate{Name: "artifact " + ref + " is what soaked"}
	want, where, err := resolveArtifact(ctx, g, ref)
	switch {
	case err != nil:
		r.Detail = fmt.Sprintf("cannot resolve %s: %v", ref, err)
	case want != ran && !(strings.HasPrefix(ref, "sha256:") && strings.HasPrefix(ran, ref)):
		r.Detail = fmt.Sprintf("%s now points to %s, but %s revision %d runs and soaked %s: the tag moved since; promote without --artifact, or deploy the new digest to %s first",
			where, want, g.From.Name, g.Source.Number, ran, g.From.Name)
	default:
		r.Passed = true
		r.Detail = fmt.Sprintf("%s is %s, what %s runs", where, short(ran), g.From.Name)
	}
	return []state.Gate{r}
}

// resolveArtifact returns the digest ref names and where it was looked
// up: a digest is itself; a tag is resolved through the source
// environment's registry when its target pulls from one, else through
// the project's artifact store.
func resolveArtifact(ctx context.Context, g *GateCheck, ref string) (string, string, error) {
	if strings.HasPrefix(ref, "sha256:") {
		return ref, "the command line's " + ref, nil
	}
	t, err := g.Config.Target(g.From)
	if err != nil {
		return "", "", err
	}
	if tr, ok := t.(TagResolver); ok {
		d, where, err := tr.ResolveTag(ctx, g.From, ref)
		if err != nil || d != "" {
			return d, where, err
		}
	}
	img, err := g.Config.Images.Resolve(ref)
	if err != nil {
		return "", "", err
	}
	return img.Digest, "tag " + ref + " in this project's artifact store", nil
}
