package local

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/platform"
)

// TestCommittedRunDirRefused: a repository that commits .ferry/run (or a
// link inside it) must not lead a deploy's writes — the unpacked image,
// the process record, the service's log — out of .ferry/run, nor into
// another of ferry's files inside .ferry. Each planted link is refused,
// naming its path, and the file it points at is left as it was.
func TestCommittedRunDirRefused(t *testing.T) {
	l, img := setup(t)
	ferry := filepath.Join(l.ProjectDir, ".ferry")
	tests := []struct {
		name string
		// plant makes the link under .ferry/run and returns the file or
		// directory it points at.
		plant func(t *testing.T, outside string) string
		path  string // the refusal names it
	}{
		{".ferry/run link out of the project", func(t *testing.T, outside string) string {
			return outside
		}, ".ferry/run"},
		{".ferry/run link inside .ferry", func(t *testing.T, outside string) string {
			mkdir(t, filepath.Join(ferry, "elsewhere"))
			return filepath.Join(ferry, "elsewhere")
		}, ".ferry/run"},
		{".ferry/run/roots link", func(t *testing.T, outside string) string {
			mkdir(t, filepath.Join(ferry, "run"))
			return outside
		}, ".ferry/run/roots"},
		{".ferry/run/<env> link", func(t *testing.T, outside string) string {
			mkdir(t, filepath.Join(ferry, "run"))
			return outside
		}, ".ferry/run/staging"},
		{"log link out of the project", func(t *testing.T, outside string) string {
			mkdir(t, filepath.Join(ferry, "run", "staging", "r1"))
			return writeFile(t, filepath.Join(outside, "victim"), "victim\n")
		}, ".ferry/run/staging/r1/log"},
		{"log link to ferry's own state", func(t *testing.T, outside string) string {
			mkdir(t, filepath.Join(ferry, "run", "staging", "r1"))
			return writeFile(t, filepath.Join(ferry, "state.db.victim"), "state\n")
		}, ".ferry/run/staging/r1/log"},
		{"process.json.tmp link", func(t *testing.T, outside string) string {
			mkdir(t, filepath.Join(ferry, "run", "staging", "r1"))
			return writeFile(t, filepath.Join(outside, "victim"), "victim\n")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = l.Stop(t.Context(), "staging", 0)
			if err := os.RemoveAll(filepath.Join(ferry, "run")); err != nil {
				t.Fatal(err)
			}
			outside := t.TempDir()
			target := tt.plant(t, outside)
			link := filepath.Join(l.ProjectDir, tt.path)
			if tt.path == "" {
				link = filepath.Join(ferry, "run", "staging", "r1", "process.json.tmp")
			}
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, target)
			_, err := l.Deploy(t.Context(), spec(img, 1, freePort(t)))
			if tt.path != "" && (!errors.Is(err, confine.ErrRefused) || !strings.Contains(err.Error(), tt.path)) {
				t.Errorf("Deploy: %v, want a refusal naming %s", err, tt.path)
			}
			if after := snapshot(t, target); after != before {
				t.Errorf("%s changed through the link: %q, was %q", target, after, before)
			}
		})
	}
}

// TestCommittedLogNotPrinted: the tail of a failed revision's log is
// printed (and kept in the deploy error): a committed log that links to a
// file elsewhere must not have that file's content printed.
func TestCommittedLogNotPrinted(t *testing.T) {
	dir := t.TempDir()
	secret := writeFile(t, filepath.Join(t.TempDir(), "id_ed25519"), "PRIVATE KEY MATERIAL\n")
	mkdir(t, filepath.Join(dir, ".ferry", "run", "staging", "r3"))
	if err := os.Symlink(secret, filepath.Join(dir, ".ferry", "run", "staging", "r3", "log")); err != nil {
		t.Fatal(err)
	}
	l := New(dir, nil)
	got := strings.Join(l.Tail("staging", 3, 10), "\n")
	if strings.Contains(got, "PRIVATE KEY") || !strings.Contains(got, ".ferry/run/staging/r3/log") {
		t.Errorf("Tail = %q, want a line naming the refused log and none of what it links to", got)
	}
}

// TestPlantedRecordNotSignalled: ferry sends SIGTERM to the pids of the
// records under .ferry/run; a committed record naming another process
// (without the start tick ferry records) is not one of its revisions.
func TestPlantedRecordNotSignalled(t *testing.T) {
	dir := t.TempDir()
	victim := exec.Command("sleep", "30")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = victim.Process.Kill(); _ = victim.Wait() })
	mkdir(t, filepath.Join(dir, ".ferry", "run", "staging", "r1"))
	writeFile(t, filepath.Join(dir, ".ferry", "run", "staging", "r1", "process.json"),
		`{"env":"staging","revision":1,"pid":`+strconv.Itoa(victim.Process.Pid)+`}`)
	l := New(dir, nil)
	if revs, err := l.Revisions(t.Context(), "staging"); err != nil || len(revs) != 0 {
		t.Errorf("Revisions = %v, %v; want none", revs, err)
	}
	if err := l.Stop(t.Context(), "staging", 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if !alive(victim.Process.Pid, 0) {
		t.Error("the planted record's pid was signalled")
	}
}

// TestPruneRootsThroughLinkRefused: pruning removes old unpacked roots;
// through a committed .ferry/run/roots link it would remove the old
// directories it points at.
func TestPruneRootsThroughLinkRefused(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	old := filepath.Join(outside, "photos")
	mkdir(t, old)
	past := time.Now().Add(-2 * pruneAfter)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	mkdir(t, filepath.Join(dir, ".ferry", "run"))
	if err := os.Symlink(outside, filepath.Join(dir, ".ferry", "run", "roots")); err != nil {
		t.Fatal(err)
	}
	err := New(dir, nil).PruneRoots()
	if !errors.Is(err, confine.ErrRefused) || !strings.Contains(err.Error(), ".ferry/run/roots") {
		t.Errorf("PruneRoots: %v, want a refusal naming .ferry/run/roots", err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("pruned through the link: %v", err)
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// snapshot lists what is at p: a file's content, a directory's names.
func snapshot(t *testing.T, p string) string {
	t.Helper()
	if data, err := os.ReadFile(p); err == nil {
		return string(data)
	}
	var names []string
	_ = filepath.WalkDir(p, func(q string, _ os.DirEntry, _ error) error {
		names = append(names, q)
		return nil
	})
	return strings.Join(names, "\n")
}

// TestRefusalStopsNothing: a committed link under the next revision's
// directory is refused before the running revision is touched, even one
// that cannot share its port and would be stopped first.
func TestRefusalStopsNothing(t *testing.T) {
	l, img := setup(t)
	l.Settle = 50 * time.Millisecond
	port := freePort(t)
	noShare := platform.Var{Key: "NO_REUSEPORT", Value: "1"}
	if _, err := l.Deploy(t.Context(), spec(img, 1, port, noShare)); err != nil {
		t.Fatal(err)
	}
	r2 := filepath.Join(l.ProjectDir, ".ferry", "run", "staging", "r2")
	mkdir(t, r2)
	victim := writeFile(t, filepath.Join(t.TempDir(), "victim"), "victim\n")
	if err := os.Symlink(victim, filepath.Join(r2, "log")); err != nil {
		t.Fatal(err)
	}
	_, err := l.Deploy(t.Context(), spec(img, 2, port, noShare))
	if !errors.Is(err, confine.ErrRefused) {
		t.Fatalf("Deploy: %v, want a refusal", err)
	}
	if revs, rerr := l.Revisions(t.Context(), "staging"); rerr != nil || len(revs) != 1 || revs[0] != 1 {
		t.Errorf("running revisions %v, %v; want revision 1 untouched", revs, rerr)
	}
	var de *platform.DeployError
	if errors.As(err, &de) {
		t.Errorf("the refusal went through a failed start: %v", de)
	}
}
