package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/state"
)

// TestMain runs this binary as ferry when a test starts it as ferry
// (asFerry) and when a changing ferry starts its guard (guardCommand
// runs os.Executable, which in tests is this binary).
func TestMain(m *testing.M) {
	if os.Getenv(asFerry) == "1" || slices.Contains(os.Args[1:], guardName) {
		os.Exit(Main(context.Background(), os.Args[1:], System()))
	}
	os.Exit(m.Run())
}

// asFerry, set in a child's environment, makes this test binary ferry.
const asFerry = "FERRY_TEST_AS_FERRY"

// TestGuardFinishesKilledPromotion kills ferry (kill -9) while a
// promotion's after-deploy smoke runs — the promoted revision serves,
// recorded pending — and then runs no ferry at all. The guard the
// promotion started must finish the change on its own within seconds:
// run the gates again and roll back when they fail (the promoted process
// stopped, the previous revision serving), or record the promoted
// revision live with its gates when they pass. Before the guard, the
// promoted revision served unchecked until the next ferry command.
func TestGuardFinishesKilledPromotion(t *testing.T) {
	for _, tt := range []struct {
		name string
		// smoke is prod's smoke step: the first run marks and sleeps
		// (ferry is killed then), the guard's run sees the mark.
		smoke     string
		rollsBack bool
	}{
		{"gates fail: rolled back", `test ! -e %[1]s && touch %[1]s && sleep 8`, true},
		{"gates pass: promoted", `test -e %[1]s || { touch %[1]s; sleep 8; }`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := svcProject(t, "1s")
			c := "-C " + dir + " "
			if _, errOut, code := run(t, c+"build --tag 1.0.0"); code != 0 {
				t.Fatal(errOut)
			}
			if _, errOut, code := run(t, c+"deploy prod --artifact 1.0.0"); code != 0 {
				t.Fatal(errOut)
			}
			src := filepath.Join(dir, "main.go")
			code, _ := os.ReadFile(src)
			os.WriteFile(src, []byte(strings.Replace(string(code), `version = "1"`, `version = "2"`, 1)), 0o644)
			if _, errOut, code := run(t, c+"build --tag 2.0.0"); code != 0 {
				t.Fatal(errOut)
			}
			if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
				t.Fatal(errOut)
			}
			old := current(t, dir)
			mark := filepath.Join(t.TempDir(), "smoke-ran")
			yaml := filepath.Join(dir, "ferry.yaml")
			orig, _ := os.ReadFile(yaml)
			os.WriteFile(yaml, append(orig, fmt.Sprintf("    smoke:\n      - run: %s\n", fmt.Sprintf(tt.smoke, mark))...), 0o644)
			time.Sleep(1100 * time.Millisecond) // staging's soak

			ferry := exec.Command(os.Args[0], "-C", dir, "promote", "staging", "prod")
			ferry.Env = append(os.Environ(), asFerry+"=1")
			var out strings.Builder
			ferry.Stdout, ferry.Stderr = &out, &out
			if err := ferry.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ferry.Process.Kill(); ferry.Wait() })
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if _, err := os.Stat(mark); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("prod's smoke never started:\n%s", out.String())
				}
			}
			// Read before the kill: the guard acts as soon as ferry dies.
			promoted := last(t, dir)
			if promoted.Action != "promote" || promoted.Outcome != state.Pending || !promoted.GatesPending || len(promoted.Instances) != 1 {
				t.Fatalf("while prod's smoke runs, the promotion is recorded %s %s (gates pending %v, %d instances); want a pending promotion that runs", promoted.Action, promoted.Outcome, promoted.GatesPending, len(promoted.Instances))
			}
			pid := localPID(t, promoted.Instances[0])
			if !alive(pid) {
				t.Fatalf("the promoted process %d does not run while its smoke does", pid)
			}
			ferry.Process.Signal(syscall.SIGKILL)
			ferry.Wait()
			killed := time.Now()
			t.Cleanup(func() { // the guard writes in .ferry until it exits
				for end := time.Now().Add(30 * time.Second); len(guards(dir)) > 0 && time.Now().Before(end); {
					time.Sleep(20 * time.Millisecond)
				}
			})

			// No ferry runs from here on: only the guard.
			var cur *state.Revision
			for deadline := killed.Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				if cur = current(t, dir); cur != nil && cur.Number != old.Number && !cur.GatesPending {
					break
				}
				if time.Now().After(deadline) {
					log, _ := os.ReadFile(filepath.Join(dir, ".ferry", "guard.log"))
					t.Fatalf("30s after the kill, prod is still on revision %d and the promotion is %s: nothing finished it\nguard log:\n%s", old.Number, last(t, dir).Outcome, log)
				}
			}
			took := time.Since(killed)
			promoted = revision(t, dir, promoted.Number)
			if tt.rollsBack {
				if cur.Action != "rollback" || cur.Digest != old.Digest || promoted.Outcome != state.Failed {
					t.Errorf("smoke failed on the guard's run: prod on revision %d (%s %s), promotion %s; want rolled back to %s, the promotion failed", cur.Number, cur.Action, cur.Digest, promoted.Outcome, old.Digest)
				}
				for end := time.Now().Add(5 * time.Second); alive(pid) && time.Now().Before(end); {
					time.Sleep(20 * time.Millisecond)
				}
				if alive(pid) {
					t.Errorf("the promoted process %d still runs after the rollback", pid)
				}
			} else {
				if cur.Number != promoted.Number || cur.Outcome != state.Live || !slices.ContainsFunc(cur.Gates, func(g state.Gate) bool { return g.Name == "verify prod" && g.Passed }) {
					t.Errorf("smoke passed on the guard's run: prod on revision %d (%s, %s, gates %+v); want the promotion %d live with its gates", cur.Number, cur.Action, cur.Outcome, cur.Gates, promoted.Number)
				}
				if !alive(pid) {
					t.Errorf("the promoted process %d was stopped though its gates passed", pid)
				}
			}
			if out, errOut, code := run(t, c+"verify prod"); code != 0 {
				t.Errorf("verify prod after the guard = %d\n%s%s", code, out, errOut)
			}
			log, _ := os.ReadFile(filepath.Join(dir, ".ferry", "guard.log"))
			if !strings.Contains(string(log), "ferry guard: prod: recovered after an interrupted ferry") {
				t.Errorf("the guard's log does not say what it did:\n%s", log)
			}
			t.Logf("%s %s after the kill: prod on revision %d (%s)", tt.name, took.Round(time.Millisecond), cur.Number, cur.Action)
		})
	}
}

// current is prod's live revision in dir's store, read as another
// process would, without ferry.
func current(t *testing.T, dir string) *state.Revision {
	t.Helper()
	var cur *state.Revision
	err := boltstore.Project(dir).View(func(tx state.Tx) error {
		var err error
		cur, err = tx.CurrentRevision("prod")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// last is prod's newest revision.
func last(t *testing.T, dir string) state.Revision {
	t.Helper()
	revs := revisions(t, dir)
	return revs[len(revs)-1]
}

// revision is prod's revision n.
func revision(t *testing.T, dir string, n int) state.Revision {
	t.Helper()
	for _, r := range revisions(t, dir) {
		if r.Number == n {
			return r
		}
	}
	t.Fatalf("no revision %d in prod", n)
	return state.Revision{}
}

func revisions(t *testing.T, dir string) []state.Revision {
	t.Helper()
	var revs []state.Revision
	err := boltstore.Project(dir).View(func(tx state.Tx) error {
		var err error
		revs, err = tx.List("prod")
		return err
	})
	if err != nil || len(revs) == 0 {
		t.Fatalf("prod's revisions: %v (%d)", err, len(revs))
	}
	return revs
}

// alive says whether pid runs (a zombie does not).
func alive(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(st), ") Z ")
}

// TestGuardQuietAfterNormalRun: a change that ends normally leaves no
// guard behind and no trace in its log, and the next command, started at
// once, is not kept from the lock by it.
func TestGuardQuietAfterNormalRun(t *testing.T) {
	dir := svcProject(t, "1s")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build --tag 1.0.0"); code != 0 {
		t.Fatal(errOut)
	}
	for range 3 {
		if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
			t.Fatalf("deploy right after another = %d: %s", code, errOut)
		}
	}
	var left []int
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if left = guards(dir); len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("guards still run 3s after their changes ended: %v", left)
	}
	if log, err := os.ReadFile(filepath.Join(dir, ".ferry", "guard.log")); err != nil || len(log) > 0 {
		t.Errorf("guard.log after changes that ended normally: %q (%v); want it empty", log, err)
	}
}

// guards returns the pids of the guards over project dir.
func guards(dir string) []int {
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		args := strings.Split(string(cmd), "\x00")
		if err != nil || !slices.Contains(args, guardName) || !slices.Contains(args, dir) {
			continue
		}
		var pid int
		fmt.Sscan(filepath.Base(filepath.Dir(p)), &pid)
		if alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// localPID is the process id the local target keeps in its own record of
// an instance (the pid is the target's fact, not the shared record's).
func localPID(t *testing.T, in state.Instance) int {
	t.Helper()
	var rec struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(in.Private, &rec); err != nil || rec.PID == 0 {
		t.Fatalf("instance %s: no pid in the local target's record %s (%v)", in.Name, in.Private, err)
	}
	return rec.PID
}
