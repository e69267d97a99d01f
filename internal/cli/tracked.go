package cli

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/ferrydev/ferry/internal/confine"
)

// refuseTrackedState refuses a project whose .ferry/ git tracks: ferry's
// state — locks, the store, images, the serve token — must be ferry's
// own, never what a repository put there (a committed lock that is a
// link, a token everyone knows). Outside a git work tree, or with no
// .ferry yet, there is nothing to refuse. go-git is in the binary
// already (platform/gitops), and reading the index needs no git
// installed.
func (g *globalOptions) refuseTrackedState(dir string) error {
	if _, err := os.Lstat(filepath.Join(dir, confine.StateDir)); err != nil {
		return nil // nothing checked out there: ferry makes its own
	}
	file, err := trackedState(dir)
	if err != nil || file == "" {
		// A repository go-git cannot read is not ferry's to judge; the
		// confined .ferry checks (link, owner, mode) still apply.
		return nil
	}
	rm := "git rm -r --cached " + confine.StateDir
	if g.Dir != "." && g.Dir != "" {
		rm = "git -C " + g.Dir + " rm -r --cached " + confine.StateDir
	}
	return usageError(fmt.Errorf("%s is tracked by git (%s): ferry's state must never come from the repository; untrack it with %q and add %s/ to .gitignore",
		confine.StateDir, file, rm, confine.StateDir))
}

// trackedState returns a file of project dir's .ferry that the index of
// the git work tree holding dir tracks, "" when none (or no work tree).
func trackedState(dir string) (string, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", nil // a bare repository has no work tree to check out into
	}
	top, err := filepath.EvalSymlinks(wt.Filesystem.Root())
	if err != nil {
		return "", err
	}
	abs, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil {
		return "", err
	}
	state := filepath.ToSlash(filepath.Join(rel, confine.StateDir))
	if !mayTrack(repo, state) {
		return "", nil
	}
	idx, err := repo.Storer.Index()
	if err != nil {
		return "", err
	}
	for _, e := range idx.Entries {
		if e.Name == state || strings.HasPrefix(e.Name, state+"/") {
			return strings.TrimPrefix(e.Name, filepath.ToSlash(rel)+"/"), nil
		}
	}
	return "", nil
}

// mayTrack says whether the index may hold a path starting with name.
// Index versions 2 and 3 store every path whole, so an index file without
// name's bytes holds none; that scan costs a fraction of decoding (and
// checksumming) every entry of a large repository's index, which every
// build and state command would pay. Version 4 compresses paths: decode.
func mayTrack(repo *git.Repository, name string) bool {
	fss, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return true
	}
	f, err := fss.Filesystem().Open("index")
	if err != nil {
		return true
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil || len(data) < 12 || string(data[:4]) != "DIRC" {
		return true
	}
	if v := binary.BigEndian.Uint32(data[4:8]); v != 2 && v != 3 {
		return true
	}
	return bytes.Contains(data, []byte(name))
}
