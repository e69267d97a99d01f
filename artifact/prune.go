package artifact

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// DefaultKeep is how many of the latest builds Prune keeps by default,
// whatever names them.
const DefaultKeep = 5

// PruneOptions say what Prune keeps besides tagged images and the last
// build.
type PruneOptions struct {
	// Keep is how many of the latest builds to keep (build order is the
	// order images entered the store).
	Keep int
	// Referenced are manifest digests that something outside the store
	// names, such as the environments' revisions: kept whatever their age.
	Referenced map[string]bool
	// DryRun reports what would go without removing it.
	DryRun bool
}

// Pruned says what Prune removed and kept.
type Pruned struct {
	// Removed are the manifest digests no longer stored, oldest first.
	Removed []string `json:"removed"`
	// Kept are the manifest digests still stored, with why.
	Kept []KeptImage `json:"kept"`
	// Freed is the bytes of blobs deleted (or that would be, dry).
	Freed int64 `json:"freedBytes"`
	// Blobs is how many blob files went.
	Blobs  int  `json:"blobs"`
	DryRun bool `json:"dryRun,omitempty"`
}

// KeptImage is a manifest Prune kept and the first reason it did.
type KeptImage struct {
	Digest string `json:"digest"`
	// Why is "tag <name>", "revision", "last build", "recent" or
	// "signature".
	Why string `json:"why"`
}

// Prune removes from the store the images that no tag, no referenced
// revision and no recent build keeps, and then every blob that no kept
// image uses (the layer of a rebuilt binary is tens of megabytes).
// Signature images (cosign's sha256-<hex>.sig tags) go with the image
// they sign. Blobs written after the index was read (a build under way)
// stay. A store that does not exist yet prunes to nothing.
func (s *Store) Prune(opts PruneOptions) (*Pruned, error) {
	out := &Pruned{Removed: []string{}, Kept: []KeptImage{}, DryRun: opts.DryRun}
	indexPath := filepath.Join(s.Dir, "index.json")
	fi, err := os.Stat(indexPath)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	readAt := fi.ModTime()
	lp, err := layout.FromPath(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("image layout %s: %w", s.Dir, err)
	}
	im, err := indexManifest(lp)
	if err != nil {
		return nil, err
	}
	last := ""
	if b, err := os.ReadFile(filepath.Join(s.Dir, "last-build")); err == nil {
		last = strings.TrimSpace(string(b))
	}

	why := map[string]string{}
	// The latest builds, newest first; a digest listed twice (a moved
	// tag leaves its image untagged) counts once.
	seen := 0
	for i := len(im.Manifests) - 1; i >= 0; i-- {
		desc := im.Manifests[i]
		d := desc.Digest.String()
		if signed(desc) != "" {
			continue
		}
		if _, ok := why[d]; ok {
			continue
		}
		switch tag := desc.Annotations[AnnotationRefName]; {
		case tag != "":
			why[d] = "tag " + tag
		case opts.Referenced[d]:
			why[d] = "revision"
		case d == last:
			why[d] = "last build"
		case seen < opts.Keep:
			why[d] = "recent"
		}
		seen++
	}
	// A digest untagged in one entry may be tagged in another.
	for _, desc := range im.Manifests {
		if tag := desc.Annotations[AnnotationRefName]; tag != "" && signed(desc) == "" {
			why[desc.Digest.String()] = "tag " + tag
		}
	}
	next := *im
	next.Manifests = nil
	keepBlobs := map[string]bool{}
	removed := map[string]bool{}
	for _, desc := range im.Manifests {
		d := desc.Digest.String()
		reason := why[d]
		if sd := signed(desc); sd != "" && why[sd] != "" {
			reason = "signature"
		}
		if reason == "" {
			if !removed[d] {
				removed[d] = true
				out.Removed = append(out.Removed, d)
			}
			continue
		}
		next.Manifests = append(next.Manifests, desc)
		out.Kept = append(out.Kept, KeptImage{Digest: d, Why: reason})
		if err := blobsOf(lp, desc.Digest, keepBlobs); err != nil {
			return nil, fmt.Errorf("image %s: %w (nothing removed)", d, err)
		}
	}

	blobDir := filepath.Join(s.Dir, "blobs", "sha256")
	entries, err := os.ReadDir(blobDir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var doomed []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || keepBlobs[e.Name()] || info.ModTime().After(readAt) {
			continue
		}
		doomed = append(doomed, e.Name())
		out.Freed += info.Size()
	}
	out.Blobs = len(doomed)
	if opts.DryRun || (len(out.Removed) == 0 && len(doomed) == 0) {
		return out, nil
	}
	// The index first: it never names a blob that is gone.
	if len(out.Removed) > 0 {
		if err := s.writeIndex(&next); err != nil {
			return nil, fmt.Errorf("rewriting %s: %w", indexPath, err)
		}
	}
	for _, h := range doomed {
		if err := os.Remove(filepath.Join(blobDir, h)); err != nil && !os.IsNotExist(err) {
			return out, err
		}
	}
	return out, nil
}

// signed returns the digest a signature image's tag (sha256-<hex>.sig)
// names, "" for any other image.
func signed(desc v1.Descriptor) string {
	tag := desc.Annotations[AnnotationRefName]
	if !strings.HasPrefix(tag, "sha256-") || !strings.HasSuffix(tag, ".sig") {
		return ""
	}
	return "sha256:" + strings.TrimSuffix(strings.TrimPrefix(tag, "sha256-"), ".sig")
}

// blobsOf adds to keep the hex of the manifest d, its config and layers.
func blobsOf(lp layout.Path, d v1.Hash, keep map[string]bool) error {
	keep[d.Hex] = true
	img, err := lp.Image(d)
	if err != nil {
		return err
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	keep[m.Config.Digest.Hex] = true
	for _, l := range m.Layers {
		keep[l.Digest.Hex] = true
	}
	return nil
}

// writeIndex replaces index.json. The layout package rewrites it in
// place, which a kill -9 can leave half-written; a new file renamed over
// the old one leaves the index always the old or the new one.
func (s *Store) writeIndex(im *v1.IndexManifest) error {
	data, err := json.Marshal(im)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".index.json-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.Dir, "index.json"))
}
