//go:build !unix

package confine

import "io/fs"

// owner is unknown where files have no numeric owner.
func owner(fs.FileInfo) (int, bool) { return 0, false }
