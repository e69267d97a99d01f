package serve

import (
	"bytes"
	"flag"
	"maps"
	"os"
	"testing"

	"github.com/ferrydev/ferry/internal/packfs"
)

var updateAssets = flag.Bool("update", false, "rewrite assets.tgz from assets/")

// The binary carries assets/ packed: the archive must hold exactly the
// directory's files as they are now.
func TestAssetsPacked(t *testing.T) {
	fresh, err := packfs.Pack(os.DirFS("assets"))
	if err != nil {
		t.Fatal(err)
	}
	if *updateAssets {
		if err := os.WriteFile("assets.tgz", fresh, 0o644); err != nil {
			t.Fatal(err)
		}
		packed = fresh
	}
	got, err := packfs.Unpack(packed)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := packfs.Unpack(fresh)
	if len(want) == 0 || !maps.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("assets.tgz holds %d files that differ from assets/ (%d files): run go test ./serve -run TestAssetsPacked -update", len(got), len(want))
	}
}
