package promote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/local"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// helper runs a deploy or a promotion in a child process and kills
// itself with SIGKILL at point: what a user's kill -9, an OOM kill or a
// closed laptop does to ferry.
func helper(dir, op, point string) int {
	if op == "guard" {
		return guardHelper(dir)
	}
	c, err := helperConfig(dir)
	if err != nil {
		return 3
	}
	p := c.Project
	if os.Getenv("FERRY_HELPER_GUARD") == "1" {
		c.Guard = helperGuard(dir)
	}
	c.Hook = func(at string) {
		if at == point {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	tg, _ := c.Target(p.Environments[0])
	tg.(*local.Local).Hook = c.Hook
	if op == "deploy" {
		d := NewDeploy(c)
		d.Artifact = "2.0.0"
		_, err = d.Run(context.Background(), "prod")
	} else {
		_, err = NewPromote(c).Run(context.Background(), "staging", "prod")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperConfig is the configuration of dir a helper process uses.
func helperConfig(dir string) (*Config, error) {
	p, err := project.Load(dir)
	if err != nil {
		return nil, err
	}
	c := New(p)
	c.Render = withExternalSecret
	c.Now = func() time.Time { return time.Now().Add(time.Hour) }
	return c, nil
}

// servicePIDs returns the processes running in env's working directory
// of project dir: every revision's service, and a start held at its gate.
func servicePIDs(dir, env string) []int {
	work, _ := filepath.EvalSymlinks(filepath.Join(dir, ".ferry", "run", env, "work"))
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cwd, err := os.Readlink(p + "/cwd")
		if err != nil || cwd != work {
			continue
		}
		if st, err := os.ReadFile(p + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
			continue // a zombie the test process has not reaped yet
		}
		var pid int
		fmt.Sscan(filepath.Base(p), &pid)
		out = append(out, pid)
	}
	return out
}

// TestKillAtEveryPoint kills ferry at every point of a deploy and of a
// promotion, then lets the next command recover. Every time: prod runs
// exactly one revision, the one the store calls live, it passed all its
// gates (a promotion's after-deploy smoke and verify included, even when
// ferry died before running them), and no process is left over — also
// for a kill between starting the process and recording its pid.
func TestKillAtEveryPoint(t *testing.T) {
	killAtEveryPoint(t, nil, func(t *testing.T, c *Config, r killRun, old *state.Revision) {
		if _, err := c.revisions("prod"); err != nil {
			t.Fatalf("store after kill: %v", err)
		}
		if r.op == "promote" && (r.point == "committed" || r.point == "after-gates") {
			promotedNotLive(t, c, old)
		}
		if err := NewRecover(c).Run(t.Context(), "prod"); err != nil {
			t.Fatalf("recover: %v", err)
		}
	})
}

// killRun is where killAtEveryPoint kills ferry.
type killRun struct {
	op, point  string
	smokeFails bool
}

// killAtEveryPoint runs a deploy and a promotion in a helper process
// (with env added to its environment) that kills itself at every point
// of the change, has finish bring prod back, and then checks prod: it
// runs exactly one revision, the one the store calls live, nothing is
// left pending, the revision passed all its gates — rolled back when a
// promotion's after-deploy smoke fails — and no process is left over.
func killAtEveryPoint(t *testing.T, env []string, finish func(t *testing.T, c *Config, r killRun, old *state.Revision)) {
	points := map[string][]string{
		"deploy":  {"recorded", "previous-stopped", "new-started", "pid-recorded", "started", "committed", "none"},
		"promote": {"gates", "recorded", "previous-stopped", "new-started", "pid-recorded", "started", "committed", "after-gates", "none"},
	}
	var runs []killRun
	for _, op := range []string{"deploy", "promote"} {
		for _, p := range points[op] {
			runs = append(runs, killRun{op, p, false})
		}
	}
	// A promotion whose after-deploy smoke fails must end rolled back,
	// whether ferry finished it or recovery did.
	for _, p := range []string{"committed", "after-gates", "none"} {
		runs = append(runs, killRun{"promote", p, true})
	}
	for _, r := range runs {
		name := r.op + "/" + r.point
		if r.smokeFails {
			name += "/smoke-fails"
		}
		t.Run(name, func(t *testing.T) {
			if r.smokeFails {
				t.Setenv("FERRY_TEST_SMOKE_FAIL", "1")
			}
			c, _ := newProject(t, "")
			ctx := t.Context()
			old := deploy(t, c, "prod", "1.0.0")
			deploy(t, c, "staging", "2.0.0")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(append(os.Environ(), "FERRY_PROMOTE_HELPER="+c.Project.Dir, "FERRY_HELPER_OP="+r.op, "FERRY_KILL_AT="+r.point), env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if killed != (r.point != "none") {
				t.Fatalf("helper: %v %s (killed=%v)", err, out, killed)
			}
			finish(t, c, r, old)
			var cur *state.Revision
			var revs []state.Revision
			c.State.View(func(tx state.Tx) error {
				if cur, err = tx.CurrentRevision("prod"); err != nil {
					return err
				}
				revs, err = tx.List("prod")
				return err
			})
			if cur == nil {
				t.Fatalf("nothing live in prod after recovery")
			}
			for _, rv := range revs {
				if rv.Outcome == state.Pending {
					t.Errorf("revision %d is still pending after recovery", rv.Number)
				}
			}
			rep, err := NewVerify(c).Run(ctx, "prod")
			if err != nil {
				t.Fatalf("verify after kill: %v", err)
			}
			if !rep.OK() || rep.Revision != cur.Number || rep.Digest != cur.Digest {
				t.Errorf("live %s, store says revision %d %s; want them consistent and healthy", rep.Summary(), cur.Number, short(cur.Digest))
			}
			if cur.GatesPending || cur.Outcome != state.Live {
				t.Errorf("live revision %d: outcome %s, gates pending %v", cur.Number, cur.Outcome, cur.GatesPending)
			}
			if cur.Action == "promote" && !slices.ContainsFunc(cur.Gates, func(g state.Gate) bool { return g.Name == "verify prod" && g.Passed }) {
				t.Errorf("promoted revision %d is live without its after-deploy gates: %+v", cur.Number, cur.Gates)
			}
			switch {
			case r.smokeFails && cur.Digest != old.Digest:
				t.Errorf("after-deploy smoke failed, prod still on %s, want rolled back to %s", short(cur.Digest), short(old.Digest))
			case r.point == "gates" && cur.Number != old.Number:
				t.Errorf("killed before deploy, prod moved to revision %d", cur.Number)
			case r.point == "none" && !r.smokeFails && cur.Digest != digestB:
				t.Errorf("finished %s left prod on %s", r.op, short(cur.Digest))
			}
			var pids []int
			for range 100 { // a gated start exits as soon as it sees EOF
				if pids = servicePIDs(c.Project.Dir, "prod"); len(pids) == 1 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(pids) != 1 || pids[0] != platform.DetailPIDOf(rep.Details) {
				t.Errorf("processes in prod's working directory: %v, want only the live pid %d", pids, platform.DetailPIDOf(rep.Details))
			}
			t.Logf("prod on revision %d (%s, %s)", cur.Number, cur.Action, short(cur.Digest))
		})
	}
}

// TestOrphanWithoutProcessRecord is the repro: a process whose
// process.json is gone (as a ferry killed before writing it left it)
// must not make every later deploy fail with "port in use", and down
// must really stop it.
func TestOrphanWithoutProcessRecord(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	r1 := deploy(t, c, "prod", "1.0.0")
	recs, _ := filepath.Glob(filepath.Join(c.Project.Dir, ".ferry", "run", "prod", "r*", "process.json"))
	for _, f := range recs {
		os.Remove(f)
	}
	r2 := deploy(t, c, "prod", "2.0.0")
	if r2.Number != r1.Number+1 {
		t.Fatalf("deploy after losing process.json = revision %d", r2.Number)
	}
	if pids := servicePIDs(c.Project.Dir, "prod"); len(pids) != 1 {
		t.Errorf("after redeploy prod runs %v, want one process", pids)
	}
	recs, _ = filepath.Glob(filepath.Join(c.Project.Dir, ".ferry", "run", "prod", "r*", "process.json"))
	for _, f := range recs {
		os.Remove(f)
	}
	if err := NewDown(c).Run(ctx, "prod"); err != nil {
		t.Fatalf("down: %v", err)
	}
	if pids := servicePIDs(c.Project.Dir, "prod"); len(pids) != 0 {
		t.Errorf("down said stopped, but prod runs %v", pids)
	}
}

// promotedNotLive: ferry was killed after a promotion's deploy and
// before its after-deploy gates passed. Until the next ferry runs them,
// the promoted revision may run, but ferry's record does not call it
// live: the previous revision is still the current one, the promoted
// one is pending with its gates pending, and verify fails on what runs,
// so whoever watches prod with ferry verify sees it.
func promotedNotLive(t *testing.T, c *Config, old *state.Revision) {
	t.Helper()
	var cur *state.Revision
	var revs []state.Revision
	err := c.State.View(func(tx state.Tx) error {
		var err error
		if cur, err = tx.CurrentRevision("prod"); err != nil {
			return err
		}
		revs, err = tx.List("prod")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if cur == nil || cur.Number != old.Number {
		got := 0
		if cur != nil {
			got = cur.Number
		}
		t.Errorf("killed before the after-deploy gates ran, the record calls revision %d live; want %d (the promoted revision is not live before its gates)", got, old.Number)
	}
	last := revs[len(revs)-1]
	if last.Action != "promote" || last.Outcome != state.Pending || !last.GatesPending {
		t.Errorf("promoted revision %d: action %s, outcome %s, gates pending %v; want a pending promotion with its gates pending", last.Number, last.Action, last.Outcome, last.GatesPending)
	}
	if rep, err := NewVerify(c).Run(t.Context(), "prod"); err == nil && rep.OK() {
		t.Errorf("verify passes while prod runs revision %d, whose after-deploy gates never ran: %s", rep.Revision, rep.Summary())
	}
}
