// Package packfs keeps a directory of text files in the binary as one
// gzip-compressed tar. ferry's web page and ferry init's templates are
// ~50 KB of text that compresses four to one, and the binary has a size
// budget (bench/lean/budget); the files are unpacked only by the command
// that uses them. Each package's test checks its archive against the
// directory it was packed from, and rewrites it with -update.
package packfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Unpack returns the files of a gzip-compressed tar by slash-separated
// path.
func Unpack(tgz []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("packed files: %w", err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("packed files: %w", err)
		}
		if files[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, fmt.Errorf("packed files: %s: %w", h.Name, err)
		}
	}
}

// Pack writes the regular files of fsys as a gzip-compressed tar, in
// fs.WalkDir's lexical order with no times or owners, so that packing
// the same files twice gives the same archive.
func Pack(fsys fs.FS) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Compare packs fsys again and reports whether packed holds exactly its
// files, with the fresh archive for a test's -update to write.
func Compare(fsys fs.FS, packed []byte) (fresh []byte, same bool, err error) {
	if fresh, err = Pack(fsys); err != nil {
		return nil, false, err
	}
	want, _ := Unpack(fresh)
	got, err := Unpack(packed)
	if err != nil || len(want) != len(got) {
		return fresh, false, nil
	}
	for name, data := range want {
		if g, ok := got[name]; !ok || !bytes.Equal(g, data) {
			return fresh, false, nil
		}
	}
	return fresh, len(want) > 0, nil
}
