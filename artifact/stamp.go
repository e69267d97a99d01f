package artifact

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// stamp records what a build packaged: the binary's Go build ID (whose
// second half hashes its content; go build touches an up-to-date binary,
// so its time says nothing), every config file's size and modification
// time, the revision, and the image made of them. When all of it is the
// same the next build reuses the image instead of reading, packing and
// hashing tens of megabytes again.
type stamp struct {
	Name     string      `json:"name"`
	Revision string      `json:"revision"`
	BuildID  string      `json:"buildID"`
	Files    []fileStamp `json:"files"`
	Image    Image       `json:"image"`
}

type fileStamp struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // UnixNano
	Mode    uint32 `json:"mode"`
	Sum     string `json:"sum,omitempty"` // sha256 hex of a config file
}

func statFile(p string) (fileStamp, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{Path: p, Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode())}, nil
}

// newStamp reads the binary's build ID and records every file of
// configs (already read, so by its content's hash: the files were read
// through confine, and their times are the checkout's, not the content's).
func newStamp(bin, name string, configs []configFile, revision string) (*stamp, error) {
	id, err := buildID(bin)
	if err != nil {
		return nil, err
	}
	b, err := statFile(bin)
	if err != nil {
		return nil, err
	}
	b.ModTime = 0
	st := &stamp{Name: name, Revision: revision, BuildID: id, Files: []fileStamp{b}}
	for _, c := range configs {
		f := fileStamp{Path: c.name + "/", Mode: uint32(fs.ModeDir)}
		if !c.dir {
			sum := sha256.Sum256(c.data)
			f = fileStamp{Path: c.name, Size: int64(len(c.data)), Sum: hex.EncodeToString(sum[:])}
		}
		st.Files = append(st.Files, f)
	}
	return st, nil
}

func (st *stamp) same(o *stamp) bool {
	return st.Name == o.Name && st.Revision == o.Revision && st.BuildID == o.BuildID && slices.Equal(st.Files, o.Files)
}

// write saves the stamp; a stamp that cannot be saved only costs the
// next build its shortcut.
func (st *stamp) write(path string) {
	data, err := json.Marshal(st)
	if err == nil {
		_ = os.WriteFile(path, data, 0o644)
	}
}

// unchanged returns the stored image the stamp at path recorded, when st
// is the same and the store still holds that image; nil otherwise.
func (s *Store) unchanged(path string, st *stamp) (*Image, v1.Image) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	var prev stamp
	if json.Unmarshal(data, &prev) != nil || !st.same(&prev) || prev.Image.Digest == "" {
		return nil, nil
	}
	img, err := s.Image(prev.Image.Digest)
	if err != nil {
		return nil, nil
	}
	// The manifest is read back and its blobs looked for: a pruned or
	// damaged image is packaged again.
	h, err := img.Digest()
	if err != nil || h.String() != prev.Image.Digest {
		return nil, nil
	}
	lp, err := layout.FromPath(s.Dir)
	if err != nil {
		return nil, nil
	}
	blobs := map[string]bool{}
	if blobsOf(lp, h, blobs) != nil {
		return nil, nil
	}
	for hex := range blobs {
		if _, err := os.Stat(filepath.Join(s.Dir, "blobs", "sha256", hex)); err != nil {
			return nil, nil
		}
	}
	info := prev.Image
	return &info, img
}

// buildID returns the Go build ID the linker writes into an executable
// (what `go tool buildid` prints): in ELF its .note.go.buildid note,
// elsewhere a quoted string near the start of the file.
func buildID(bin string) (string, error) {
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if ef, err := elf.NewFile(f); err == nil {
		sec := ef.Section(".note.go.buildid")
		if sec == nil {
			return "", fmt.Errorf("%s: no Go build ID", bin)
		}
		note, err := sec.Data()
		// namesz, descsz, type, then the name "Go\x00\x00" and the ID.
		if err != nil || len(note) < 16 || string(note[12:16]) != "Go\x00\x00" {
			return "", fmt.Errorf("%s: no Go build ID", bin)
		}
		n := int(ef.ByteOrder.Uint32(note[4:8]))
		if len(note) < 16+n {
			return "", fmt.Errorf("%s: no Go build ID", bin)
		}
		return string(note[16 : 16+n]), nil
	}
	head := make([]byte, 32<<10)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	head = head[:n]
	const prefix, suffix = "\xff Go build ID: \"", "\"\n \xff"
	i := bytes.Index(head, []byte(prefix))
	if i < 0 {
		return "", fmt.Errorf("%s: no Go build ID", bin)
	}
	rest := head[i+len(prefix):]
	j := bytes.Index(rest, []byte(suffix))
	if j <= 0 {
		return "", fmt.Errorf("%s: no Go build ID", bin)
	}
	return string(rest[:j]), nil
}
