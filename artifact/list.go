package artifact

import (
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Refs lists what names a stored image, newest first: its tags, then
// every image's digest; signature images are left out. A store that does
// not exist yet lists nothing. Shell completion offers these.
func (s *Store) Refs() (tags, digests []string, err error) {
	if _, err := os.Stat(filepath.Join(s.Dir, "index.json")); os.IsNotExist(err) {
		return nil, nil, nil
	}
	lp, err := layout.FromPath(s.Dir)
	if err != nil {
		return nil, nil, err
	}
	im, err := indexManifest(lp)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for i := len(im.Manifests) - 1; i >= 0; i-- {
		desc := im.Manifests[i]
		if signed(desc) != "" {
			continue
		}
		if tag := desc.Annotations[AnnotationRefName]; tag != "" && !seen[tag] {
			seen[tag] = true
			tags = append(tags, tag)
		}
		if d := desc.Digest.String(); !seen[d] {
			seen[d] = true
			digests = append(digests, d)
		}
	}
	return tags, digests, nil
}
