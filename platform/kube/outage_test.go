package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAPIServerGoneMidRollout: the API server goes away while a deploy
// waits for its rollout. The deploy fails as a target error (exit 3: not
// a rollout that failed, not bad input), naming the environment, within
// its timeout; the release is left as Helm left it — pending-upgrade,
// since nothing could record more — and once the API server is back the
// next deploy recovers it and goes live.
//
// The cluster is a second one of the test's own, since its API server is
// stopped under it.
func TestAPIServerGoneMidRollout(t *testing.T) {
	testcluster.Get(t) // the skip and CI rules
	ctx := context.Background()
	c, err := testcluster.Start(ctx, testcluster.Options{Name: "outage"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	k := &Kube{}
	env := exampleEnv(t, c, "staging")
	if _, err := k.Deploy(ctx, env, digestA, Meta{Op: "deploy"}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}

	// Revision 2 never becomes ready, so the deploy is still waiting
	// when the API server goes.
	slow := neverReady(t, env, 10*time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := k.Deploy(ctx, slow, digestB, Meta{Op: "deploy"}, DeployOptions{})
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.Client.AppsV1().Deployments(env.Namespace).Get(ctx, "orders-api", metav1.GetOptions{})
		if err == nil && d.Spec.Template.Spec.Containers[0].Image == "orders-api@"+digestB {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision 2 was never applied: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // into the wait
	c.StopAPIServer()
	stopped := time.Now()

	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the deploy did not return 2 minutes after the API server went away")
	}
	t.Logf("deploy returned %s after the API server went away: %v", time.Since(stopped).Round(time.Millisecond), err)
	var de *DeployError
	switch {
	case err == nil:
		t.Fatal("the deploy succeeded with the API server gone")
	case errors.As(err, &de):
		t.Errorf("an API server gone is a target failure (exit 3), not a rollout that failed (exit 1): %v", err)
	case errors.Is(err, ErrBadInput), errors.Is(err, platform.ErrBadInput):
		t.Errorf("an API server gone is not bad input: %v", err)
	case !strings.Contains(err.Error(), env.where()) || !strings.Contains(err.Error(), "stopped answering"):
		t.Errorf("error does not name the environment %q and say the cluster went away: %v", env.where(), err)
	}

	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	_, rels := releasesOf(t, env)
	// With the API server gone Helm could neither roll back nor record
	// the failure: revision 2 stays pending-upgrade, which would wedge
	// every later helm operation on the release.
	if last := rels[len(rels)-1]; last.Version != 2 || !last.Info.Status.IsPending() {
		t.Errorf("release after the outage: revision %d %s, want 2 pending-upgrade", last.Version, last.Info.Status)
	}
	begin := time.Now()
	res, err := k.Deploy(ctx, env, digestA, Meta{Op: "deploy"}, DeployOptions{})
	if err != nil {
		t.Fatalf("the deploy after the API server came back: %v", err)
	}
	t.Logf("the deploy after the outage took %s", time.Since(begin).Round(time.Millisecond))
	if !strings.Contains(res.Recovered, "revision 2 was left pending-upgrade") {
		t.Errorf("recovered %q, want revision 2's pending-upgrade named", res.Recovered)
	}
	if res.Revision.Status != "deployed" || res.Revision.Digest != digestA {
		t.Errorf("after the outage: revision %+v", res.Revision)
	}
	if got := helmStates(t, env); got != "superseded,failed,deployed" {
		t.Errorf("history after recovery %q, want superseded,failed,deployed", got)
	}
}

// TestAPIServerGoneMidDeployCommand: the same outage under `ferry deploy`
// (the engine, its Lease and the revision history in the cluster). The
// command fails as a target error (exit 3). Its Lease could not be
// released with the API server gone, so once it is back the next command
// is refused naming the holder until the Lease expires (aged here rather
// than waited for); then the next deploy recovers the release and the
// revision the outage left pending, and goes live.
func TestAPIServerGoneMidDeployCommand(t *testing.T) {
	testcluster.Get(t) // the skip and CI rules
	ctx := context.Background()
	c, err := testcluster.Start(ctx, testcluster.Options{Name: "outage-engine"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)
	kp.deploy(t, "staging", "alice@laptop")

	// Revision 2 never becomes ready: ferry.yaml's staging gets a values
	// file asking for more CPU than the node has, after revision 1.
	if err := os.WriteFile(filepath.Join(kp.dir, "values-greedy.yaml"), []byte("resources:\n  requests:\n    cpu: \"64\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ferryYAML := filepath.Join(kp.dir, "ferry.yaml")
	orig, err := os.ReadFile(ferryYAML)
	if err != nil {
		t.Fatal(err)
	}
	withGreedy := strings.Replace(string(orig), "    soak: 1s\n", "    soak: 1s\n    values: [chart/values.yaml, values-staging.yaml, values-greedy.yaml]\n", 1)
	if err := os.WriteFile(ferryYAML, []byte(withGreedy), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := kp.engine(t, "alice@laptop")
	cfg.HealthTimeout = 10 * time.Second
	done := make(chan error, 1)
	go func() {
		d := promote.NewDeploy(cfg)
		d.Artifact = "1.0.0"
		_, err := d.Run(ctx, "staging")
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.Client.AppsV1().Deployments(staging.Namespace).Get(ctx, "orders-api", metav1.GetOptions{})
		if err == nil && d.Generation > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision 2 was never applied: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	c.StopAPIServer()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("ferry deploy did not return 2 minutes after the API server went away")
	}
	var de *DeployError
	var locked *state.LockedError
	if err == nil || errors.As(err, &de) || errors.Is(err, promote.ErrGate) || errors.Is(err, promote.ErrInput) || errors.As(err, &locked) {
		t.Fatalf("ferry deploy with the API server gone: %v, want a target error (exit 3)", err)
	}
	t.Logf("ferry deploy with the API server gone: %v", err)
	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ferryYAML, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	d := promote.NewDeploy(kp.engine(t, "bob@desk"))
	d.Artifact = "1.0.0"
	if _, err := d.Run(ctx, "staging"); !errors.As(err, &locked) || !strings.Contains(locked.Holder.User, "alice@laptop") {
		t.Fatalf("deploy while the outage's Lease is fresh: %v, want refused naming alice@laptop", err)
	}
	ageLease(t, c, staging)
	rev := kp.deploy(t, "staging", "bob@desk")
	if rev.Number != 3 || rev.Outcome != state.Live {
		t.Errorf("the deploy after the outage made %d %s, want 3 live", rev.Number, rev.Outcome)
	}
	h, err := promote.NewHistory(kp.engine(t, "bob@desk")).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.Revisions {
		if r.Outcome == state.Pending {
			t.Errorf("revision %d still pending after recovery", r.Number)
		}
	}
	if got := helmStates(t, staging); got != "superseded,failed,deployed" {
		t.Errorf("helm history after recovery %q, want superseded,failed,deployed", got)
	}
}
