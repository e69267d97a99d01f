package artifact

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pull copies the image at ref (a registry reference, by tag or digest)
// into the store under tag ("" for none) and makes it the last build: a
// fresh checkout — a CI job's runner — gets the one build CI pushed
// instead of building again. A tag that names another digest here is
// refused with ErrTagMoved unless force. It returns the image's digest.
func (s *Store) Pull(ctx context.Context, ref, tag string, force bool, opts ...remote.Option) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("pull %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	img, err := remote.Image(r, opts...)
	if err != nil {
		return "", fmt.Errorf("pull %q: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("pull %q: %w", ref, err)
	}
	if dg, ok := r.(name.Digest); ok && dg.DigestStr() != d.String() {
		return "", fmt.Errorf("pull %q: the registry answered %s", ref, d)
	}
	if err := s.Put(img, tag, force); err != nil {
		return "", fmt.Errorf("pull %q: %w", ref, err)
	}
	return d.String(), nil
}
