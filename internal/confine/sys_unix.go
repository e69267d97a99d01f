//go:build unix

package confine

import (
	"io/fs"
	"syscall"
)

// Owner is the file's owning user id, when the system has one.
func Owner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// nonblock opens without waiting: a FIFO's open would block.
const nonblock = syscall.O_NONBLOCK
