package check

import (
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/ferrydev/ferry/internal/confine"
)

// tree reads the project's own files for the rules that look past the
// rendered output (configs/, the chart's values and templates, Go
// sources, ferry.yaml). A repository is untrusted input, so these reads
// go through the confined file system like every other: a name or a link
// that leaves the project reads as an error, and the rule says nothing
// of it. Callers pass absolute paths under the project directory, as
// they build them from Project.Dir.
type tree struct {
	dir  string
	once sync.Once
	root *confine.Root
	err  error
}

func newTree(dir string) *tree { return &tree{dir: dir} }

func (t *tree) open() (*confine.Root, error) {
	t.once.Do(func() { t.root, t.err = confine.Open(t.dir) })
	return t.root, t.err
}

// rel is abs relative to the project directory; a path outside it stays
// as it is, for the confined file system to refuse.
func (t *tree) rel(abs string) string {
	if r, err := filepath.Rel(t.dir, abs); err == nil {
		return r
	}
	return abs
}

func (t *tree) ReadFile(abs string) ([]byte, error) {
	root, err := t.open()
	if err != nil {
		return nil, err
	}
	return root.ReadFile(t.rel(abs))
}

func (t *tree) ReadDir(abs string) ([]fs.DirEntry, error) {
	root, err := t.open()
	if err != nil {
		return nil, err
	}
	return root.ReadDir(t.rel(abs))
}

// WalkDir walks the tree at abs, giving fn absolute paths. A link that
// leaves the project reaches fn with its error, as fs.WalkDir reports an
// unreadable entry.
func (t *tree) WalkDir(abs string, fn fs.WalkDirFunc) error {
	root, err := t.open()
	if err != nil {
		return fn(abs, nil, err)
	}
	return root.WalkDir(t.rel(abs), func(name string, d fs.DirEntry, err error) error {
		return fn(filepath.Join(t.dir, filepath.FromSlash(name)), d, err)
	})
}

// FS is the project directory as an fs.FS, for readers that take one.
func (t *tree) FS() fs.FS {
	root, err := t.open()
	if err != nil {
		return errFS{err}
	}
	return root.FS()
}

type errFS struct{ err error }

func (e errFS) Open(string) (fs.File, error) { return nil, e.err }

// files is the Input's project tree, shared with the per-container views.
func (in *Input) files() *tree {
	if in.parent != nil {
		return in.parent.files()
	}
	in.treeOnce.Do(func() {
		dir := ""
		if in.Project != nil {
			dir = in.Project.Dir
		}
		in.tree = newTree(dir)
	})
	return in.tree
}
