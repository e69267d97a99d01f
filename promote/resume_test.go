package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// reviewTarget is the fake target with a protected environment, as the
// gitops target's pull-request mode makes it (tested against real Flux
// in platform/gitops): Deploy hands the change to review, Resume runs it
// once merged.
type reviewTarget struct {
	*platformtest.Fake
	protected string
	// branches are the review branches pushed; merged says the reviewer
	// merged them; failResume makes the engine refuse the merged change.
	branches   []string
	pushed     map[int]platform.Spec // what each branch holds
	merged     bool
	failResume string
}

type reviewErr struct{ branch string }

func (e *reviewErr) Error() string          { return "awaits review: " + e.AwaitingReview() }
func (e *reviewErr) AwaitingReview() string { return "merge branch " + e.branch + " into main" }

func (r *reviewTarget) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	if s.Env != r.protected {
		return r.Fake.Deploy(ctx, s)
	}
	b := fmt.Sprintf("ferry/%s/revision-%d", s.Env, s.Revision)
	r.branches = append(r.branches, b)
	if r.pushed == nil {
		r.pushed = map[int]platform.Spec{}
	}
	r.pushed[s.Revision] = s
	return nil, &reviewErr{b}
}

func (r *reviewTarget) Resume(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	switch {
	case !r.merged:
		return nil, &reviewErr{fmt.Sprintf("ferry/%s/revision-%d", s.Env, s.Revision)}
	case r.failResume != "":
		return nil, &platform.DeployError{Env: s.Env, Revision: s.Revision, Reason: r.failResume}
	}
	if s.Digest != r.pushed[s.Revision].Digest {
		return nil, fmt.Errorf("resume of revision %d with digest %s, pushed %s", s.Revision, s.Digest, r.pushed[s.Revision].Digest)
	}
	return r.Fake.Deploy(ctx, r.pushed[s.Revision])
}

// The bookkeeping of a promotion through review, without the cluster:
// a refused gate pushes nothing; a passing one records the revision
// pending review (exit 0, prod unchanged, its after-deploy gates not
// run); recovery leaves it; resuming before the merge changes nothing;
// after it the revision goes live and its after-deploy gates run — or,
// when the engine refuses it, it is recorded failed and prod keeps its
// revision.
func TestPromoteThroughReview(t *testing.T) {
	for _, tt := range []struct {
		name       string
		failResume string
		failAfter  bool
		wantProd   int
		wantOut    state.Outcome
	}{
		{name: "merged and applied", wantProd: 2, wantOut: state.Live},
		{name: "engine refuses the merge", failResume: "Flux Kustomization refused commit 1a2b3c: quantities must match", wantProd: 1, wantOut: state.Failed},
		{name: "after-deploy gate fails", failAfter: true, wantProd: 2, wantOut: state.Failed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, f, clk := fakeProject(t)
			rt := &reviewTarget{Fake: f, failResume: tt.failResume}
			c.Target = func(*project.Environment) (platform.Target, error) { return rt, nil }
			ctx := t.Context()
			deploy(t, c, "prod", "1.0.0")
			deploy(t, c, "staging", "2.0.0")
			rt.protected = "prod"
			prod, _ := c.Project.Env("prod")

			// Refused at its gates: nothing goes to review.
			f.SetHealth("staging", platform.HealthDegraded, "db down")
			if _, err := NewPromote(c).Run(ctx, "staging", "prod"); !errors.Is(err, ErrGate) {
				t.Fatalf("promote of an unhealthy staging = %v, want a gate error", err)
			}
			if len(rt.branches) != 0 {
				t.Fatalf("a refused promotion pushed %v", rt.branches)
			}
			f.SetHealth("staging", platform.HealthUp, "")
			clk.Advance(time.Minute)

			plan, err := NewPromote(c).Run(ctx, "staging", "prod")
			if err != nil {
				t.Fatalf("promote to review = %v, want no error", err)
			}
			rev := plan.Revision
			if !AwaitsReview(rev) || !rev.GatesPending || ReviewNote(rev) != "merge branch ferry/prod/revision-2 into main" {
				t.Fatalf("revision = %+v, want it pending review with its after-deploy gates pending", rev)
			}
			before := len(rev.Gates)
			if cur, _ := c.current(prod); cur == nil || cur.Number != 1 {
				t.Errorf("prod's live revision = %+v, want 1 until the merge", cur)
			}
			st, err := NewStatus(c).Run(ctx)
			if err != nil || st.Environments[1].HealthDetail == "" || st.Environments[1].HealthDetail[:len("revision 2 awaits review: merge")] != "revision 2 awaits review: merge" {
				t.Errorf("status of prod = %+v, %v; want it to lead with the review", st.Environments[1], err)
			}

			// Recovery (any later change of prod) leaves it to Resume.
			if err := NewRecover(c).Run(ctx, "prod"); err != nil {
				t.Fatal(err)
			}
			var nm *NotMergedError
			if _, err := NewResume(c).Run(ctx, "prod"); !errors.As(err, &nm) || nm.Revision != 2 {
				t.Fatalf("resume before the merge = %v, want NotMergedError for revision 2", err)
			}
			if got, _ := c.awaiting(prod); got == nil || got.Number != 2 {
				t.Fatalf("after recovery and an early resume, awaiting = %+v, want revision 2", got)
			}

			rt.merged = true
			if tt.failAfter {
				c.Gates = append(DefaultGates(), gateFunc{After, "metrics", func(*GateCheck) bool { return false }})
			}
			plan, err = NewResume(c).Run(ctx, "prod")
			if tt.failAfter {
				// The way back is a change too: it awaits review, and
				// recovery does not push it again.
				if !errors.Is(err, ErrGate) || !plan.RolledBack || !strings.Contains(err.Error(), "the rollback of prod to revision 1 awaits review: merge branch ferry/prod/revision-3") {
					t.Fatalf("resume with a failing after-deploy gate = %v (rolled back %v)", err, plan.RolledBack)
				}
				if err := NewRecover(c).Run(ctx, "prod"); err != nil || len(rt.branches) != 2 {
					t.Errorf("recovery after it = %v, branches %v; want the one rollback branch", err, rt.branches)
				}
				return
			}
			switch {
			case tt.failResume == "" && err != nil:
				t.Fatalf("resume after the merge = %v", err)
			case tt.failResume != "" && (err == nil || !errors.As(err, new(*platform.DeployError))):
				t.Fatalf("resume of a refused merge = %v, want the engine's error", err)
			}
			var got *state.Revision
			_ = c.view(prod, func(tx state.Tx) error { got, err = tx.Get("prod", 2); return err })
			if got.Outcome != tt.wantOut || got.GatesPending || AwaitsReview(got) {
				t.Errorf("revision 2 = %s (%q), gates pending %v; want %s", got.Outcome, got.Reason, got.GatesPending, tt.wantOut)
			}
			if tt.wantOut == state.Live && (len(got.Gates) <= before || len(plan.Gates) != len(got.Gates)) {
				t.Errorf("after-deploy gates did not run: %d gates before, %d after (plan %d)", before, len(got.Gates), len(plan.Gates))
			}
			if tt.failResume != "" && got.Reason == "" {
				t.Error("a failed revision has no reason")
			}
			if cur, _ := c.current(prod); cur == nil || cur.Number != tt.wantProd {
				t.Errorf("prod's live revision = %+v, want %d", cur, tt.wantProd)
			}
			if _, err := NewResume(c).Run(ctx, "prod"); !errors.Is(err, ErrInput) {
				t.Errorf("a second resume = %v, want nothing awaiting (bad input)", err)
			}
		})
	}
}
