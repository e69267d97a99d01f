package artifact

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push copies the stored image with digest d to ref (a registry
// reference). When ref is a tag that already names another digest there,
// Push refuses with ErrTagMoved unless force.
func (s *Store) Push(ctx context.Context, d, ref string, force bool, opts ...remote.Option) error {
	img, err := s.Image(d)
	if err != nil {
		return err
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("push %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if tag, ok := r.(name.Tag); ok && !force {
		if desc, err := remote.Head(tag, opts...); err == nil && desc.Digest.String() != d {
			return fmt.Errorf("push %q: %w %s (use --force to move it)", ref, ErrTagMoved, desc.Digest)
		}
	}
	if err := remote.Write(r, img, opts...); err != nil {
		return fmt.Errorf("push %q: %w", ref, err)
	}
	return nil
}
