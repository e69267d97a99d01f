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
