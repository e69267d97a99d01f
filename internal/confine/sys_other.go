//go:build !unix

package confine

import "io/fs"

// Owner is unknown where files have no numeric owner.
func Owner(fs.FileInfo) (int, bool) { return 0, false }

// nonblock is not needed where files cannot be FIFOs.
const nonblock = 0
