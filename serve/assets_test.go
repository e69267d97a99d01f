package serve

import (
	"flag"
	"os"
	"testing"

	"github.com/ferrydev/ferry/internal/packfs"
)

var updateAssets = flag.Bool("update", false, "rewrite assets.tgz from assets/")

// The binary carries assets/ packed: the archive must hold exactly the
// directory's files as they are now.
func TestAssetsPacked(t *testing.T) {
	fresh, same, err := packfs.Compare(os.DirFS("assets"), packed)
	switch {
	case err != nil:
		t.Fatal(err)
	case *updateAssets:
		if err := os.WriteFile("assets.tgz", fresh, 0o644); err != nil {
			t.Fatal(err)
		}
	case !same:
		t.Fatal("assets.tgz differs from assets/: run go test ./serve -run TestAssetsPacked -update")
	}
}
