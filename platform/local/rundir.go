package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
)

// A repository may commit .ferry/: a .ferry/run link would send the
// unpacked images (executables) and the process records elsewhere, a
// log link would have a service append its output to a file the
// repository chose and ferry print that file as the failed revision's
// log tail, a record names the pid ferry signals. So every file the local
// target reads or writes under .ferry/run is reached through a
// confine.Root of .ferry (see confine.Root.Ferry), and the directories
// and files it makes there must be its own: not links, even links that
// stay inside.

// runFS is .ferry/run, opened through confine.
type runFS struct {
	project, ferry *confine.Root
}

// openRun opens .ferry/run, making it (0700) when create is set. Without
// create, a project with no .ferry/run yet gives a nil *runFS and no
// error: a read command has no revision to find and writes nothing.
func (l *Local) openRun(create bool) (*runFS, error) {
	p, err := confine.Open(l.ProjectDir)
	if err != nil {
		return nil, err
	}
	if !create {
		if _, err := p.Lstat(path.Join(confine.StateDir, "run")); errors.Is(err, fs.ErrNotExist) {
			p.Close()
			return nil, nil
		}
	}
	fr, err := p.Ferry()
	if err != nil {
		p.Close()
		return nil, err
	}
	r := &runFS{project: p, ferry: fr}
	if err := r.ownDir("run", create); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close releases the directories.
func (r *runFS) Close() {
	if r != nil {
		r.ferry.Close()
		r.project.Close()
	}
}

// path is the absolute path of name (relative to .ferry), for what
// takes a path: the process's working directory, the unpacker.
func (r *runFS) path(name string) string {
	return filepath.Join(r.ferry.Dir(), filepath.FromSlash(name))
}

// ownDirs makes each of names under .ferry (0700) and refuses one that
// is a link or not a directory: ferry writes beneath them by path.
func ownDirs(fr *confine.Root, names ...string) error {
	for _, n := range names {
		if err := fr.MkdirAll(n, 0o700); err != nil {
			return inFerry(err)
		}
		fi, err := fr.Lstat(n)
		if err != nil {
			return inFerry(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
			return &confine.Error{Op: "mkdir", Path: path.Join(confine.StateDir, n), Why: "is not a directory of its own (a link or a file); ferry keeps its processes and data there and will not follow one (a repository should not commit .ferry/): remove it"}
		}
	}
	return nil
}

// ownDir checks the directory name (relative to .ferry) and each of its
// parents up to .ferry: each must be a directory of its own. With
// create, missing ones are made.
func (r *runFS) ownDir(name string, create bool) error {
	var chain []string
	for p := name; p != "." && p != ""; p = path.Dir(p) {
		chain = append([]string{p}, chain...)
	}
	if create {
		return ownDirs(r.ferry, chain...)
	}
	for _, n := range chain {
		fi, err := r.ferry.Lstat(n)
		if err != nil {
			return inFerry(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
			return &confine.Error{Op: "open", Path: path.Join(confine.StateDir, n), Why: "is not a directory of its own (a link or a file); ferry will not follow one (a repository should not commit .ferry/): remove it"}
		}
	}
	return nil
}

// noLink refuses name (relative to .ferry) when it exists as anything
// but a regular file: ferry would write or read through it.
func (r *runFS) noLink(name string) error {
	fi, err := r.ferry.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return inFerry(err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(r.path(name))
		return &confine.Error{Op: "open", Path: path.Join(confine.StateDir, name), Why: fmt.Sprintf("is a symbolic link (to %s); ferry will not follow one (a repository should not commit .ferry/): remove it", target)}
	case !fi.Mode().IsRegular():
		return &confine.Error{Op: "open", Path: path.Join(confine.StateDir, name), Why: fmt.Sprintf("is not a regular file (%s): remove it", fi.Mode().Type())}
	}
	return nil
}

// inFerry names a refusal by its path from the project directory.
func inFerry(err error) error {
	var ce *confine.Error
	if errors.As(err, &ce) && !strings.HasPrefix(ce.Path, confine.StateDir+"/") {
		ce.Path = path.Join(confine.StateDir, ce.Path)
	}
	return err
}

// envDir is run/<env>, after checking env is a name.
func envDir(env string) (string, error) {
	if err := project.ValidName(env); err != nil {
		return "", &confine.Error{Op: "open", Path: path.Join(confine.StateDir, "run", env), Why: err.Error()}
	}
	return path.Join("run", env), nil
}

// revName is run/<env>/r<rev>.
func revName(env string, rev int) (string, error) {
	d, err := envDir(env)
	if err != nil {
		return "", err
	}
	return path.Join(d, "r"+strconv.Itoa(rev)), nil
}

// usable refuses, before a deploy touches anything, what start and
// linkWorkDir would refuse later: a committed link among the revision's
// directory, its log and record, or the working directory. An old
// revision that had to stop first is then never stopped for nothing.
func (r *runFS) usable(env string, rev int) error {
	dir, err := revName(env, rev)
	if err != nil {
		return err
	}
	if err := r.ownDir(dir, true); err != nil {
		return err
	}
	if err := r.ownDir(path.Join(path.Dir(dir), "work"), true); err != nil {
		return err
	}
	for _, f := range []string{"log", "process.json"} {
		if err := r.noLink(path.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}

// openLog opens the revision's log for the process to append to,
// readable by the user only (the service's output may carry secrets).
func (r *runFS) openLog(name string) (*os.File, error) {
	if err := r.noLink(name); err != nil {
		return nil, err
	}
	f, err := r.ferry.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, inFerry(err)
	}
	_ = f.Chmod(0o600) // a log an older ferry made world-readable
	return f, nil
}

// maxTail is how much of a log's end tail reads.
const maxTail = 64 << 10

// tail returns the last n lines of the file name (relative to .ferry):
// a regular file, never a link.
func (r *runFS) tail(name string, n int) ([]string, error) {
	if err := r.noLink(name); err != nil {
		return nil, err
	}
	f, err := r.ferry.Open(name)
	if err != nil {
		return nil, inFerry(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxTail {
		_, _ = f.Seek(-maxTail, io.SeekEnd)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTail))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return nil, nil
	}
	return lines, nil
}

// running returns the environment's live processes by revision.
func (l *Local) running(env string) ([]record, error) {
	r, err := l.openRun(false)
	if err != nil || r == nil {
		return nil, err
	}
	defer r.Close()
	return r.running(env)
}

// running reads run/<env>/r*/process.json and keeps the records of
// processes that still run. A record without the process's start tick
// is not one ferry wrote (start records it): its pid could be anyone's,
// and ferry signals the pids it finds here.
func (r *runFS) running(env string) ([]record, error) {
	d, err := envDir(env)
	if err != nil {
		return nil, err
	}
	if _, err := r.ferry.Lstat(d); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err := r.ownDir(d, false); err != nil {
		return nil, err
	}
	entries, err := r.ferry.ReadDir(d)
	if err != nil {
		return nil, inFerry(err)
	}
	var out []record
	for _, e := range entries {
		rev, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "r"))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "r") || err != nil {
			continue
		}
		name := path.Join(d, e.Name(), "process.json")
		if err := r.noLink(name); err != nil {
			return nil, err
		}
		var rec record
		data, err := r.ferry.ReadFile(name)
		if err != nil || json.Unmarshal(data, &rec) != nil || rec.Revision != rev || rec.StartTick == 0 {
			continue
		}
		if alive(rec.PID, rec.StartTick) {
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

// writeRecord writes dir/process.json atomically, readable by the user
// only. The temporary file is made afresh (O_EXCL): a link planted under
// its name is removed, not written through.
func (r *runFS) writeRecord(dir string, rec record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := path.Join(dir, "process.json.tmp")
	if err := r.ferry.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return inFerry(err)
	}
	f, err := r.ferry.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return inFerry(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return inFerry(r.ferry.Rename(tmp, path.Join(dir, "process.json")))
}

// linkWorkDir makes run/<env>/work mirror the image's working directory
// src with a symbolic link per entry (configs/, the binary), pointing at
// the root being deployed, and returns its path. Files the service
// itself wrote there are left alone.
func (r *runFS) linkWorkDir(env, src string) (string, error) {
	d, err := envDir(env)
	if err != nil {
		return "", err
	}
	name := path.Join(d, "work")
	if err := r.ownDir(name, true); err != nil {
		return "", err
	}
	work := r.path(name)
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		link := filepath.Join(work, e.Name())
		if fi, err := os.Lstat(link); err == nil {
			if fi.Mode()&os.ModeSymlink == 0 {
				return "", fmt.Errorf("%s is in the way of the image's %s", link, e.Name())
			}
			if err := os.Remove(link); err != nil {
				return "", err
			}
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), link); err != nil {
			return "", err
		}
	}
	return work, nil
}

// Tail returns the last n lines of revision rev's log in env; a log
// ferry will not read (a link) gives one line saying why.
func (l *Local) Tail(env string, rev, n int) []string {
	lines, err := l.tail(env, rev, n)
	if err != nil {
		return []string{"(log not read: " + err.Error() + ")"}
	}
	return lines
}

func (l *Local) tail(env string, rev, n int) ([]string, error) {
	r, err := l.openRun(false)
	if err != nil || r == nil {
		return nil, err
	}
	defer r.Close()
	d, err := revName(env, rev)
	if err != nil {
		return nil, err
	}
	if err := r.ownDir(d, false); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	lines, err := r.tail(path.Join(d, "log"), n)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return lines, err
}

// pruneAfter is how long an unpacked image root no process runs from is
// kept: a rollback soon after a promotion finds it still there.
const pruneAfter = time.Hour

// PruneRoots removes the unpacked image roots that no live process of any
// environment runs from and that were not used for pruneAfter. Roots are a
// cache: a later deploy of the same digest unpacks it again. run/ and
// run/roots must be directories of ferry's own: removal by path below a
// committed link would remove what it points to.
func (l *Local) PruneRoots() error {
	r, err := l.openRun(false)
	if err != nil || r == nil {
		return err
	}
	defer r.Close()
	envs, err := r.ferry.ReadDir("run")
	if err != nil {
		return inFerry(err)
	}
	inUse := map[string]bool{}
	for _, e := range envs {
		if e.IsDir() && e.Name() != "roots" && project.ValidName(e.Name()) == nil {
			recs, err := r.running(e.Name())
			if err != nil {
				return err
			}
			for _, rec := range recs {
				inUse[filepath.Clean(rec.Root)] = true
			}
		}
	}
	if err := r.ownDir("run/roots", false); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	roots, _ := r.ferry.ReadDir("run/roots")
	var errs []error
	for _, e := range roots {
		p := r.path(path.Join("run/roots", e.Name()))
		info, err := e.Info()
		if err != nil || !e.IsDir() || inUse[p] || time.Since(info.ModTime()) < pruneAfter {
			continue
		}
		errs = append(errs, os.RemoveAll(p))
	}
	return errors.Join(errs...)
}
