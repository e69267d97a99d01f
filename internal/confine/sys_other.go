//go:build !unix

package confine

import (
	"io/fs"
	"os"
)

// Owner is unknown where files have no numeric owner.
func Owner(fs.FileInfo) (int, bool) { return 0, false }

// nonblock is not needed where files cannot be FIFOs.
const nonblock = 0

// plainDir is f itself where descriptors cannot be duplicated: its
// listing stats each entry, which is slower but the same.
func plainDir(f *os.File) (*os.File, error) { return f, nil }
