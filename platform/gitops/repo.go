package gitops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/ferrydev/ferry/internal/sentinel"
)

// Repo is one branch of a git repository that holds environments'
// rendered manifests, each in its own directory. Every operation works
// on a fresh in-memory clone, so nothing on disk goes stale and two
// ferries never share a working tree.
type Repo struct {
	// URL is anything go-git clones: https://…, file:///…, a path.
	URL    string
	Branch string
	// Auth authenticates to URL; nil for none.
	Auth transport.AuthMethod

	// beforePush, when set, runs between commit and push (tests: another
	// ferry pushes in between).
	beforePush func()
}

// Change is a directory's new content and the commit that writes it.
type Change struct {
	Dir     string
	Files   Files
	Message string
	Author  object.Signature
	// SignKey, when set, signs the commit.
	SignKey *openpgp.Entity
}

// Commit is what Write did.
type Commit struct {
	// Hash is the commit that holds the change: a new one, or the
	// branch's head when nothing changed.
	Hash string
	// Tree is the hash of the environment's directory in that commit:
	// the same files give the same hash.
	Tree string
	// Changed says a commit was made and pushed.
	Changed bool
	// Rebased names the commit of another environment ferry rebased
	// over after its first push was rejected.
	Rebased string
}

// ConflictError is a push rejected because another commit changed the
// same environment's directory since ferry read the branch.
type ConflictError struct {
	Dir    string
	Commit string
	Author string
	Msg    string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s was changed meanwhile by commit %s (%s: %q); not overwriting it: run the promotion again to build on it",
		e.Dir, short(e.Commit), e.Author, firstLine(e.Msg))
}

func (r *Repo) ref() plumbing.ReferenceName { return plumbing.NewBranchReferenceName(r.Branch) }

// clone returns an in-memory clone of the branch, or a new repository
// with no commit when the remote is empty or lacks the branch.
func (r *Repo) clone(ctx context.Context) (*git.Repository, error) {
	repo, err := git.CloneContext(ctx, memory.NewStorage(), memfs.New(), &git.CloneOptions{
		URL: r.URL, Auth: r.Auth, ReferenceName: r.ref(), SingleBranch: true, Tags: git.NoTags,
	})
	if err == nil {
		return repo, nil
	}
	if !errors.Is(err, transport.ErrEmptyRemoteRepository) && !errors.Is(err, git.NoMatchingRefSpecError{}) {
		return nil, fmt.Errorf("clone %s branch %s: %w", r.URL, r.Branch, err)
	}
	repo, err = git.Init(memory.NewStorage(), memfs.New())
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.URL}}); err != nil {
		return nil, err
	}
	return repo, repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, r.ref()))
}

// Write commits ch to the branch and pushes it. A change that leaves the
// directory's manifests as they are (ferry.json aside) makes no commit.
// When the push is rejected because the branch moved, Write rebases once
// if the commits in between touched only other directories, and
// otherwise returns a *ConflictError naming the commit.
func (r *Repo) Write(ctx context.Context, ch Change) (*Commit, error) {
	repo, err := r.clone(ctx)
	if err != nil {
		return nil, err
	}
	parent, _ := head(repo)
	c, err := commitChange(repo, ch)
	if err != nil || !c.Changed {
		return c, err
	}
	if r.beforePush != nil {
		r.beforePush()
	}
	perr := r.push(ctx, repo)
	if perr == nil {
		return c, nil
	}
	// The branch moved: see who moved it.
	if err := repo.FetchContext(ctx, &git.FetchOptions{Auth: r.Auth, RefSpecs: []config.RefSpec{r.refSpec("refs/remotes/origin/")}, Force: true}); err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("push %s: %w (and fetching it again failed: %w)", r.URL, perr, err)
	}
	remote, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", r.Branch), true)
	if err != nil || remote.Hash() == parent {
		return nil, fmt.Errorf("push %s branch %s: %w", r.URL, r.Branch, perr)
	}
	other, err := touching(repo, remote.Hash(), parent, ch.Dir)
	if err != nil {
		return nil, err
	}
	if other != nil {
		return nil, &ConflictError{Dir: ch.Dir, Commit: other.Hash.String(), Author: other.Author.Name, Msg: other.Message}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: remote.Hash(), Mode: git.HardReset}); err != nil {
		return nil, fmt.Errorf("rebase onto %s: %w", short(remote.Hash().String()), err)
	}
	if c, err = commitChange(repo, ch); err != nil || !c.Changed {
		return c, err
	}
	c.Rebased = remote.Hash().String()
	if err := r.push(ctx, repo); err != nil {
		return nil, fmt.Errorf("push %s branch %s after rebasing onto %s: %w", r.URL, r.Branch, short(c.Rebased), err)
	}
	return c, nil
}

func (r *Repo) refSpec(dst string) config.RefSpec {
	return config.RefSpec(fmt.Sprintf("+refs/heads/%s:%s%s", r.Branch, dst, r.Branch))
}

func (r *Repo) push(ctx context.Context, repo *git.Repository) error {
	spec := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", r.Branch, r.Branch))
	err := repo.PushContext(ctx, &git.PushOptions{Auth: r.Auth, RefSpecs: []config.RefSpec{spec}})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

func head(repo *git.Repository) (plumbing.Hash, error) {
	h, err := repo.Head()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h.Hash(), nil
}

// touching returns the first commit from tip back to (not including)
// base that changed something under dir, nil when none did.
func touching(repo *git.Repository, tip, base plumbing.Hash, dir string) (*object.Commit, error) {
	it, err := repo.Log(&git.LogOptions{From: tip})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var found *object.Commit
	err = it.ForEach(func(c *object.Commit) error {
		if c.Hash == base {
			return errStop
		}
		mine, err := changes(c, dir)
		if err != nil {
			return err
		}
		if mine {
			found = c
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return found, nil
}

var errStop error = &sentinel.Error{Text: "stop"}

// changes reports whether commit c changed dir's content compared with
// its first parent (or created it).
func changes(c *object.Commit, dir string) (bool, error) {
	now, err := subtree(c, dir)
	if err != nil {
		return false, err
	}
	var before plumbing.Hash
	if c.NumParents() > 0 {
		p, err := c.Parent(0)
		if err != nil {
			return false, err
		}
		if before, err = subtree(p, dir); err != nil {
			return false, err
		}
	}
	return now != before, nil
}

// subtree returns the hash of dir's tree in c, ZeroHash when c has no
// such directory.
func subtree(c *object.Commit, dir string) (plumbing.Hash, error) {
	t, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	st, err := t.Tree(dir)
	if errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return st.Hash, nil
}

// commitChange replaces ch.Dir in the worktree with ch.Files and commits
// it, unless only ferry.json (or nothing) would change.
func commitChange(repo *git.Repository, ch Change) (*Commit, error) {
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := writeDir(wt.Filesystem, ch.Dir, ch.Files); err != nil {
		return nil, err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return nil, fmt.Errorf("git add: %w", err)
	}
	st, err := wt.Status()
	if err != nil {
		return nil, err
	}
	changed := false
	for p, s := range st {
		if s.Staging != git.Unmodified && p != path.Join(ch.Dir, MetaFile) {
			changed = true
		}
	}
	if !changed {
		h, err := head(repo)
		if err != nil && !st.IsClean() {
			changed = true // a first commit that writes only ferry.json
		} else if err != nil {
			return nil, fmt.Errorf("nothing to commit to an empty branch")
		} else {
			if err := wt.Reset(&git.ResetOptions{Commit: h, Mode: git.HardReset}); err != nil {
				return nil, err
			}
			return describe(repo, h, ch.Dir, false)
		}
	}
	sig := ch.Author
	if sig.When.IsZero() {
		sig.When = time.Now()
	}
	h, err := wt.Commit(ch.Message, &git.CommitOptions{Author: &sig, Committer: &sig, SignKey: ch.SignKey})
	if err != nil {
		return nil, fmt.Errorf("git commit: %w", err)
	}
	return describe(repo, h, ch.Dir, true)
}

func describe(repo *git.Repository, h plumbing.Hash, dir string, changed bool) (*Commit, error) {
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, err
	}
	t, err := subtree(c, dir)
	if err != nil {
		return nil, err
	}
	return &Commit{Hash: h.String(), Tree: t.String(), Changed: changed}, nil
}

func writeDir(fs billy.Filesystem, dir string, files Files) error {
	if err := util.RemoveAll(fs, dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	for _, n := range files.Names() {
		if err := util.WriteFile(fs, path.Join(dir, n), files[n], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path.Join(dir, n), err)
		}
	}
	return nil
}

// Entry is one commit of an environment's directory, newest first in a
// log.
type Entry struct {
	Commit string
	Author string
	When   time.Time
	Msg    string
	// Meta is the commit's ferry.json; nil when it has none.
	Meta *Meta
	// Tree is the directory's tree hash.
	Tree string
}

// Log returns the commits that changed dir, newest first, at most max
// (0: all).
func (r *Repo) Log(ctx context.Context, dir string, max int) ([]Entry, error) {
	repo, err := r.clone(ctx)
	if err != nil {
		return nil, err
	}
	tip, err := head(repo)
	if err != nil {
		return nil, nil // an empty branch has no history
	}
	it, err := repo.Log(&git.LogOptions{From: tip})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Entry
	err = it.ForEach(func(c *object.Commit) error {
		mine, err := changes(c, dir)
		if err != nil || !mine {
			return err
		}
		e := Entry{Commit: c.Hash.String(), Author: c.Author.Name, When: c.Author.When, Msg: c.Message}
		if t, err := subtree(c, dir); err == nil {
			e.Tree = t.String()
		}
		e.Meta = readMeta(c, dir)
		out = append(out, e)
		if max > 0 && len(out) >= max {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return out, nil
}

// Files returns dir's files in commit hash.
func (r *Repo) Files(ctx context.Context, hash, dir string) (Files, error) {
	repo, err := r.clone(ctx)
	if err != nil {
		return nil, err
	}
	c, err := repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", short(hash), err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, err
	}
	st, err := t.Tree(dir)
	if err != nil {
		return nil, fmt.Errorf("commit %s has no %s: %w", short(hash), dir, err)
	}
	out := Files{}
	err = st.Files().ForEach(func(f *object.File) error {
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		b, err := io.ReadAll(rd)
		out[f.Name] = b
		return err
	})
	return out, err
}

func readMeta(c *object.Commit, dir string) *Meta {
	f, err := c.File(path.Join(dir, MetaFile))
	if err != nil {
		return nil
	}
	s, err := f.Contents()
	if err != nil {
		return nil
	}
	var m Meta
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return &m
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
