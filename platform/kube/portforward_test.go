package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/project"
)

// TestPortForwardReachesThePodsSubresource: when the pod's node cannot
// be reached (here kwok's node, for which no kubelet answers; see
// TestSmokeThroughPortForward for one that does), the port-forward fails
// at once with an error naming the environment, the pod and the port.
func TestPortForwardReachesThePodsSubresource(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	env := exampleEnv(t, c, "staging")
	if _, err := (&Kube{}).Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	pods, err := c.WaitPods(ctx, env.Namespace, "app.kubernetes.io/name=orders-api", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(example(t))
	if err != nil {
		t.Fatal(err)
	}
	tg := NewTarget(p, nil, "")
	t.Setenv("KUBECONFIG", env.Kubeconfig)
	pe := &project.Environment{Name: "staging", Target: "kube", Namespace: env.Namespace}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, stop, err := tg.PortForward(fctx, pe)
	if err == nil {
		stop()
		t.Fatalf("port-forward to a kwok pod opened %s; kwok runs no kubelet, so it cannot", u)
	}
	t.Logf("port-forward: %v", err)
	for _, want := range []string{"port-forward to staging", "pod " + pods[0].Name, "upgrading connection"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
