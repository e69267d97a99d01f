package boltstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
)

// A repository may commit .ferry/: a state.db or a lock that is a
// symbolic link would have ferry truncate or write whatever it points
// to. Every file of the store is reached through a confine.Root of the
// directory it is kept in (for a project, confine's .ferry, which
// refuses a .ferry that is a link, a file or another user's), and is
// refused unless it is a regular file of its own there: ferry makes no
// links in .ferry, so even one that stays inside is not its own.

// plainFile opens name in r with flag and perm, refusing (exit 2, naming
// shown) a symbolic link or anything but a regular file, and a file
// swapped for another between the check and the open.
func plainFile(r *confine.Root, name, shown string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := ownFile(r, name, shown); err != nil {
		return nil, err
	}
	f, err := r.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		var li fs.FileInfo
		if li, err = r.Lstat(name); err == nil && (!li.Mode().IsRegular() || !os.SameFile(fi, li)) {
			err = &confine.Error{Op: "open", Path: shown, Why: "changed while ferry opened it; run ferry again"}
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ownFile refuses name in r when it exists as anything but a regular
// file; a missing one is fine (ferry creates it).
func ownFile(r *confine.Root, name, shown string) error {
	_, err := r.OwnFile(name, shown, "its state and locks")
	return err
}

// fileName refuses a name that is not one path element: an environment
// name becomes a lock file's name.
func fileName(name, shown string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return &confine.Error{Op: "lock", Path: shown, Why: fmt.Sprintf("%q is not a name a file can have", name)}
	}
	return nil
}

// at names name in the directory shown as dir, for messages.
func at(dir, name string) string {
	if dir == "" {
		return name
	}
	return path.Join(filepath.ToSlash(dir), name)
}

// withFile runs fn on the state file opened for reading, in its confined
// directory.
func withFile[T any](s *Bolt, fn func(*os.File) (T, error)) (T, error) {
	var zero T
	r, err := s.dir(false)
	if err != nil {
		return zero, fmt.Errorf("state: %w", err)
	}
	defer r.Close()
	f, err := plainFile(r, s.name, at(s.shown, s.name), os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return zero, fmt.Errorf("state: %w", err)
		}
		return zero, err
	}
	defer f.Close()
	return fn(f)
}

// with is s with another timeout.
func (s *Bolt) with(timeout time.Duration) *Bolt {
	c := *s
	c.Timeout = timeout
	return &c
}
