package confine

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// File is one file of a tree read by Files.
type File struct {
	// Name is slash-separated and relative to the tree's directory.
	Name string
	Data []byte
}

// Files reads every regular file under dir, in lexical order, for
// loaders that take a list of files (Helm's loader.LoadFiles, a
// configs/ directory): links that stay inside are followed, one that
// leaves fails the read with its *Error, and a FIFO, socket or device
// (which would block a reader or read forever) is refused by name. The
// tree's total size is bounded by limit bytes (0: no bound), so a
// planted 50 MiB file fails cleanly instead of being read.
func (r *Root) Files(dir string, limit int64) ([]File, error) {
	var out []File
	var total int64
	err := r.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return &Error{Op: "read", Path: p, Why: fmt.Sprintf("is not a regular file (%s)", d.Type())}
		}
		f, err := r.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rd := io.Reader(f)
		if limit > 0 {
			rd = io.LimitReader(f, limit-total+1)
		}
		data, err := io.ReadAll(rd)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		total += int64(len(data))
		if limit > 0 && total > limit {
			return &Error{Op: "read", Path: p, Why: fmt.Sprintf("the files under %s are larger than the %d MiB limit", dir, limit>>20)}
		}
		name := strings.TrimPrefix(p, path.Clean(dir)+"/")
		if path.Clean(dir) == "." {
			name = p
		}
		out = append(out, File{Name: name, Data: data})
		return nil
	})
	return out, err
}

// Entries lists the directory name, sorted by name, fast: each entry's
// name and type (a symbolic link is a link, not followed) as the
// directory itself records them, without the lstat of each entry that
// ReadDir costs in an os.Root — for walks of large trees. The entries'
// Info must not be used: it would stat by path, outside the Root.
func (r *Root) Entries(name string) ([]fs.DirEntry, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := plainDir(f)
	if err != nil {
		return nil, err
	}
	if d != f {
		defer d.Close()
	}
	entries, err := d.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}
