// Package artifact builds a Go service once into an OCI image and keeps it
// in a local OCI image layout (.ferry/images in the project directory):
// the binary (CGO_ENABLED=0, -trimpath), the service's configs/
// directory and the directories its code reads at run time (rundirs.go)
// in one deterministic layer, so that the same source always
// gives the same digest. Tags are names for digests, recorded in the
// layout's index; a tag never silently moves to another digest.
package artifact

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/sentinel"
	"github.com/ferrydev/ferry/project"
)

// Labels and annotations ferry writes.
const (
	// LabelBinaryDigest is the image config label holding the sha256 of
	// the executable: a live process is matched to an image by it.
	LabelBinaryDigest = "dev.ferry.binary.sha256"
	// LabelBinaryPath is the executable's path inside the image.
	LabelBinaryPath = "dev.ferry.binary.path"
	// AnnotationRefName names a tag in the layout's index (OCI standard).
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// WorkDir is where the binary and configs/ live in the image: GoFr
	// reads ./configs relative to the working directory.
	WorkDir = "/app"
)

// ErrUnknownArtifact is returned for a digest or tag the layout lacks.
var ErrUnknownArtifact error = &sentinel.Error{Text: "unknown artifact"}

// ErrTagMoved is returned when a tag already names another digest.
var ErrTagMoved error = &sentinel.Error{Text: "tag already points to another digest"}

// Image describes a stored artifact.
type Image struct {
	Digest       string // sha256:… of the manifest
	Tag          string
	BinaryDigest string // sha256:… of the executable
	BinaryPath   string // inside the image, e.g. /app/orders-api
	Revision     string // source revision, "" when unknown
	// Warnings are what Build found worth saying that did not stop it:
	// a secret-looking key in configs/, which the image carries.
	Warnings []string `json:"-"`
	// Packed are the directories besides configs/ that Build put in the
	// image because the code reads them by a relative path at run time,
	// each with the line that names it.
	Packed []string `json:"-"`
	// BuildTags are the kit tags Build passed to go build, leaving out
	// the datasource clients the configuration never asks for (leanTags).
	BuildTags []string `json:"-"`
	// Stored says Build changed the store (a new image or a tag moved):
	// a rebuild of unchanged source leaves nothing new to prune.
	Stored bool `json:"-"`
}

// Store is a local OCI image layout.
type Store struct{ Dir string }

// NewStore returns the store of project directory dir (.ferry/images).
func NewStore(projectDir string) *Store {
	return &Store{Dir: filepath.Join(projectDir, ".ferry", "images")}
}

func (s *Store) layout() (layout.Path, error) {
	if p, err := layout.FromPath(s.Dir); err == nil {
		return p, nil
	}
	p, err := layout.Write(s.Dir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("image layout %s: %w", s.Dir, err)
	}
	return p, nil
}

// BuildOptions tune Build.
type BuildOptions struct {
	// Tag names the digest; "" records no tag.
	Tag string
	// Force moves an existing tag to the new digest.
	Force bool
	// Revision is the source revision annotated on the image; by default
	// `git rev-parse HEAD` in the project directory, "" outside git.
	Revision string
	// Stderr receives the go build's own output; discarded when nil.
	Stderr io.Writer
	// WithCI, when set, is the project with its deploy commands, for a p
	// loaded without them (project.LoadOwn). Build asks for it only when
	// the build tags could depend on them: a CI --set flag can only keep
	// a client in, so tags that keep every client in are already final.
	WithCI func() (*project.Project, error)
}

// Build compiles p's main package and stores it with configs/ as an image.
// Every file it reads or writes in the project goes through a
// confine.Root: a configs/ link that leaves the project, a committed
// .ferry or .ferry/build link, or a service name that is not one path
// element is refused (errors.Is confine.ErrRefused) before the compiler
// runs.
func Build(ctx context.Context, p *project.Project, s *Store, opts BuildOptions) (*Image, error) {
	root, err := confine.Open(p.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	// A fixed output path lets go build see the binary is up to date and
	// skip the link, as a developer's repeated go build does.
	bin, err := buildOutput(root, p.Service)
	if err != nil {
		return nil, err
	}
	// configs/ is read before compiling: a link out of the project fails
	// the build before it costs one.
	var configs []configFile
	if p.Configs != "" {
		if configs, err = readConfigs(root, p.Configs); err != nil {
			return nil, fmt.Errorf("packing %s: %w", p.Configs, err)
		}
	}
	main := p.Main
	if !strings.HasPrefix(main, ".") && !filepath.IsAbs(main) {
		main = "./" + main
	}
	// -buildvcs=false: the VCS stamp flips with unrelated dirty files and
	// would break "same source, same digest"; the revision goes in an
	// annotation instead.
	args := []string{"build", "-trimpath", "-buildvcs=false"}
	mod, pkg := goModule(root, main)
	tags := leanTags(root, mod, p, configs)
	if len(tags) > 0 && opts.WithCI != nil {
		full, err := opts.WithCI()
		if err != nil {
			return nil, err
		}
		tags = leanTags(root, mod, full, configs)
	}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "-o", bin, pkg)...)
	cmd.Dir = filepath.Join(p.Dir, mod)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if opts.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, opts.Stderr)
	}
	// The revision (asked of git) and the warnings are found while the
	// compiler runs: a no-op build should take little longer than go
	// build's own.
	rev := opts.Revision
	var warnings, packed []string
	var runFiles []configFile
	done := make(chan struct{})
	go func() {
		warnings = configSecrets(p.Configs, configs)
		var more []string
		runFiles, packed, more = readRunDirs(root, findRunDirs(root, mod, p.Configs, p.Chart))
		warnings = append(warnings, more...)
		if rev == "" {
			rev = gitRevision(ctx, p.Dir)
		}
		close(done)
	}()
	err = cmd.Run()
	<-done
	if err != nil {
		if hint := moduleHint(root, stderr.String()); hint != "" {
			return nil, fmt.Errorf("go build %s: %s", main, hint)
		}
		return nil, fmt.Errorf("go build %s: %w\n%s", main, err, strings.TrimSpace(stderr.String()))
	}
	for _, f := range runFiles {
		f.name = "/" + f.name
		configs = append(configs, f)
	}
	// Nothing changed since the last build (go build left the binary as
	// it was, configs/ and the revision are the same): the image is the
	// one stored, without reading, packing and hashing the binary again.
	stampFile := bin + ".stamp"
	st, stErr := newStamp(bin, p.Service, configs, rev)
	if stErr == nil {
		if info, img := s.unchanged(stampFile, st); img != nil {
			if info.Stored, err = s.put(img, opts.Tag, opts.Force, true); err != nil {
				return nil, err
			}
			info.Tag, info.Warnings, info.BuildTags, info.Packed = opts.Tag, warnings, tags, packed
			return info, nil
		}
	}
	img, info, err := pack(bin, p.Service, configs, rev)
	if err != nil {
		return nil, err
	}
	if info.Stored, err = s.put(img, opts.Tag, opts.Force, true); err != nil {
		return nil, err
	}
	if stErr == nil {
		st.Image = *info
		st.write(stampFile)
	}
	info.Tag, info.Warnings, info.BuildTags, info.Packed = opts.Tag, warnings, tags, packed
	return info, nil
}

func gitRevision(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Package makes the image of binary bin (installed as /app/<name>) and
// the configs directory (may be ""), annotated with revision.
// configs is read confined to itself: a link that leaves it is refused.
func Package(bin, name, configs, revision string) (v1.Image, *Image, error) {
	var files []configFile
	if configs != "" {
		root, err := confine.Open(configs)
		if err != nil {
			return nil, nil, fmt.Errorf("packaging %s: %w", name, err)
		}
		files, err = readConfigs(root, ".")
		root.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("packaging %s: %w", name, err)
		}
	}
	return pack(bin, name, files, revision)
}

func pack(bin, name string, configs []configFile, revision string) (v1.Image, *Image, error) {
	layerTar, binData, err := layerTar(bin, name, configs)
	if err != nil {
		return nil, nil, fmt.Errorf("packaging %s: %w", name, err)
	}
	binPath := path.Join(WorkDir, name)
	layer := static.NewLayer(layerTar, types.OCIUncompressedLayer)
	// The binary's hash and the layer's are the two long passes over tens
	// of megabytes: run them side by side.
	var binSum string
	done := make(chan struct{})
	go func() {
		sum := sha256.Sum256(binData)
		binSum = "sha256:" + hex.EncodeToString(sum[:])
		close(done)
	}()
	if _, err := layer.Digest(); err != nil {
		return nil, nil, err
	}
	<-done
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "ferry build", Created: v1.Time{Time: time.Unix(0, 0).UTC()}}})
	if err != nil {
		return nil, nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = runtime.GOOS, runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config = v1.Config{
		Entrypoint: []string{binPath},
		WorkingDir: WorkDir,
		Labels:     map[string]string{LabelBinaryDigest: binSum, LabelBinaryPath: binPath},
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, nil, err
	}
	anns := map[string]string{"org.opencontainers.image.title": name}
	if revision != "" {
		anns["org.opencontainers.image.revision"] = revision
	}
	img = mutate.Annotations(img, anns).(v1.Image)
	d, err := img.Digest()
	if err != nil {
		return nil, nil, err
	}
	return img, &Image{Digest: d.String(), BinaryDigest: binSum, BinaryPath: binPath, Revision: revision}, nil
}

// layerTar writes the layer deterministically: sorted entries, fixed
// mtimes, owners and modes, so only content changes the digest.
func layerTar(bin, name string, configs []configFile) (layer, binData []byte, err error) {
	type file struct {
		name string
		src  string
		data []byte
		mode int64
		dir  bool
	}
	files := []file{{name: "app/", dir: true, mode: 0o755}, {name: "app/" + name, src: bin, mode: 0o755}}
	for _, c := range configs {
		n := path.Join("app/configs", c.name)
		if strings.HasPrefix(c.name, "/") {
			n = path.Join("app", c.name)
		}
		if c.dir {
			files = append(files, file{name: n + "/", dir: true, mode: 0o755})
		} else {
			files = append(files, file{name: n, data: c.data, mode: 0o644})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		data := f.data
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			if f.src != "" {
				var err error
				if data, err = os.ReadFile(f.src); err != nil {
					return nil, nil, err
				}
			}
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(data))
			if f.src == bin {
				binData = data
				buf.Grow(len(data) + 64<<10)
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), binData, nil
}

// Put stores img, naming it tag when tag is not "", and records it as the
// last build. A tag that names another digest is refused with
// ErrTagMoved unless force.
func (s *Store) Put(img v1.Image, tag string, force bool) error {
	_, err := s.put(img, tag, force, true)
	return err
}

// put is Put (last: record the last build), saying whether it changed the
// index.
func (s *Store) put(img v1.Image, tag string, force, last bool) (changed bool, err error) {
	lp, err := s.layout()
	if err != nil {
		return false, err
	}
	d, err := img.Digest()
	if err != nil {
		return false, err
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return false, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return false, err
	}
	have := false
	for _, desc := range im.Manifests {
		if desc.Digest == d {
			if tag == "" || desc.Annotations[AnnotationRefName] == tag {
				have = true
			}
		}
		if tag != "" && desc.Annotations[AnnotationRefName] == tag && desc.Digest != d && !force {
			return false, fmt.Errorf("tag %q: %w %s (use --force to move it)", tag, ErrTagMoved, desc.Digest)
		}
	}
	if !have {
		if err := lp.WriteImage(img); err != nil {
			return false, fmt.Errorf("storing image: %w", err)
		}
		if err := s.addToIndex(im, img, tag); err != nil {
			return false, fmt.Errorf("storing image: %w", err)
		}
		changed = true
	}
	if last {
		err = os.WriteFile(filepath.Join(s.Dir, "last-build"), []byte(d.String()+"\n"), 0o644)
	}
	return changed, err
}

// addToIndex records img (under tag, which it takes from any other image)
// in index.json.
func (s *Store) addToIndex(im *v1.IndexManifest, img v1.Image, tag string) error {
	desc, err := partial.Descriptor(img)
	if err != nil {
		return err
	}
	next := *im
	next.Manifests = nil
	for _, m := range im.Manifests {
		if tag != "" && m.Annotations[AnnotationRefName] == tag {
			// A moved tag leaves its old image in the store, untagged:
			// an environment may still run it and roll back to it.
			m.Annotations = maps.Clone(m.Annotations)
			delete(m.Annotations, AnnotationRefName)
		}
		next.Manifests = append(next.Manifests, m)
	}
	if tag != "" {
		desc.Annotations = map[string]string{AnnotationRefName: tag}
	}
	next.Manifests = append(next.Manifests, *desc)
	return s.writeIndex(&next)
}

// Resolve turns ref into a stored image: "" is the last build, a
// "sha256:…" digest (or a unique prefix of one), or a tag.
func (s *Store) Resolve(ref string) (*Image, error) {
	lp, err := layout.FromPath(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w %q: no images built yet (run ferry build)", ErrUnknownArtifact, ref)
	}
	if ref == "" {
		data, err := os.ReadFile(filepath.Join(s.Dir, "last-build"))
		if err != nil {
			return nil, fmt.Errorf("%w: no images built yet (run ferry build)", ErrUnknownArtifact)
		}
		ref = strings.TrimSpace(string(data))
	}
	im, err := indexManifest(lp)
	if err != nil {
		return nil, err
	}
	var found *v1.Descriptor
	for i, desc := range im.Manifests {
		tag := desc.Annotations[AnnotationRefName]
		if tag == ref || desc.Digest.String() == ref || (strings.HasPrefix(ref, "sha256:") && len(ref) >= 12 && strings.HasPrefix(desc.Digest.String(), ref)) {
			found = &im.Manifests[i]
			if tag == ref {
				break
			}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w %q in %s", ErrUnknownArtifact, ref, s.Dir)
	}
	info, err := s.describe(lp, found.Digest)
	if err != nil {
		return nil, err
	}
	info.Tag = s.tagOf(im, found.Digest)
	return info, nil
}

func (s *Store) tagOf(im *v1.IndexManifest, d v1.Hash) string {
	for _, desc := range im.Manifests {
		if desc.Digest == d && desc.Annotations[AnnotationRefName] != "" {
			return desc.Annotations[AnnotationRefName]
		}
	}
	return ""
}

func (s *Store) describe(lp layout.Path, d v1.Hash) (*Image, error) {
	img, err := lp.Image(d)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrUnknownArtifact, d, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", d, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	return &Image{
		Digest:       d.String(),
		BinaryDigest: cf.Config.Labels[LabelBinaryDigest],
		BinaryPath:   cf.Config.Labels[LabelBinaryPath],
		Revision:     m.Annotations["org.opencontainers.image.revision"],
	}, nil
}

// Image returns the stored image with digest d.
func (s *Store) Image(d string) (v1.Image, error) {
	h, err := v1.NewHash(d)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrUnknownArtifact, d, err)
	}
	lp, err := layout.FromPath(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrUnknownArtifact, d, err)
	}
	img, err := lp.Image(h)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrUnknownArtifact, d, err)
	}
	return img, nil
}

// Unpack extracts the image with digest d into dir/<hex> (once; later
// calls reuse it) and returns that root. The executable's hash is checked
// against the image's label.
func (s *Store) Unpack(d, dir string) (string, error) {
	info, err := s.Resolve(d)
	if err != nil {
		return "", err
	}
	root := filepath.Join(dir, strings.TrimPrefix(info.Digest, "sha256:")[:16])
	// dir is under .ferry, where a repository may have committed links:
	// unpacking through one would write the image (an executable) where
	// the link points, and reusing a linked root would run what it holds.
	for _, p := range []string{dir, root} {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", &confine.Error{Op: "unpack", Path: p, Why: "is a symbolic link; ferry unpacks images there and will not follow one: remove it"}
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".ferry-complete")); err == nil {
		// The root's mtime says when it was last used: pruning spares
		// recently used roots (see platform/local).
		now := time.Now()
		_ = os.Chtimes(root, now, now)
		return root, nil
	}
	img, err := s.Image(info.Digest)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".unpack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := untar(rc, tmp); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", info.Digest, err)
	}
	got, err := FileDigest(filepath.Join(tmp, filepath.FromSlash(info.BinaryPath)))
	if err != nil || got != info.BinaryDigest {
		return "", fmt.Errorf("unpacking %s: executable digest %s, image says %s", info.Digest, got, info.BinaryDigest)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".ferry-complete"), nil, 0o644); err != nil {
		return "", err
	}
	// The rename makes a half-unpacked root impossible to mistake for a
	// whole one, even if ferry dies here.
	if err := os.Rename(tmp, root); err != nil {
		if _, statErr := os.Stat(filepath.Join(root, ".ferry-complete")); statErr == nil {
			return root, nil
		}
		return "", err
	}
	return root, nil
}

func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unsafe path %q in layer", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if err := errors.Join(err, f.Close()); err != nil {
				return err
			}
		}
	}
}

// indexManifest reads the layout's index.json.
func indexManifest(lp layout.Path) (*v1.IndexManifest, error) {
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, err
	}
	return idx.IndexManifest()
}

// FileDigest returns "sha256:<hex>" of the file at p.
func FileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// FindBinary returns the stored image whose executable has digest bd.
func (s *Store) FindBinary(bd string) (*Image, error) {
	lp, err := layout.FromPath(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w with executable %s", ErrUnknownArtifact, bd)
	}
	im, err := indexManifest(lp)
	if err != nil {
		return nil, err
	}
	for _, desc := range slices.Backward(im.Manifests) {
		info, err := s.describe(lp, desc.Digest)
		if err == nil && info.BinaryDigest == bd {
			info.Tag = s.tagOf(im, desc.Digest)
			return info, nil
		}
	}
	return nil, fmt.Errorf("%w with executable %s", ErrUnknownArtifact, bd)
}
