// Package confine is the one way ferry reads and writes files inside a
// project it did not write: a repository someone asks ferry to check may
// carry symbolic links, `..` and absolute paths meant to make ferry read a
// file outside it (into a public CI log) or write one (a binary, a lock
// file truncated). A Root is built on os.Root, which resolves every path
// and every symbolic link under the project directory and refuses one
// that leaves it, race-free; confine adds what a user needs from the
// refusal: the offending path named, as an *Error the CLI turns into
// exit 2.
//
// It is internal: every caller is one of ferry's own packages, which
// receive the Root from whoever loaded the project.
package confine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// errNotDir is ReadDir's answer for what is not a directory.
var errNotDir = errors.New("not a directory")

var (
	// ErrRefused is what every refusal of this package matches with
	// errors.Is: bad input, exit 2.
	ErrRefused = errors.New("refused")
	// ErrOutside matches the refusals of paths that leave the project.
	ErrOutside = errors.New("leaves the project directory")
)

// Error is a refused path: one that is absolute, climbs with "..", or
// passes through a symbolic link that leads out of the project — or a
// .ferry directory ferry will not use. Path is the name as the caller
// gave it, relative to the project directory.
type Error struct {
	Op   string
	Path string
	// Why says what is wrong: "an absolute path", or the symbolic link
	// and where it points.
	Why string
	// Outside is set for paths that leave the project.
	Outside bool
}

func (e *Error) Error() string {
	if e.Outside {
		return fmt.Sprintf("%s: %s %s: %s", e.Path, e.Op, ErrOutside, e.Why)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Why)
}

// Is makes every *Error match ErrRefused, and those of paths that leave
// the project ErrOutside.
func (e *Error) Is(target error) bool {
	return target == ErrRefused || (target == ErrOutside && e.Outside)
}

func outside(op, name, why string) *Error { return &Error{Op: op, Path: name, Why: why, Outside: true} }

// Root is a project directory opened for confined access. Names given to
// its methods are relative to the directory, with "/" or the OS
// separator; "." is the directory itself.
type Root struct {
	dir  string
	root *os.Root
}

// Open opens the project directory dir. dir itself may be reached
// through symbolic links (a checkout under a linked home); only what is
// inside it is confined.
func Open(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &Root{dir: abs, root: r}, nil
}

// Close releases the directory.
func (r *Root) Close() error { return r.root.Close() }

// Dir is the project directory's absolute path, for messages and for
// tools that must be given a path (the Go compiler, git).
func (r *Root) Dir() string { return r.dir }

// clean checks a name lexically and returns it in the form os.Root wants.
func (r *Root) clean(op, name string) (string, error) {
	if name == "" {
		return ".", nil
	}
	slashed := filepath.ToSlash(name)
	if filepath.IsAbs(name) || strings.HasPrefix(slashed, "/") {
		return "", outside(op, name, "an absolute path")
	}
	for _, el := range strings.Split(slashed, "/") {
		if el == ".." {
			return "", outside(op, name, `a path with ".."`)
		}
	}
	if strings.ContainsRune(name, 0) {
		return "", outside(op, name, "a path with a NUL byte")
	}
	return path.Clean(slashed), nil
}

// escapes reports whether err is os.Root's refusal of a name that leads
// out of the root. The standard library does not export that error, so
// it is told by its text, which the test pins down.
func escapes(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if _, ok := err.(*fs.PathError); !ok && err.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

// refusal turns os.Root's escape error into an *Error naming the link
// that leaves; other errors pass through.
func (r *Root) refusal(op, name, cleaned string, err error) error {
	if err == nil || !escapes(err) {
		return err
	}
	return outside(op, name, r.culprit(cleaned))
}

// culprit finds the first component of name that is a symbolic link and
// says where it points. It is read after the refusal, so a tree changed
// in between may name no link; the refusal stands either way.
func (r *Root) culprit(name string) string {
	parts := strings.Split(name, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		fi, err := r.root.Lstat(p)
		if err != nil {
			break
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := r.root.Readlink(p)
			if filepath.IsAbs(target) {
				return fmt.Sprintf("%s is a symbolic link to the absolute path %s", p, target)
			}
			return fmt.Sprintf("%s is a symbolic link to %s", p, target)
		}
	}
	return "through a symbolic link"
}

// do runs op on the cleaned name and turns an escape into an *Error.
func do[T any](r *Root, op, name string, f func(string) (T, error)) (T, error) {
	c, err := r.clean(op, name)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := f(c)
	return v, r.refusal(op, name, c, err)
}

// Open opens name for reading: a regular file or a directory. A FIFO, a
// socket or a device is refused by name, without blocking: a planted
// FIFO would otherwise hang ferry in open until someone writes to it.
func (r *Root) Open(name string) (*os.File, error) {
	return do(r, "open", name, func(c string) (*os.File, error) {
		f, err := r.root.OpenFile(c, os.O_RDONLY|nonblock, 0)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if t := fi.Mode().Type(); t != 0 && t != fs.ModeDir {
			f.Close()
			return nil, &Error{Op: "open", Path: name, Why: fmt.Sprintf("is not a regular file (%s)", t)}
		}
		return f, nil
	})
}

// ReadFile reads the whole of name, a regular file.
func (r *Root) ReadFile(name string) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Stat follows symbolic links that stay inside.
func (r *Root) Stat(name string) (fs.FileInfo, error) { return do(r, "stat", name, r.root.Stat) }

// Lstat does not follow a final symbolic link; those before it must stay
// inside.
func (r *Root) Lstat(name string) (fs.FileInfo, error) { return do(r, "lstat", name, r.root.Lstat) }

// ReadDir lists a directory, sorted by name.
func (r *Root) ReadDir(name string) ([]fs.DirEntry, error) {
	return do(r, "readdir", name, func(c string) ([]fs.DirEntry, error) {
		// what is not a directory is not opened: opening a FIFO blocks
		// (fs.Glob lists every match of "*" in "*/x.yaml")
		if st, err := r.root.Stat(c); err != nil {
			return nil, err
		} else if !st.IsDir() {
			return nil, &fs.PathError{Op: "readdir", Path: c, Err: errNotDir}
		}
		return fs.ReadDir(r.root.FS(), c)
	})
}

// WalkDir walks the tree at name in lexical order as fs.WalkDir does, and
// follows symbolic links as Helm's chart loader does: a link that stays
// inside is walked as what it points to (a directory link as a
// directory, once per walk branch, so a loop ends); a link that leaves is
// passed to fn with its *Error, and fn decides (returning the error stops
// the walk, which is what reading the chart or configs/ should do).
func (r *Root) WalkDir(name string, fn fs.WalkDirFunc) error {
	c, err := r.clean("walk", name)
	if err != nil {
		return fn(name, nil, err)
	}
	fi, err := r.Stat(c)
	if err != nil {
		return fn(name, nil, err)
	}
	err = r.walk(c, fs.FileInfoToDirEntry(fi), fn, []fs.FileInfo{fi})
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

// maxWalkDepth bounds a walk through linked directories that is not a
// loop but a deep chain.
const maxWalkDepth = 256

func (r *Root) walk(name string, d fs.DirEntry, fn fs.WalkDirFunc, ancestors []fs.FileInfo) error {
	if err := fn(name, d, nil); err != nil || !d.IsDir() {
		if err == fs.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	entries, err := r.ReadDir(name)
	if err != nil {
		if err = fn(name, d, err); err != nil {
			if err == fs.SkipDir {
				err = nil
			}
			return err
		}
	}
	for _, e := range entries {
		child := path.Join(name, e.Name())
		next := ancestors
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := r.Stat(child)
			if err != nil {
				if err := fn(child, e, err); err != nil && err != fs.SkipDir {
					return err
				}
				continue
			}
			if fi.IsDir() && (len(ancestors) >= maxWalkDepth || slices.ContainsFunc(ancestors, func(a fs.FileInfo) bool { return os.SameFile(a, fi) })) {
				continue // a loop: its files were walked once already
			}
			e = fs.FileInfoToDirEntry(renamed{fi, e.Name()})
			if fi.IsDir() {
				next = append(ancestors[:len(ancestors):len(ancestors)], fi)
			}
		} else if e.IsDir() {
			if fi, err := e.Info(); err == nil {
				next = append(ancestors[:len(ancestors):len(ancestors)], fi)
			}
		}
		if err := r.walk(child, e, fn, next); err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}

// renamed is a followed link's target under the link's own name.
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

// MkdirAll makes name and its parents with perm.
func (r *Root) MkdirAll(name string, perm fs.FileMode) error {
	_, err := do(r, "mkdir", name, func(c string) (struct{}, error) { return struct{}{}, r.root.MkdirAll(c, perm) })
	return err
}

// WriteFile writes data to name, creating it with perm or truncating it.
// A symbolic link at name is followed only if it stays inside.
func (r *Root) WriteFile(name string, data []byte, perm fs.FileMode) error {
	_, err := do(r, "write", name, func(c string) (struct{}, error) { return struct{}{}, r.root.WriteFile(c, data, perm) })
	return err
}

// OpenFile opens name with flag and perm, as os.OpenFile does.
func (r *Root) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return do(r, "open", name, func(c string) (*os.File, error) { return r.root.OpenFile(c, flag, perm) })
}

// Remove removes name (a file or an empty directory; a symbolic link
// itself, not its target).
func (r *Root) Remove(name string) error {
	_, err := do(r, "remove", name, func(c string) (struct{}, error) { return struct{}{}, r.root.Remove(c) })
	return err
}

// Rename renames within the project.
func (r *Root) Rename(from, to string) error {
	cf, err := r.clean("rename", from)
	if err != nil {
		return err
	}
	ct, err := r.clean("rename", to)
	if err != nil {
		return err
	}
	return r.refusal("rename", from, cf, r.root.Rename(cf, ct))
}

// Link makes a hard link to from at to, within the project; an existing
// to is fs.ErrExist (the way to put a file in place unless someone else
// did first).
func (r *Root) Link(from, to string) error {
	cf, err := r.clean("link", from)
	if err != nil {
		return err
	}
	ct, err := r.clean("link", to)
	if err != nil {
		return err
	}
	return r.refusal("link", from, cf, r.root.Link(cf, ct))
}

// FS is the project as an fs.FS — for Helm's chart loader (walk it and
// hand the files to loader.LoadFiles) and for a chart's .Files — whose
// every refusal is an *Error. It implements fs.StatFS, fs.ReadFileFS,
// fs.ReadDirFS and fs.SubFS.
func (r *Root) FS() fs.FS { return rootFS{r: r} }

type rootFS struct {
	r    *Root
	base string // slash-separated, "" for the project directory
}

func (f rootFS) name(n string) string {
	switch {
	case f.base == "":
		return n
	case n == ".":
		return f.base
	}
	return f.base + "/" + n
}

// valid applies fs.FS's stricter naming (no "./x", no "x/.") on top of
// the Root's: a name the Root would refuse gets the Root's refusal.
func (f rootFS) valid(op, n string) error {
	if fs.ValidPath(n) {
		return nil
	}
	if _, err := f.r.clean(op, n); err != nil {
		return err
	}
	return &fs.PathError{Op: op, Path: n, Err: fs.ErrInvalid}
}

func (f rootFS) Open(n string) (fs.File, error) {
	if err := f.valid("open", n); err != nil {
		return nil, err
	}
	file, err := f.r.Open(f.name(n))
	if err != nil {
		return nil, err
	}
	return file, nil
}

func (f rootFS) ReadFile(n string) ([]byte, error) {
	if err := f.valid("read", n); err != nil {
		return nil, err
	}
	return f.r.ReadFile(f.name(n))
}

func (f rootFS) ReadDir(n string) ([]fs.DirEntry, error) {
	if err := f.valid("readdir", n); err != nil {
		return nil, err
	}
	return f.r.ReadDir(f.name(n))
}

func (f rootFS) Stat(n string) (fs.FileInfo, error) {
	if err := f.valid("stat", n); err != nil {
		return nil, err
	}
	return f.r.Stat(f.name(n))
}

func (f rootFS) Sub(dir string) (fs.FS, error) {
	if err := f.valid("sub", dir); err != nil {
		return nil, err
	}
	c, err := f.r.clean("sub", f.name(dir))
	if err != nil {
		return nil, err
	}
	fi, err := f.r.Stat(c)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: errors.New("not a directory")}
	}
	if c == "." {
		c = ""
	}
	return rootFS{r: f.r, base: c}, nil
}

// StateDir is the directory ferry keeps its state, builds, locks and
// tokens in, relative to the project.
const StateDir = ".ferry"

// Ferry returns .ferry/ as a Root of its own, creating it with mode 0700.
// It refuses a .ferry that is a symbolic link, is not a directory (a
// plain file in the way), or belongs to another user: a repository that
// commits one would redirect ferry's writes or hand it a lock or token
// someone else planted. An existing .ferry that others may read is
// tightened to 0700. Anything inside .ferry/ that links out of it, even
// into the project, is refused by the returned Root.
func (r *Root) Ferry() (*Root, error) {
	fi, err := r.root.Lstat(StateDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := r.root.Mkdir(StateDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s: %w", StateDir, err)
		}
		if fi, err = r.root.Lstat(StateDir); err != nil {
			return nil, fmt.Errorf("%s: %w", StateDir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", StateDir, err)
	}
	if err := usableStateDir(fi); err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := r.root.Chmod(StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("%s: %w", StateDir, err)
		}
	}
	sub, err := r.root.OpenRoot(StateDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", StateDir, err)
	}
	// The directory opened must be the one checked: a swap in between
	// would otherwise go unnoticed.
	if st, err := sub.Stat("."); err != nil || !os.SameFile(st, fi) {
		sub.Close()
		return nil, &Error{Op: "open", Path: StateDir, Why: "changed while ferry opened it; run ferry again"}
	}
	return &Root{dir: filepath.Join(r.dir, StateDir), root: sub}, nil
}

func usableStateDir(fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &Error{Op: "open", Path: StateDir, Why: "is a symbolic link; ferry keeps its state there and will not follow one (a repository should not commit .ferry/): remove it"}
	case !fi.IsDir():
		return &Error{Op: "open", Path: StateDir, Why: "is a file, not the directory ferry keeps its state in: move it away"}
	}
	if uid, ok := Owner(fi); ok && uid != os.Getuid() {
		return &Error{Op: "open", Path: StateDir, Why: fmt.Sprintf("belongs to user %d, not to you (%d); ferry will not use another user's state: remove it or run ferry as its owner", uid, os.Getuid())}
	}
	return nil
}

// OwnFile refuses name unless it is missing or a regular file: a
// symbolic link (even one that stays inside) or a FIFO where ferry keeps
// a file of its own (state, a lock, a key) is one ferry never made, so a
// repository planted it. shown names it in the refusal; what says what
// ferry keeps there. It returns the file's Lstat, nil when missing.
func (r *Root) OwnFile(name, shown, what string) (fs.FileInfo, error) {
	fi, err := r.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := r.root.Readlink(name)
		return nil, &Error{Op: "open", Path: shown, Why: fmt.Sprintf("is a symbolic link (to %s); ferry keeps %s there and will not follow one (a repository should not commit .ferry/): remove it", target, what)}
	case !fi.Mode().IsRegular():
		return nil, &Error{Op: "open", Path: shown, Why: fmt.Sprintf("is not a regular file (%s): remove it", fi.Mode().Type())}
	}
	return fi, nil
}

// OwnDir makes name a directory (0700) when missing and refuses it
// unless it is a directory of its own: not a symbolic link, even one
// that stays inside. shown names it in the refusal; what says what
// ferry keeps there.
func (r *Root) OwnDir(name, shown, what string) error {
	fi, err := r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if err := r.MkdirAll(name, 0o700); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		fi, err = r.Lstat(name)
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", shown, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return &Error{Op: "open", Path: shown, Why: fmt.Sprintf("is a symbolic link; ferry keeps %s there and will not follow one (a repository should not commit .ferry/): remove it", what)}
	case !fi.IsDir():
		return &Error{Op: "open", Path: shown, Why: "is not a directory: remove it"}
	}
	return nil
}
