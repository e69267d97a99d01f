package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// commitAll makes dir (or its parent, when sub is set) a git repository
// with files written and everything not ignored committed.
func commitAll(t *testing.T, top string, files map[string]string) {
	t.Helper()
	repo, err := git.PlainInit(top, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(top, name)), 0o700)
		if err := os.WriteFile(filepath.Join(top, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wt, _ := repo.Worktree()
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "repo", Email: "repo@example.test", When: time.Now()}
	if _, err := wt.Commit("the repository as cloned", &git.CommitOptions{Author: sig}); err != nil {
		t.Fatal(err)
	}
}

// TestCommittedStateRefused: a repository that commits .ferry/ (here a
// lock file, which ferry would truncate through a link) is refused by
// every command that uses ferry's state, exit 2, naming the file and the
// fix; in a subdirectory project too. The near misses work: .ferry
// ignored by .gitignore, and a .ferry that is only untracked.
func TestCommittedStateRefused(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sub     string // the project's directory in the repository
		files   map[string]string
		refused bool
	}{
		{"committed lock", "", map[string]string{".ferry/locks/x.lock": "{}"}, true},
		{"committed in a subdirectory project", "svc", map[string]string{"svc/.ferry/serve.token": "token"}, true},
		{"ignored", "", map[string]string{".gitignore": ".ferry/\n", ".ferry/locks/x.lock": ""}, false},
		{"untracked", "", map[string]string{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proj := svcProject(t, "1s")
			top := proj
			if tt.sub != "" {
				top = t.TempDir()
				if err := os.Rename(proj, filepath.Join(top, tt.sub)); err != nil {
					t.Fatal(err)
				}
				proj = filepath.Join(top, tt.sub)
				t.Cleanup(func() { os.Rename(proj, filepath.Join(filepath.Dir(top), filepath.Base(proj))) })
			}
			commitAll(t, top, tt.files)
			if tt.name == "untracked" {
				os.MkdirAll(filepath.Join(proj, ".ferry"), 0o700)
			}
			c := "-C " + proj + " "
			for _, args := range []string{"build --tag 1.0.0", "deploy staging", "loglevel staging DEBUG --for 1m", "status", "state check"} {
				out, errOut, code := run(t, c+args)
				if tt.refused {
					file := ".ferry/" + strings.SplitN(strings.TrimPrefix(firstKey(tt.files), tt.sub+"/"), "/", 2)[1]
					want := ".ferry is tracked by git (" + file + "): ferry's state must never come from the repository; untrack it with \"git -C " + proj + " rm -r --cached .ferry\" and add .ferry/ to .gitignore"
					if code != 2 || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
						t.Errorf("%s = %d\n%s%s\nwant exit 2 and one line: %s", args, code, out, errOut, want)
					}
					continue
				}
				if code != 0 && !(args == "state check" && code == 1) {
					t.Errorf("%s with .ferry %s = %d\n%s%s", args, tt.name, code, out, errOut)
				}
			}
		})
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// TestTrackedStateIndexVersions: the index is read for .ferry whatever
// its version: 2 and 3 store whole paths (the fast scan may answer),
// 4 compresses them (decoded instead). The near miss: a tracked path
// holding ".ferry" that is not the state directory.
func TestTrackedStateIndexVersions(t *testing.T) {
	needTool(t, "git")
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"committed lock", map[string]string{".ferry/locks/x.lock": "{}", "main.go": "package main"}, ".ferry/locks/x.lock"},
		{"look-alike", map[string]string{"docs/.ferry.md": "notes", "a.ferry/x": "", "main.go": "package main"}, ""},
		{"untracked", map[string]string{"main.go": "package main"}, ""},
	} {
		for _, v := range []string{"2", "3", "4"} {
			t.Run(tt.name+" v"+v, func(t *testing.T) {
				top := t.TempDir()
				commitAll(t, top, tt.files)
				if out, err := exec.Command("git", "-C", top, "update-index", "--index-version", v).CombinedOutput(); err != nil {
					t.Fatalf("git update-index: %v\n%s", err, out)
				}
				if err := os.MkdirAll(filepath.Join(top, ".ferry"), 0o700); err != nil {
					t.Fatal(err)
				}
				got, err := trackedState(top)
				if err != nil || got != tt.want {
					t.Errorf("trackedState = %q, %v; want %q", got, err, tt.want)
				}
			})
		}
	}
}
