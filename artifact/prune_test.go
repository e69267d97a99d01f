package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// storeWith puts one image per name into a fresh store, in order, each
// with its own 256 KiB "binary" and the service's configs; a name
// "sig:N" is the signature image of the N-th image (cosign's tag), and a
// name "tag:T" is tagged T. It returns the store and the digests.
func storeWith(t *testing.T, names ...string) (*Store, []string) {
	t.Helper()
	s := &Store{Dir: filepath.Join(t.TempDir(), ".ferry", "images")}
	configs := t.TempDir()
	if err := os.WriteFile(filepath.Join(configs, ".env"), []byte("APP_NAME=billing\nHTTP_PORT=8080\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var digests []string
	for i, n := range names {
		bin := filepath.Join(t.TempDir(), "billing")
		if err := os.WriteFile(bin, bytes.Repeat([]byte(fmt.Sprintf("build %d;", i)), 256<<10/8), 0o755); err != nil {
			t.Fatal(err)
		}
		img, info, err := Package(bin, "billing", configs, fmt.Sprintf("rev%d", i))
		if err != nil {
			t.Fatal(err)
		}
		tag := ""
		switch {
		case strings.HasPrefix(n, "tag:"):
			tag = strings.TrimPrefix(n, "tag:")
		case strings.HasPrefix(n, "sig:"):
			var of int
			fmt.Sscan(strings.TrimPrefix(n, "sig:"), &of)
			tag = strings.Replace(digests[of], ":", "-", 1) + ".sig"
		}
		if err := s.Put(img, tag, false); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, info.Digest)
	}
	return s, digests
}

func blobNames(t *testing.T, s *Store) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(s.Dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestPrune: tags, revisions, the last build and the latest Keep builds
// stay, with every blob they use; the rest goes, its signatures with it,
// and the bytes freed are those of the blobs removed.
func TestPrune(t *testing.T) {
	// Builds 0 (tagged), 1 (deployed), 2 to 5, 8 and 9 (the last); 6
	// signs 2 and 7 signs 5.
	s, d := storeWith(t, "tag:1.0.0", "plain", "plain", "plain", "plain", "plain", "sig:2", "sig:5", "plain", "plain")
	tests := []struct {
		name        string
		keep        int
		wantRemoved []int
	}{
		// Signatures count as no build.
		{"keep 3", 3, []int{2, 3, 4, 6}},
		{"keep 5", 5, []int{2, 6}},
		{"keep 0 keeps the last build", 0, []int{2, 3, 4, 5, 6, 7, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := blobNames(t, s)
			got, err := s.Prune(PruneOptions{Keep: tt.keep, Referenced: map[string]bool{d[1]: true}, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range tt.wantRemoved {
				want = append(want, d[i])
			}
			if !slices.Equal(got.Removed, want) {
				t.Errorf("removed %v, want %v", got.Removed, want)
			}
			// Each image has its own manifest, config and layer.
			if got.Blobs != 3*len(want) || got.Freed < int64(len(want))*256<<10 {
				t.Errorf("%d blobs, %d bytes freed, want %d blobs over %d bytes", got.Blobs, got.Freed, 3*len(want), len(want)*256<<10)
			}
			if after := blobNames(t, s); !slices.Equal(before, after) || !got.DryRun {
				t.Errorf("a dry run removed blobs")
			}
		})
	}

	got, err := s.Prune(PruneOptions{Keep: 3, Referenced: map[string]bool{d[1]: true}})
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, k := range got.Kept {
		why[k.Digest] = k.Why
	}
	for i, w := range map[int]string{0: "tag 1.0.0", 1: "revision", 5: "recent", 7: "signature", 8: "recent", 9: "last build"} {
		if why[d[i]] != w {
			t.Errorf("image %d kept for %q, want %q", i, why[d[i]], w)
		}
	}
	for _, i := range []int{2, 3, 4, 6} {
		if _, err := s.Resolve(d[i]); !errors.Is(err, ErrUnknownArtifact) {
			t.Errorf("pruned image %d still resolves: %v", i, err)
		}
	}
	// What stays is whole: every kept image unpacks, and the blob
	// directory holds exactly the kept images' blobs.
	for _, i := range []int{0, 1, 5, 7, 8, 9} {
		if _, err := s.Unpack(d[i], t.TempDir()); err != nil {
			t.Errorf("kept image %d: %v", i, err)
		}
	}
	if n := len(blobNames(t, s)); n != 3*6 {
		t.Errorf("%d blobs left, want 18", n)
	}
	if lp, err := layout.FromPath(s.Dir); err != nil {
		t.Error(err)
	} else if idx, err := lp.ImageIndex(); err != nil {
		t.Error(err)
	} else if im, err := idx.IndexManifest(); err != nil || len(im.Manifests) != 6 {
		t.Errorf("index has %d manifests (%v), want 6", len(im.Manifests), err)
	}

	// Again: nothing to do.
	if again, err := s.Prune(PruneOptions{Keep: 3, Referenced: map[string]bool{d[1]: true}}); err != nil || len(again.Removed) != 0 || again.Freed != 0 {
		t.Errorf("second prune removed %v, freed %d (%v)", again.Removed, again.Freed, err)
	}
}

// TestPruneBlobs: a blob a crashed build left is removed; one written
// after the index (a build under way) stays.
func TestPruneBlobs(t *testing.T) {
	s, _ := storeWith(t, "plain")
	dir := filepath.Join(s.Dir, "blobs", "sha256")
	orphan, inflight := filepath.Join(dir, strings.Repeat("a", 64)), filepath.Join(dir, strings.Repeat("b", 64))
	for _, f := range []string{orphan, inflight} {
		if err := os.WriteFile(f, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := os.Stat(filepath.Join(s.Dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	old, future := idx.ModTime().Add(-time.Hour), idx.ModTime().Add(time.Minute)
	os.Chtimes(orphan, old, old)
	os.Chtimes(inflight, future, future)
	got, err := s.Prune(PruneOptions{Keep: DefaultKeep})
	if err != nil {
		t.Fatal(err)
	}
	if got.Freed != 1000 || got.Blobs != 1 || len(got.Removed) != 0 {
		t.Errorf("pruned %+v, want the orphan's 1000 bytes only", got)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("orphan blob left: %v", err)
	}
	if _, err := os.Stat(inflight); err != nil {
		t.Errorf("in-flight blob removed: %v", err)
	}
}

func TestPruneNoStore(t *testing.T) {
	got, err := NewStore(t.TempDir()).Prune(PruneOptions{Keep: DefaultKeep})
	if err != nil || len(got.Removed) != 0 || got.Freed != 0 {
		t.Errorf("Prune of no store = %+v, %v", got, err)
	}
}
