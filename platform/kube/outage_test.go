package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform"
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
