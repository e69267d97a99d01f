package project

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/ferrydev/ferry/internal/confine"
)

// A repository is untrusted input: a go.mod linked to ~/.ssh/id_rsa, a
// FIFO ferry.yaml, a charts/ entry linked to /etc. Everything discovery
// looks at goes through internal/confine, by a name relative to the
// directory that holds it (the project, or the repository root above
// it): a path that leaves that directory, by ".." or by a symbolic link,
// is refused, and so is a FIFO (without blocking) or a file over maxPeek.
// Nothing here calls os.ReadFile, os.Stat or os.ReadDir on the
// repository's paths.

// maxPeek bounds what discovery reads of a file to judge it.
const maxPeek = 1 << 20

// held are the directories loads keep open while they run (a load
// stats its project's files a few hundred times: one root, not one per
// stat), each with how many hold it.
var (
	heldMu sync.Mutex
	held   = map[string]*heldRoot{}
)

type heldRoot struct {
	r *confine.Root
	n int
}

// hold opens dir, or shares the root another holder opened, until
// release: statIn, readIn and readDirIn under dir use it meanwhile.
func hold(dir string) (r *confine.Root, release func(), err error) {
	heldMu.Lock()
	defer heldMu.Unlock()
	h := held[dir]
	if h == nil {
		if r, err = confine.Open(dir); err != nil {
			return nil, nil, err
		}
		h = &heldRoot{r: r}
		held[dir] = h
	}
	h.n++
	return h.r, func() {
		heldMu.Lock()
		defer heldMu.Unlock()
		if h.n--; h.n == 0 {
			delete(held, dir)
			h.r.Close()
		}
	}, nil
}

// rootOf is base's root: a held one (shared until release) or one of
// its own.
func rootOf(base string) (*confine.Root, func(), error) {
	heldMu.Lock()
	_, ok := held[base]
	heldMu.Unlock()
	if ok {
		return hold(base)
	}
	r, err := confine.Open(base)
	if err != nil {
		return nil, nil, err
	}
	return r, func() { r.Close() }, nil
}

// statIn stats name under base, following links that stay inside base
// (but not a final one, with lstat).
func statIn(base, name string, lstat bool) (fs.FileInfo, error) {
	r, release, err := rootOf(base)
	if err != nil {
		return nil, err
	}
	defer release()
	if lstat {
		return r.Lstat(filepath.ToSlash(name))
	}
	return r.Stat(filepath.ToSlash(name))
}

// under is abs relative to base, for a path built from base (a CI file's
// directory, a working directory) that must still be inside it.
func under(base, abs string) string {
	rel, err := filepath.Rel(base, abs)
	if err != nil {
		return abs // absolute: refused as such
	}
	return rel
}

// isFileIn reports whether name under base is a regular file reached
// without leaving base.
func isFileIn(base, name string) bool { return regular(statIn(base, name, false)) }

// exists reports whether a Stat found anything.
func exists(_ fs.FileInfo, err error) bool { return err == nil }

// regular reports whether a Stat found a regular file.
func regular(st fs.FileInfo, err error) bool { return err == nil && st.Mode().IsRegular() }

// isDirIn reports whether name under base is a directory reached without
// leaving base.
func isDirIn(base, name string) bool {
	st, err := statIn(base, name, false)
	return err == nil && st.IsDir()
}

// readDirIn lists name under base, sorted by name.
func readDirIn(base, name string) ([]fs.DirEntry, error) {
	r, release, err := rootOf(base)
	if err != nil {
		return nil, err
	}
	defer release()
	return r.ReadDir(filepath.ToSlash(name))
}

// readIn reads name under base: a regular file of at most maxPeek bytes.
// A FIFO, a device or a link out of base is refused without blocking; a
// larger file is not read (the values rules refuse it later, saying so).
func readIn(base, name string) ([]byte, error) {
	r, release, err := rootOf(base)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := r.Open(filepath.ToSlash(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() > maxPeek {
		return nil, fmt.Errorf("%s: not read while discovering (over %d bytes)", name, maxPeek)
	}
	return io.ReadAll(io.LimitReader(f, maxPeek)) // a directory fails here
}

// readRegular reads a file of the repository that discovery only peeks
// at, confined to the file's own directory.
func readRegular(file string) ([]byte, error) {
	return readIn(filepath.Dir(file), filepath.Base(file))
}

// noteRefused warns that discovery left out file, which confine refused
// (a link out of the project, a FIFO): it is treated as missing, as
// before, but never silently. It reports whether err was such a refusal.
func (p *Project) noteRefused(file string, err error) bool {
	if !errors.Is(err, confine.ErrRefused) {
		return false
	}
	p.Warnings = append(p.Warnings, file+": ignored: "+err.Error())
	return true
}

// gitRoot reports whether dir holds .git (a directory, or a worktree's
// file): the root of the repository the project is in. It looks at dir
// itself, which may be above the project on purpose (a chart checked
// with -C deploy/helm has its go.mod and workflows at the root); Lstat
// reads nothing and follows no link.
func gitRoot(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// repoTop is the directory a CI file's paths are confined to: the
// repository root when the project at dir lies inside one (at most four
// levels up), else dir. CI names files from the root (-f
// services/orders/values-prod.yaml), which may be above the project.
func repoTop(dir string) string {
	if top, ok := repoTops.Load(dir); ok {
		return top.(string)
	}
	r := ciRoots(dir)
	repoTops.Store(dir, r[len(r)-1])
	return r[len(r)-1]
}

// repoTops remembers repoTop by project directory: every path a CI file
// names asks for it, and a directory's repository root does not move
// while ferry runs.
var repoTops sync.Map

// statInRepo is statIn for rel, a path relative to the project at dir
// as CI's paths are made, confined to the repository (it may climb to
// the root: -f services/orders/values-prod.yaml from there).
func statInRepo(dir, rel string, lstat bool) (fs.FileInfo, error) {
	top := repoTop(dir)
	return statIn(top, under(top, filepath.Join(dir, rel)), lstat)
}

// walkDirs calls fn for each directory under root, in lexical order,
// with its slash-separated path relative to root ("." for root itself);
// fn returns fs.SkipDir not to enter one. As with filepath.WalkDir, a
// directory reached through a symbolic link is not entered (so none
// leading out of root is), nor one that cannot be read.
func walkDirs(root string, fn func(r *confine.Root, rel string) error) error {
	r, err := confine.Open(root)
	if err != nil {
		return err
	}
	defer r.Close()
	var walk func(rel string) error
	walk = func(rel string) error {
		if err := fn(r, rel); err != nil {
			return err
		}
		entries, _ := r.Entries(rel)
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if err := walk(path.Join(rel, e.Name())); err != nil && err != fs.SkipDir {
				return err
			}
		}
		return nil
	}
	if err := walk("."); err != fs.SkipDir {
		return err
	}
	return nil
}

// present reports whether a Stat of a Chart.yaml or a ferry.yaml makes
// its directory a chart or a project: a regular file, or a link out of
// the repository that loading it refuses, naming it (skipping it would
// hide the refusal).
func present(st fs.FileInfo, err error) bool {
	return regular(st, err) || errors.Is(err, confine.ErrOutside)
}

// globProject is globIn of pat (slash-separated, relative to the project
// directory dir) through the load's confined root: nothing out of the
// repository is listed, and a FIFO is never opened.
func globProject(dir, pat string) []string {
	r, release, err := rootOf(dir)
	if err != nil {
		return nil
	}
	defer release()
	return globIn(r.FS(), "", pat)
}
