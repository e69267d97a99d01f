package local

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/internal/confine"
)

// A secretsFile is the one file ferry.yaml may name outside the project:
// it keeps the Secrets' values out of the repository. A repository
// someone asks ferry to run could name any file there instead
// (/etc/shadow, another user's key) to have it read and handed to a
// service the repository wrote. So, as ssh does with a private key, a
// secrets file outside the project is read only when it is a regular
// file (links followed) that belongs to the user running ferry and that
// no one else may read or write (mode 0600 or stricter): every file
// that passes is one the user made for a secret. A secrets file named
// by a relative path is inside the project and read through confine,
// like every other file there.

// readSecretsFile reads the dotenv file at name, which is absolute
// (outside the project) or relative to the project directory. A file
// that does not exist is fs.ErrNotExist; one ferry will not read is a
// *confine.Error (exit 2) naming it and saying why.
func (l *Local) readSecretsFile(name string) ([]envfile.Var, error) {
	if !filepath.IsAbs(name) {
		root, err := confine.Open(l.ProjectDir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		return envfile.ReadFile(root.FS(), path.Clean(filepath.ToSlash(name)))
	}
	// Not blocking in open: a FIFO there would hang ferry.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := trustedSecrets(fi); err != nil {
		return nil, &confine.Error{Op: "read", Path: name, Why: err.Error()}
	}
	data, err := io.ReadAll(io.LimitReader(f, envfile.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > envfile.MaxFileSize {
		return nil, fmt.Errorf("%s: %w", name, envfile.ErrTooLarge)
	}
	return envfile.Parse(name, data)
}

// trustedSecrets says why the opened file fi is not one the user keeps
// secrets in, or nil.
func trustedSecrets(fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("is not a regular file (%s); a secrets file is a dotenv file", fi.Mode().Type())
	}
	if uid, ok := confine.Owner(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("belongs to user %d, not to you (%d); ferry reads a secrets file outside the project only when it is yours alone", uid, os.Getuid())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("may be read or written by others (mode %04o); ferry reads a secrets file outside the project only when it is yours alone: chmod 600 it", perm)
	}
	return nil
}
