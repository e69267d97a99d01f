package cli

import (
	"bytes"
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
	// Index versions 2 and 3 store every path whole: an index without
	// the state directory's bytes tracks nothing there, found by one scan
	// instead of decoding and SHA-1-checking every entry of a large
	// repository's index, which every build and state command would pay.
	// Version 4 compresses paths: it is decoded.
	if fss, ok := repo.Storer.(*filesystem.Storage); ok {
		if f, err := fss.Filesystem().Open("index"); err == nil {
			data, err := io.ReadAll(f)
			f.Close()
			if err == nil && len(data) > 12 && string(data[:7]) == "DIRC\x00\x00\x00" && (data[7] == 2 || data[7] == 3) && !bytes.Contains(data, []byte(state)) {
				return "", nil
			}
		}
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
