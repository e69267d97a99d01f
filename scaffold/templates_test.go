package scaffold

import (
	"bytes"
	"maps"
	"os"
	"testing"

	"github.com/ferrydev/ferry/internal/packfs"
)

// The binary carries templates/ packed: the archive must hold exactly the
// directory's files as they are now (go test ./scaffold -run
// TestTemplatesPacked -update rewrites it).
func TestTemplatesPacked(t *testing.T) {
	fresh, err := packfs.Pack(os.DirFS("templates"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("templates.tgz", fresh, 0o644); err != nil {
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
		t.Fatalf("templates.tgz holds %d files that differ from templates/ (%d files): run go test ./scaffold -run TestTemplatesPacked -update", len(got), len(want))
	}
}
