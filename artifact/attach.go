package artifact

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Attach stores img under tag, moving the tag if it names another image,
// and leaves the last build as it is: for images that belong to another
// one, such as its signatures under cosign's sha256-<hex>.sig tag.
func (s *Store) Attach(img v1.Image, tag string) error {
	if tag == "" {
		return errors.New("attach: empty tag")
	}
	_, err := s.put(img, tag, true, false)
	return err
}

// Tagged returns the image tag names, or an error wrapping
// ErrUnknownArtifact when no image has that tag.
func (s *Store) Tagged(tag string) (v1.Image, error) {
	info, err := s.Resolve(tag)
	if err != nil {
		return nil, err
	}
	if info.Tag != tag {
		return nil, fmt.Errorf("%w %q", ErrUnknownArtifact, tag)
	}
	return s.Image(info.Digest)
}
