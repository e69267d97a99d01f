package kube

import (
	"context"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/promote"
	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
)

// BenchmarkVerifyStatus10Pods times `ferry verify prod` and `ferry status`
// (the engine's operations, render included) on a 10-pod release, against
// the local API server. Target: ≤ 300 ms each.
func BenchmarkVerifyStatus10Pods(b *testing.B) {
	c := testcluster.Get(b)
	ctx := context.Background()
	staging, prod := exampleEnv(b, c, "staging"), exampleEnv(b, c, "prod")
	kp := newKubeProject(b, c, staging.Namespace, prod.Namespace)
	kp.deploy(b, "prod", "bench")
	if _, err := c.WaitPods(ctx, prod.Namespace, "app.kubernetes.io/name=orders-api", 10, time.Minute); err != nil {
		b.Fatal(err)
	}
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			v, err := promote.NewVerify(kp.engine(b, "bench")).Run(ctx, "prod")
			if err != nil || len(v.Instances) != 10 {
				b.Fatalf("verify: %v (%d instances)", err, len(v.Instances))
			}
		}
	})
	b.Run("status", func(b *testing.B) {
		for b.Loop() {
			if _, err := promote.NewStatus(kp.engine(b, "bench")).Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDeployOverHelmUpgrade compares ferry's deploy of the example
// chart (pending check, values, pin, server-side apply, kstatus wait,
// release labels) with a raw Helm SDK upgrade of the same chart and
// values with the same wait, each a real rollout to a new digest.
// Target: ratio ≤ 1.2.
func BenchmarkDeployOverHelmUpgrade(b *testing.B) {
	c := testcluster.Get(b)
	ctx := context.Background()
	ferryEnv, helmEnv := exampleEnv(b, c, "staging"), exampleEnv(b, c, "staging")
	k := &Kube{}
	digests := []string{digestA, digestB}
	if _, err := k.Deploy(ctx, ferryEnv, digestA, Meta{}, DeployOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := k.Deploy(ctx, helmEnv, digestA, Meta{}, DeployOptions{}); err != nil {
		b.Fatal(err)
	}
	var ferryTime, helmTime time.Duration
	i := 0
	for b.Loop() {
		i++
		dg := digests[i%2]
		start := time.Now()
		if _, err := k.Deploy(ctx, ferryEnv, dg, Meta{Op: "deploy"}, DeployOptions{}); err != nil {
			b.Fatal(err)
		}
		ferryTime += time.Since(start)

		// The raw upgrade is what one `helm upgrade -f … --set
		// image.digest=…` does through the SDK: load the kubeconfig and
		// the chart, merge the values, upgrade with the same wait.
		start = time.Now()
		cn, err := dial(helmEnv, nil)
		if err != nil {
			b.Fatal(err)
		}
		ch, vals, err := loadChart(cn.env)
		if err != nil {
			b.Fatal(err)
		}
		v := mergeValues(vals, map[string]any{"image": map[string]any{"digest": dg}})
		up := action.NewUpgrade(helmAction(b, helmEnv))
		up.Namespace = helmEnv.Namespace
		up.ServerSideApply = "true"
		up.WaitStrategy, up.Timeout = helmkube.StatusWatcherStrategy, time.Minute
		if _, err := up.RunWithContext(ctx, helmEnv.Release, ch, v); err != nil {
			b.Fatal(err)
		}
		helmTime += time.Since(start)
	}
	b.ReportMetric(float64(ferryTime.Milliseconds())/float64(i), "ferry-ms/op")
	b.ReportMetric(float64(helmTime.Milliseconds())/float64(i), "helm-ms/op")
	b.ReportMetric(float64(ferryTime)/float64(helmTime), "ratio")
}
