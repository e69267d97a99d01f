package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
)

// A repository someone asks ferry to build may commit .ferry/ or plant
// symbolic links in configs/: this file is where build, gc and pull reach
// the project's files, through a confine.Root, so that neither the image
// (configs/) nor the compiler's output (.ferry/build) nor the store
// (.ferry/images) can be led out of the project.

// OpenStore opens the image store of the project root, .ferry/images,
// creating .ferry (0700, see confine.Root.Ferry) and the store's
// directory. A symbolic link anywhere in the store is refused: ferry
// writes none there, and the OCI layout code writes through paths, so
// only a tree without links is one whose writes stay where confine
// vouched.
func OpenStore(root *confine.Root) (*Store, error) {
	fr, err := root.Ferry()
	if err != nil {
		return nil, err
	}
	defer fr.Close()
	if err := realDir(fr, "images"); err != nil {
		return nil, err
	}
	err = fs.WalkDir(fr.FS(), "images", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return linkRefused(fr, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{Dir: filepath.Join(fr.Dir(), "images")}, nil
}

// realDir makes dir under .ferry (0755) and refuses it unless it is a
// directory of its own, not a link: even a link that stays inside .ferry
// is one ferry never made.
func realDir(fr *confine.Root, dir string) error {
	if err := fr.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", path.Join(confine.StateDir, dir), err)
	}
	fi, err := fr.Lstat(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path.Join(confine.StateDir, dir), err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return linkRefused(fr, dir)
	}
	if !fi.IsDir() {
		return &confine.Error{Op: "open", Path: path.Join(confine.StateDir, dir), Why: "is not a directory: remove it"}
	}
	return nil
}

// noLink refuses name under .ferry when it exists as anything but a
// regular file: the compiler and the stamp would write through it.
func noLink(fr *confine.Root, name string) error {
	fi, err := fr.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return linkRefused(fr, name)
	case !fi.Mode().IsRegular():
		return &confine.Error{Op: "write", Path: path.Join(confine.StateDir, name), Why: fmt.Sprintf("is not a regular file (%s): remove it", fi.Mode().Type())}
	}
	return nil
}

func linkRefused(fr *confine.Root, name string) error {
	target := "elsewhere"
	if t, err := filepath.EvalSymlinks(filepath.Join(fr.Dir(), filepath.FromSlash(name))); err == nil {
		target = t
	}
	return &confine.Error{Op: "write", Path: path.Join(confine.StateDir, name), Why: fmt.Sprintf("is a symbolic link (to %s); ferry writes builds and images there and will not follow one (a repository should not commit .ferry/): remove it", target)}
}

// buildOutput returns the path go build is to write the service's binary
// to, .ferry/build/<service>, after checking every step of it with
// confine: the service's name is one path element, .ferry and
// .ferry/build are directories of their own, and neither the binary nor
// its stamp is a link. The compiler writes by path, so this is the path
// confine vouched for.
func buildOutput(root *confine.Root, service string) (string, error) {
	if err := project.ValidServiceName(service); err != nil {
		return "", &confine.Error{Op: "build", Path: path.Join(confine.StateDir, "build", service), Why: err.Error()}
	}
	fr, err := root.Ferry()
	if err != nil {
		return "", err
	}
	defer fr.Close()
	if err := realDir(fr, "build"); err != nil {
		return "", err
	}
	for _, n := range []string{service, service + ".stamp"} {
		if err := noLink(fr, path.Join("build", n)); err != nil {
			return "", err
		}
	}
	return filepath.Join(fr.Dir(), "build", service), nil
}

// configFile is one entry of the configs/ tree packed into the image.
type configFile struct {
	// name is slash-separated, relative to configs/; one starting with
	// "/" is relative to WorkDir instead (a directory the code reads at
	// run time, see findRunDirs).
	name string
	dir  bool
	data []byte
}

// readConfigs reads the tree dir of root, in lexical order: links that
// stay in the project are followed, one that leaves refuses the build
// naming it (it would pack a file from outside into the image).
func readConfigs(root *confine.Root, dir string) ([]configFile, error) {
	var out []configFile
	base := path.Clean(filepath.ToSlash(dir))
	err := root.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, base), "/")
		if base == "." {
			rel = p
		}
		if d.IsDir() {
			out = append(out, configFile{name: rel, dir: true})
			return nil
		}
		if !d.Type().IsRegular() {
			return &confine.Error{Op: "read", Path: p, Why: fmt.Sprintf("is not a regular file (%s)", d.Type())}
		}
		data, err := root.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, configFile{name: rel, data: data})
		return nil
	})
	return out, err
}

// configSecrets returns one warning per key of a .env file in configs/
// whose name or value looks like a secret, naming file:line and the key,
// never the value: configs/ is packed into the image, where anyone who
// can pull it reads it.
func configSecrets(dir string, files []configFile) []string {
	var out []string
	for _, f := range files {
		if f.dir || !isEnvFile(f.name) {
			continue
		}
		name := path.Join(filepath.ToSlash(dir), f.name)
		vars, err := envfile.Parse(name, f.data)
		if err != nil {
			continue // GoFr would refuse it too; not build's to report
		}
		for _, v := range vars {
			if secret.Is(v.Key, v.Value) {
				out = append(out, fmt.Sprintf("%s: %s looks like a secret and is packed into the image, where anyone who can pull it reads it: move it to a Kubernetes Secret or a secrets file", v.Source, secret.PrintableLine(v.Key)))
			}
		}
	}
	return out
}

// isEnvFile: GoFr reads configs/.env and configs/.<APP_ENV>.env.
func isEnvFile(name string) bool {
	b := path.Base(name)
	return b == ".env" || strings.HasSuffix(b, ".env")
}
