package local

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/ferrydev/ferry/artifact"
)

// fileID identifies a file's content without reading it: device, inode,
// size, modification and change times (any write or rename moves the
// last). Two stats with one ID saw one unchanged file.
func fileID(p string) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d/%d/%d/%d.%d/%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), nil
}

// configsHash accumulates the configuration layer's digest: each regular
// file's path below configs/ and the sha256 of its content, in path
// order, so that the unpacked directory and the image's layer hash alike.
type configsHash struct{ files map[string]string }

func (c *configsHash) add(rel string, r io.Reader) error {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	if c.files == nil {
		c.files = map[string]string{}
	}
	c.files[rel] = hex.EncodeToString(h.Sum(nil))
	return nil
}

func (c *configsHash) sum() string {
	names := make([]string, 0, len(c.files))
	for n := range c.files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%s\n", n, c.files[n])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// configsDigest is the digest of the configs/ directory in dir (links
// followed), as the service reads it from its working directory. A
// directory without configs/ has the digest of nothing.
func configsDigest(dir string) (string, error) {
	var c configsHash
	root := filepath.Join(dir, "configs")
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return c.sum(), nil
	}
	err := filepath.WalkDir(root+string(filepath.Separator), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(root, p)
		return c.add(filepath.ToSlash(rel), f)
	})
	if err != nil {
		return "", err
	}
	return c.sum(), nil
}

// ImageConfigs is the digest of the configuration layer (configs/) of the
// artifact with digest d, hashed as configsDigest hashes a running
// revision's: from its unpacked root when there is one, else read from
// the image without unpacking it.
func (l *Local) ImageConfigs(d string) (string, error) {
	if hexd, ok := strings.CutPrefix(d, "sha256:"); ok && len(hexd) >= 16 {
		if root := l.unpacked(hexd[:16]); root != "" {
			return configsDigest(filepath.Join(root, filepath.FromSlash(artifact.WorkDir)))
		}
	}
	img, err := l.Images.Image(d)
	if err != nil {
		return "", err
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	var c configsHash
	prefix := strings.TrimPrefix(artifact.WorkDir, "/") + "/configs/"
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return c.sum(), nil
		}
		if err != nil {
			return "", fmt.Errorf("reading %s's configuration layer: %w", d, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if rel, ok := strings.CutPrefix(name, prefix); ok && h.Typeflag == tar.TypeReg {
			if err := c.add(rel, tr); err != nil {
				return "", err
			}
		}
	}
}

// unpacked is the path of the complete unpacked root named name, or ""
// when there is none ferry made: a root that is a link, or under one
// (committed under .ferry/), is not one it unpacked, and the image itself
// is read instead.
func (l *Local) unpacked(name string) string {
	run, err := l.openRun(false)
	if err != nil || run == nil {
		return ""
	}
	defer run.Close()
	root := path.Join("run/roots", name)
	if run.ownDir(root, false) != nil || run.noLink(path.Join(root, ".ferry-complete")) != nil {
		return ""
	}
	if _, err := run.ferry.Lstat(path.Join(root, ".ferry-complete")); err != nil {
		return ""
	}
	return run.path(root)
}
