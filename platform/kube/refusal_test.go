package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/promote"
)

// A promotion into a kube environment refused on one machine shows in
// the history another machine reads — two checkouts, two HOMEs, no file
// in common — because the refusal is kept with the environment's record
// in the cluster, not under either checkout's .ferry/.
func TestRefusalSharedBetweenTwoMachines(t *testing.T) {
	ctx := context.Background()
	// A soak of an hour: staging, just deployed, has not soaked, so a
	// promotion to prod is refused.
	kp, other := twoCheckouts(t, "1h")
	homeA, homeB := t.TempDir(), t.TempDir()

	t.Setenv("HOME", homeA)
	alice := kp.engine(t, "alice@laptop")
	d := promote.NewDeploy(alice)
	d.Artifact = "1.0.0"
	if _, err := d.Run(ctx, "staging"); err != nil {
		t.Fatalf("deploy staging: %v", err)
	}
	if _, err := promote.NewPromote(alice).Run(ctx, "staging", "prod"); !errors.Is(err, promote.ErrGate) {
		t.Fatalf("alice's promotion = %v, want refused by a gate", err)
	}

	t.Setenv("HOME", homeB)
	bob := other.engine(t, "bob@desk")
	got, err := promote.Refusals(bob, "prod")
	if err != nil || len(got) != 1 {
		t.Fatalf("bob sees refusals %+v, %v; want alice's one", got, err)
	}
	if r := got[0]; r.By != "alice@laptop" || r.From != "staging" || r.Environment != "prod" || !strings.Contains(r.Reason, "soak") || len(r.Gates) == 0 {
		t.Errorf("bob sees refusal %+v, want alice's, refused by the soak", r)
	}
	h, err := promote.NewHistory(bob).RunFull(ctx, "prod")
	if err != nil || len(h.Refused) != 1 {
		t.Errorf("bob's history of prod = %+v, %v; want alice's refusal", h, err)
	}
	if st, err := promote.Refusals(bob, "staging"); err != nil || len(st) != 0 {
		t.Errorf("staging's refusals = %+v, %v; want none: the refusal is prod's", st, err)
	}
	for _, dir := range []string{kp.dir, other.dir} {
		if _, err := os.Stat(filepath.Join(dir, ".ferry", "refused")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s keeps refusals under .ferry/ (%v): they belong in the cluster", dir, err)
		}
	}
}

// twoCheckouts is the example project with a kube staging (soaking as
// soak says) and prod, in two checkouts with no file in common: two
// machines working on one pair of environments.
func twoCheckouts(t *testing.T, soak string) (kp, other *kubeProject) {
	t.Helper()
	c := testcluster.Get(t)
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp = newKubeProjectWith(t, c.Kubeconfig, "orders-api", fmt.Sprintf(`  staging:
    target: kube
    namespace: %s
    soak: %s
    health: readiness
  prod:
    target: kube
    namespace: %s
    health: readiness
`, staging.Namespace, soak, prod.Namespace))
	other = &kubeProject{dir: t.TempDir(), digest: kp.digest}
	if err := os.CopyFS(other.dir, os.DirFS(kp.dir)); err != nil {
		t.Fatal(err)
	}
	return kp, other
}
