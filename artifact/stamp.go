package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
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
// (what `go tool buildid` prints): in ELF its Go build ID note, elsewhere
// a quoted string near the start of the file.
func buildID(bin string) (string, error) {
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if id, isELF, err := elfBuildID(f); isELF {
		if err != nil {
			return "", fmt.Errorf("%s: %w", bin, err)
		}
		return id, nil
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

// elfBuildID reads the Go build ID note (owner "Go", type 4) from an ELF
// file's PT_NOTE segments. It reads the few header fields it needs
// itself: debug/elf, which only this used, weighed ~150 KB of ferry's
// binary (its relocation-name tables).
func elfBuildID(f io.ReaderAt) (id string, isELF bool, err error) {
	var ident [64]byte
	if n, _ := f.ReadAt(ident[:], 0); n < 52 || string(ident[:4]) != "\x7fELF" {
		return "", false, nil
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if ident[5] == 2 {
		bo = binary.BigEndian
	}
	// Where the program headers are, by ELF class (1: 32-bit, 2: 64-bit).
	var phoff, phentsize, phnum uint64
	wide := ident[4] == 2
	if wide {
		phoff, phentsize, phnum = bo.Uint64(ident[0x20:]), uint64(bo.Uint16(ident[0x36:])), uint64(bo.Uint16(ident[0x38:]))
	} else {
		phoff, phentsize, phnum = uint64(bo.Uint32(ident[0x1c:])), uint64(bo.Uint16(ident[0x2a:])), uint64(bo.Uint16(ident[0x2c:]))
	}
	noGoID := errors.New("no Go build ID")
	if phnum == 0 || phnum > 256 || phentsize < 32 || phentsize > 128 {
		return "", true, noGoID
	}
	ph := make([]byte, phentsize)
	for i := range phnum {
		if _, err := f.ReadAt(ph, int64(phoff+i*phentsize)); err != nil {
			return "", true, noGoID
		}
		const ptNote = 4
		if bo.Uint32(ph) != ptNote {
			continue
		}
		var off, size uint64
		if wide {
			off, size = bo.Uint64(ph[8:]), bo.Uint64(ph[32:])
		} else {
			off, size = uint64(bo.Uint32(ph[4:])), uint64(bo.Uint32(ph[16:]))
		}
		if size > 1<<16 {
			continue
		}
		notes := make([]byte, size)
		if _, err := f.ReadAt(notes, int64(off)); err != nil {
			continue
		}
		// Each note: namesz, descsz, type, then name and desc, each
		// padded to 4 bytes.
		for len(notes) >= 12 {
			namesz, descsz, typ := uint64(bo.Uint32(notes)), uint64(bo.Uint32(notes[4:])), bo.Uint32(notes[8:])
			name, desc := 12+(namesz+3)&^3, 12+(namesz+3)&^3+(descsz+3)&^3
			if desc > uint64(len(notes)) {
				break
			}
			if typ == 4 && namesz == 4 && string(notes[12:16]) == "Go\x00\x00" {
				return string(notes[name : name+descsz]), true, nil
			}
			notes = notes[desc:]
		}
	}
	return "", true, noGoID
}
