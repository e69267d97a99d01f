package promote

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/state"
)

// helperGuard is the GuardFunc of a killed helper: this test binary as
// the guard (op "guard"), the project dir among its arguments so that a
// test can find it.
func helperGuard(dir string) GuardFunc {
	return func(env string, until time.Time) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "guard-of="+dir)
		cmd.Env = append(os.Environ(), "FERRY_PROMOTE_HELPER="+dir, "FERRY_HELPER_OP=guard", "FERRY_HELPER_GUARD=", "FERRY_GUARD_UNTIL="+until.Format(time.RFC3339Nano))
		return cmd
	}
}

// guardHelper is what `ferry __guard prod` does, with the helper's
// configuration.
func guardHelper(dir string) int {
	ferry := os.Getppid()
	until, err := time.Parse(time.RFC3339Nano, os.Getenv("FERRY_GUARD_UNTIL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	died, err := AwaitChange(os.NewFile(3, "guard pipe"), until)
	if err != nil {
		fmt.Fprintln(os.Stderr, "guard:", err)
		return 3
	}
	if !died {
		return 0 // the change ended normally: nothing to say
	}
	c, err := helperConfig(dir)
	if err != nil {
		return 3
	}
	what, err := NewRecover(c).Guard(context.Background(), "prod", ferry)
	if err != nil {
		fmt.Fprintln(os.Stderr, "guard:", err)
		return 3
	}
	fmt.Fprintln(os.Stderr, "guard:", what)
	return 0
}

// guardsOf returns the guards running over project dir.
func guardsOf(dir string) []int {
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !slices.Contains(strings.Split(string(cmd), "\x00"), "guard-of="+dir) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join(filepath.Dir(p), "stat")); err == nil && strings.Contains(string(st), ") Z ") {
			continue
		}
		var pid int
		fmt.Sscan(filepath.Base(filepath.Dir(p)), &pid)
		out = append(out, pid)
	}
	return out
}

// TestGuardAtEveryKillPoint is TestKillAtEveryPoint without the next
// ferry: killed anywhere in a deploy or a promotion, ferry's guard alone
// must leave prod, within seconds, running exactly one revision, the one
// the store calls live, which passed all its gates (a promotion's
// after-deploy smoke and verify included), rolled back when they fail.
// The guard of a change that ended normally says nothing.
func TestGuardAtEveryKillPoint(t *testing.T) {
	var slowest time.Duration
	killAtEveryPoint(t, []string{"FERRY_HELPER_GUARD=1"}, func(t *testing.T, c *Config, r killRun, _ *state.Revision) {
		dir := c.Project.Dir
		start := time.Now()
		// No ferry runs from here on (no Recover): only the guard.
		for end := start.Add(30 * time.Second); len(guardsOf(dir)) > 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("guards %v still run 30s after the kill", guardsOf(dir))
			}
		}
		took := time.Since(start)
		slowest = max(slowest, took)
		log, _ := os.ReadFile(filepath.Join(dir, ".ferry", GuardLog))
		if r.point == "none" && len(log) > 0 {
			t.Errorf("the guard of a change that ended normally wrote:\n%s", log)
		}
		t.Logf("guard done %s after the kill: %s", took.Round(time.Millisecond), strings.TrimSpace(string(log)))
	})
	t.Logf("slowest guard: %s after the kill", slowest.Round(time.Millisecond))
}

// TestAwaitChange: what a guard makes of its pipe — the ferry's byte at
// the end of a change, the EOF of its death, and its own deadline.
func TestAwaitChange(t *testing.T) {
	for _, tt := range []struct {
		name   string
		end    func(w *os.File)
		died   bool
		gaveUp bool
	}{
		{"change ended", func(w *os.File) { w.Write([]byte{guardDone}); w.Close() }, false, false},
		{"ferry died", func(w *os.File) { w.Close() }, true, false},
		{"ferry died mid-write of something else", func(w *os.File) { w.Write([]byte{'x'}); w.Close() }, true, false},
		{"change outlasts the guard", func(w *os.File) { t.Cleanup(func() { w.Close() }) }, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			tt.end(w)
			died, err := AwaitChange(r, time.Now().Add(200*time.Millisecond))
			if died != tt.died || (err != nil) != tt.gaveUp {
				t.Errorf("AwaitChange = %v, %v; want died %v, gave up %v", died, err, tt.died, tt.gaveUp)
			}
		})
	}
}

// TestGuardLeavesLockToOtherFerry: when a user's ferry took the lock
// before the guard, its own recovery finishes the change: the guard says
// so and exits at once instead of waiting for it.
func TestGuardLeavesLockToOtherFerry(t *testing.T) {
	c, _ := newProject(t, "")
	deploy(t, c, "prod", "1.0.0")
	l, err := c.State.Lock(t.Context(), "prod", state.Holder{Command: "ferry deploy prod", PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	start := time.Now()
	what, err := NewRecover(c).Guard(t.Context(), "prod", os.Getpid()+1<<20)
	if err != nil || !strings.Contains(what, "ferry deploy prod") || time.Since(start) > guardLockWait/2 {
		t.Errorf("Guard with the lock held by another ferry = %q, %v after %s; want it to leave the change to that ferry at once", what, err, time.Since(start))
	}
}
