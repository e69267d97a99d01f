//go:build unix

package confine

import (
	"io/fs"
	"os"
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

// plainDir is the directory f (opened in the Root) as a File of its own
// outside any os.Root, on a duplicate of its descriptor: a directory
// opened in a Root lists its entries with an lstat each (Go cannot load
// their FileInfo lazily there), where a plain one takes their types from
// the directory itself.
func plainDir(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd, derr := -1, error(nil)
	err = rc.Control(func(fd uintptr) {
		syscall.ForkLock.RLock() // no child may inherit the copy
		defer syscall.ForkLock.RUnlock()
		if nfd, derr = syscall.Dup(int(fd)); derr == nil {
			syscall.CloseOnExec(nfd)
		}
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}
