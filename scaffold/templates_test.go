package scaffold

import (
	"os"
	"testing"

	"github.com/ferrydev/ferry/internal/packfs"
)

// The binary carries templates/ packed: the archive must hold exactly the
// directory's files as they are now.
func TestTemplatesPacked(t *testing.T) {
	fresh, same, err := packfs.Compare(os.DirFS("templates"), packed)
	switch {
	case err != nil:
		t.Fatal(err)
	case *update:
		if err := os.WriteFile("templates.tgz", fresh, 0o644); err != nil {
			t.Fatal(err)
		}
	case !same:
		t.Fatal("templates.tgz differs from templates/: run go test ./scaffold -run TestTemplatesPacked -update")
	}
}
