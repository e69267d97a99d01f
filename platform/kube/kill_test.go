package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// killHelper is the child ferry of TestKilledPromotionIsRecovered: it
// promotes staging → prod of the project in dir as carol@ci and kills
// itself with SIGKILL at point (promote's step hook, as promote's own
// kill test uses it): what a kill -9, an OOM kill or a closed laptop
// does to ferry mid-promotion.
func killHelper(dir, point string) int {
	p, err := project.Load(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c := promote.New(p)
	c.User = "carol@ci"
	c.Hook = func(at string) {
		if at == point {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	if _, err := promote.NewPromote(c).Run(context.Background(), "staging", "prod"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestKilledPromotionIsRecovered kills a real ferry process at each step
// of a kube promotion staging → prod, then runs the next promotion as
// another user. The dead ferry's Lease refuses it while fresh (aged here
// rather than waited for, as the outage test does); then prod ends with
// one deployed Helm revision running staging's digest with all its gates
// run (the after-deploy ones too when ferry died before them), nothing
// pending in ferry's history nor in Helm's, and the Lease released.
//
// The points are promote's: after the before-gates (Lease held, nothing
// deployed), after recording the pending revision, after the Helm
// upgrade and wait, after committing it live, before the after-deploy
// gates; "none" is the promotion run to the end. A kill inside the Helm
// upgrade (release pending-upgrade) has no hook point a child can stop
// at; TestKilledFerryIsRecovered builds that state instead.
func TestKilledPromotionIsRecovered(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	for _, point := range []string{"gates", "recorded", "started", "committed", "after-gates", "none"} {
		t.Run(point, func(t *testing.T) {
			staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
			kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)
			kp.deploy(t, "staging", "alice@laptop")
			time.Sleep(1100 * time.Millisecond) // staging's soak

			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "FERRY_KUBE_KILL_HELPER="+kp.dir, "FERRY_KILL_AT="+point)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if killed != (point != "none") || (point == "none" && err != nil) {
				t.Fatalf("child ferry: %v %s (killed=%v)", err, out, killed)
			}

			env := kp.kubeEnv(t, "prod")
			leases := c.Client.CoordinationV1().Leases(env.Namespace)
			next := promote.NewPromote(kp.engine(t, "dave@desk"))
			if killed {
				var locked *state.LockedError
				if _, err := next.Run(ctx, "staging", "prod"); !errors.As(err, &locked) || !strings.Contains(locked.Holder.User, "carol@ci") {
					t.Fatalf("promote while the dead ferry's Lease is fresh: %v, want refused naming carol@ci", err)
				}
				ageLease(t, c, env)
			}
			if plan, err := next.Run(ctx, "staging", "prod"); err != nil {
				t.Fatalf("the promotion after the kill: %v (gates %+v)", err, plan)
			}

			var cur *state.Revision
			var revs []state.Revision
			if err := (&Kube{}).NewStore(env).View(func(tx state.Tx) error {
				var err error
				if cur, err = tx.CurrentRevision("prod"); err != nil {
					return err
				}
				revs, err = tx.List("prod")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if cur == nil || cur.Digest != kp.digest || cur.Action != "promote" || cur.By != "dave@desk" {
				t.Fatalf("live in prod after recovery: %+v, want dave@desk's promotion of %s", cur, kp.digest)
			}
			for _, r := range revs {
				if r.Outcome == state.Pending || r.GatesPending {
					t.Errorf("revision %d left %s, gates pending %v", r.Number, r.Outcome, r.GatesPending)
				}
				// Every revision that went live went through its
				// after-deploy gates, whoever ran them.
				if (r.Outcome == state.Live || r.Outcome == state.Superseded) &&
					!slices.ContainsFunc(r.Gates, func(g state.Gate) bool { return g.Name == "verify prod" && g.Passed }) {
					t.Errorf("revision %d (%s) went live without its after-deploy gates: %+v", r.Number, r.Outcome, r.Gates)
				}
			}

			states := strings.Split(helmStates(t, env), ",")
			deployed := 0
			for _, s := range states {
				if s == "deployed" {
					deployed++
				}
				if strings.HasPrefix(s, "pending-") {
					t.Errorf("helm history %v: a release left %s", states, s)
				}
			}
			if deployed != 1 {
				t.Errorf("helm history %v: %d deployed, want 1", states, deployed)
			}
			live, err := (&Kube{}).Live(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			if live.Digest != kp.digest || live.Revision.Status != "deployed" || live.Revision.Ferry != cur.Number {
				t.Errorf("prod runs %s, release %+v; want %s, ferry revision %d", live.Digest, live.Revision, kp.digest, cur.Number)
			}
			rep, err := promote.NewVerify(kp.engine(t, "dave@desk")).Run(ctx, "prod")
			if err != nil || !rep.OK() {
				t.Errorf("verify prod after recovery: %v %+v", err, rep)
			}
			if _, err := leases.Get(ctx, leaseName(env), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("prod's Lease after the promotion: %v, want released", err)
			}
			t.Logf("helm history %v, ferry revision %d live", states, cur.Number)
		})
	}
}

// ageLease makes env's Lease look as a holder that stopped renewing it
// two Lease durations ago left it: what a dead ferry's Lease is once it
// has expired, without waiting a minute for it.
func ageLease(t *testing.T, c *testcluster.Cluster, env Env) {
	t.Helper()
	ctx := context.Background()
	leases := c.Client.CoordinationV1().Leases(env.Namespace)
	l, err := leases.Get(ctx, leaseName(env), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old := metav1.NewMicroTime(time.Now().Add(-2 * LeaseDuration))
	l.Spec.RenewTime, l.Spec.AcquireTime = &old, &old
	if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
