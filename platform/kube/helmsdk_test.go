package kube

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"

	"github.com/ferrydev/ferry/internal/testcluster"
)

// helmAction is Helm's own pkg/action configuration for env, as the helm
// CLI builds it: tests use it to act on releases as `helm` does, which
// ferry's binary does not (pkg/action brings Helm's plugin runtime).
func helmAction(t testing.TB, env Env) *action.Configuration {
	t.Helper()
	// The helm CLI applies as field manager "helm" (its binary's name).
	helmkube.ManagedFieldsManager = "helm"
	env.defaults()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &env.Kubeconfig, &env.Namespace
	if env.Context != "" {
		flags.Context = &env.Context
	}
	cfg := action.NewConfiguration()
	if err := cfg.Init(flags, env.Namespace, "secret"); err != nil {
		t.Fatalf("helm action configuration: %v", err)
	}
	return cfg
}

// TestHelmActsOnFerrysRelease: a release ferry deployed is one Helm's own
// SDK reads and rolls back (helm history/status/rollback), and ferry
// carries on from the revision Helm made.
func TestHelmActsOnFerrysRelease(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	env := exampleEnv(t, c, "staging")
	for _, d := range []string{digestA, digestB} {
		if _, err := k.Deploy(ctx, env, d, Meta{Op: "deploy", Tag: "1.0.0"}, DeployOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := helmAction(t, env)
	hist, err := action.NewHistory(cfg).Run(env.Release)
	if err != nil {
		t.Fatalf("helm history: %v", err)
	}
	var got []string
	for _, r := range hist {
		rel := r.(*rv1.Release)
		got = append(got, fmt.Sprintf("%d:%s", rel.Version, rel.Info.Status))
	}
	if strings.Join(got, ",") != "1:superseded,2:deployed" {
		t.Errorf("helm history = %v, want 1:superseded,2:deployed", got)
	}
	st, err := action.NewStatus(cfg).Run(env.Release)
	if err != nil {
		t.Fatalf("helm status: %v", err)
	}
	if rel := st.(*rv1.Release); rel.Version != 2 || !strings.Contains(rel.Manifest, "orders-api@"+digestB) || rel.Labels[labelOp] != "deploy" {
		t.Errorf("helm status = revision %d, labels %v; want 2 with the manifest pinned to %s", rel.Version, rel.Labels, digestB)
	}

	// Helm applies as another field manager than ferry, so taking the
	// image back needs --force-conflicts, as with any other manager.
	rb := action.NewRollback(cfg)
	rb.Version, rb.ServerSideApply, rb.ForceConflicts = 1, "true", true
	rb.WaitStrategy, rb.Timeout = helmkube.StatusWatcherStrategy, env.Timeout
	if err := rb.Run(env.Release); err != nil {
		t.Fatalf("helm rollback: %v", err)
	}
	d, err := c.Client.AppsV1().Deployments(env.Namespace).Get(ctx, "orders-api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "orders-api@"+digestA {
		t.Errorf("after helm rollback the deployment runs %q, want orders-api@%s", img, digestA)
	}
	if s := helmStates(t, env); s != "superseded,superseded,deployed" {
		t.Errorf("ferry reads the history as %s, want superseded,superseded,deployed", s)
	}
	// helm now owns the image field: taking it back is --force-conflicts.
	res, err := k.Deploy(ctx, env, digestB, Meta{Op: "deploy"}, DeployOptions{ForceConflicts: true})
	if err != nil {
		t.Fatalf("deploy after helm rollback: %v", err)
	}
	if res.Revision.Number != 4 || res.Revision.Digest != digestB {
		t.Errorf("deploy after helm rollback = %+v, want revision 4 with %s", res.Revision, digestB)
	}
}

// TestFerryCarriesOnHelmsRelease: a release Helm's SDK installed
// (server-side, as helm 4 does) is one ferry reads and upgrades, and
// Helm reads ferry's revision after it.
func TestFerryCarriesOnHelmsRelease(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	env := exampleEnv(t, c, "prod")
	ch, vals, err := loadChart(env)
	if err != nil {
		t.Fatal(err)
	}
	cfg := helmAction(t, env)
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace = env.Release, env.Namespace
	in.ServerSideApply = true
	in.WaitStrategy, in.Timeout = helmkube.StatusWatcherStrategy, env.Timeout
	if _, err := in.RunWithContext(ctx, ch, mergeValues(vals, map[string]any{"image": map[string]any{"digest": digestA}})); err != nil {
		t.Fatalf("helm install: %v", err)
	}
	k := &Kube{}
	live, err := k.Live(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if live.Digest != digestA || live.Revision.Number != 1 || live.Revision.Status != "deployed" || live.Revision.Ferry != 0 {
		t.Errorf("ferry reads helm's release as %+v (digest %s), want revision 1 deployed with %s, not ferry's", live.Revision, live.Digest, digestA)
	}
	// The image field is Helm's (field manager "helm"): ferry names the
	// manager and leaves the release as it was, unless told to take the
	// field over.
	_, err = k.Deploy(ctx, env, digestB, Meta{Op: "deploy", Revision: 7}, DeployOptions{})
	var de *DeployError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), `conflict with "helm"`) || !de.Restored {
		t.Fatalf("ferry deploy over helm's fields = %v, want a conflict naming helm, the release restored", err)
	}
	res, err := k.Deploy(ctx, env, digestB, Meta{Op: "deploy", Revision: 7}, DeployOptions{ForceConflicts: true})
	if err != nil {
		t.Fatalf("ferry deploy over helm's release: %v", err)
	}
	if res.Revision.Number != 4 || res.Revision.Ferry != 7 || res.Revision.Digest != digestB {
		t.Errorf("ferry's revision = %+v, want 4 (ferry 7) with %s", res.Revision, digestB)
	}
	hist, err := action.NewHistory(cfg).Run(env.Release)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range hist {
		rel := r.(*rv1.Release)
		got = append(got, fmt.Sprintf("%d:%s:%s", rel.Version, rel.Info.Status, rel.ApplyMethod))
	}
	if strings.Join(got, ",") != "1:superseded:ssa,2:failed:ssa,3:superseded:ssa,4:deployed:ssa" {
		t.Errorf("helm history after ferry's deploy = %v", got)
	}
}

// hooksEnv is the payments-worker chart (testdata/hooks): a CRD in crds/
// and a resource of its kind, pre-install/pre-upgrade hooks at weights
// -5 and 5, a post-install/post-upgrade hook kept on success, and a test
// hook.
func hooksEnv(t *testing.T, c *testcluster.Cluster) Env {
	t.Helper()
	dir, err := filepath.Abs("testdata/hooks/chart")
	if err != nil {
		t.Fatal(err)
	}
	return Env{
		Name: "staging", Kubeconfig: c.Kubeconfig, Namespace: c.Namespace(t), Release: "payments",
		Chart: dir, Image: "payments-worker", Timeout: 60 * time.Second, Health: "readiness",
	}
}

// TestHooksRunInWeightOrderAndGoByPolicy: ferry runs a chart's hooks as
// helm install/upgrade do — CRDs first, hooks by weight, each waited for
// and deleted as its policy says — and never runs test hooks.
func TestHooksRunInWeightOrderAndGoByPolicy(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	env := hooksEnv(t, c)
	res, err := k.Deploy(ctx, env, digestA, Meta{Op: "deploy"}, DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The hooks run the service's image too, so they are pinned.
	if want := "Deployment/payments container worker,Job/payments-migrate container migrate,Job/payments-smoke container smoke"; strings.Join(sorted(res.Pinned), ",") != want {
		t.Errorf("pinned %v, want %s", res.Pinned, want)
	}
	cm, err := c.Client.CoreV1().ConfigMaps(env.Namespace).Get(ctx, "payments-schema", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the schema hook (default policy) is kept until the next run: %v", err)
	}
	if cm.Data["revision"] != "1" {
		t.Errorf("schema hook data %v, want revision 1", cm.Data)
	}
	if _, err := c.Client.BatchV1().Jobs(env.Namespace).Get(ctx, "payments-migrate", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the migrate hook (hook-succeeded) is still there: %v", err)
	}
	smoke, err := c.Client.BatchV1().Jobs(env.Namespace).Get(ctx, "payments-smoke", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the smoke hook (hook-failed only) went after succeeding: %v", err)
	}
	if img := smoke.Spec.Template.Spec.Containers[0].Image; img != "payments-worker@"+digestA {
		t.Errorf("smoke hook image %q, want pinned", img)
	}
	if _, err := c.Client.CoreV1().Pods(env.Namespace).Get(ctx, "payments-test-queue", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the test hook ran on deploy: %v", err)
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	route, err := dyn.Resource(schema.GroupVersionResource{Group: "payments.example.test", Version: "v1", Resource: "queueroutes"}).
		Namespace(env.Namespace).Get(ctx, "payments", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the resource of the chart's CRD: %v", err)
	}
	if q, _, _ := unstructured.NestedString(route.Object, "spec", "queue"); q != "payments.incoming" {
		t.Errorf("queue route spec.queue = %q", q)
	}
	checkHookOrder(t, env, 1, rv1.HookPreInstall, "payments-schema", "payments-migrate")

	// The upgrade runs the pre-upgrade hooks again: the schema record is
	// deleted before it is created anew (before-hook-creation).
	if _, err := k.Deploy(ctx, env, digestB, Meta{Op: "deploy"}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	cm2, err := c.Client.CoreV1().ConfigMaps(env.Namespace).Get(ctx, "payments-schema", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm2.UID == cm.UID || cm2.Data["revision"] != "2" {
		t.Errorf("schema hook after upgrade: uid %s (was %s), data %v; want a new object with revision 2", cm2.UID, cm.UID, cm2.Data)
	}
	checkHookOrder(t, env, 2, rv1.HookPreUpgrade, "payments-schema", "payments-migrate")
	if _, err := c.Client.BatchV1().Jobs(env.Namespace).Get(ctx, "payments-migrate", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the migrate hook is still there after the upgrade: %v", err)
	}
	if s := helmStates(t, env); s != "superseded,deployed" {
		t.Errorf("history %s", s)
	}
}

// checkHookOrder asserts, from the hook runs Helm's release record keeps,
// that revision's hooks for event ran in the order given and succeeded.
func checkHookOrder(t *testing.T, env Env, revision int, event rv1.HookEvent, order ...string) {
	t.Helper()
	_, rels := releasesOf(t, env)
	var rel *rv1.Release
	for _, r := range rels {
		if r.Version == revision {
			rel = r
		}
	}
	if rel == nil {
		t.Fatalf("no revision %d", revision)
	}
	var runs []*rv1.Hook
	for _, name := range order {
		for _, h := range rel.Hooks {
			if h.Name == name && slices.Contains(h.Events, event) {
				runs = append(runs, h)
			}
		}
	}
	if len(runs) != len(order) {
		t.Fatalf("revision %d has %d of the %s hooks %v", revision, len(runs), event, order)
	}
	for i, h := range runs {
		if h.LastRun.Phase != rv1.HookPhaseSucceeded {
			t.Errorf("hook %s phase %s", h.Name, h.LastRun.Phase)
		}
		if i > 0 && !runs[i-1].LastRun.CompletedAt.Before(h.LastRun.StartedAt) && !runs[i-1].LastRun.CompletedAt.Equal(h.LastRun.StartedAt) {
			t.Errorf("hook %s (weight %d) started %s, before %s (weight %d) completed %s",
				h.Name, h.Weight, h.LastRun.StartedAt, runs[i-1].Name, runs[i-1].Weight, runs[i-1].LastRun.CompletedAt)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestRecordsPruneAsHelmDoes: with a history limit, creating a revision
// removes the oldest records but never the deployed one, as helm
// --history-max does, and Helm's own SDK reads what is left.
func TestRecordsPruneAsHelmDoes(t *testing.T) {
	c := testcluster.Get(t)
	env := Env{Name: "staging", Kubeconfig: c.Kubeconfig, Namespace: c.Namespace(t), Release: "billing"}
	cn, err := dial(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := cn.helm.Releases
	status := map[int]rcommon.Status{1: rcommon.StatusSuperseded, 2: rcommon.StatusDeployed, 3: rcommon.StatusFailed, 4: rcommon.StatusFailed, 5: rcommon.StatusFailed, 6: rcommon.StatusPendingUpgrade}
	for v := 1; v <= 6; v++ {
		if v == 6 {
			recs.MaxHistory = 3
		}
		rel := &rv1.Release{Name: "billing", Namespace: env.Namespace, Version: v,
			Info: &rv1.Info{Status: status[v], Description: fmt.Sprintf("revision %d", v)}, Labels: map[string]string{labelOp: "deploy"}}
		if err := recs.Create(rel); err != nil {
			t.Fatalf("create revision %d: %v", v, err)
		}
	}
	hist, err := action.NewHistory(helmAction(t, env)).Run("billing")
	if err != nil {
		t.Fatalf("helm history: %v", err)
	}
	var got []string
	for _, r := range hist {
		rel := r.(*rv1.Release)
		got = append(got, fmt.Sprintf("%d:%s:%s", rel.Version, rel.Info.Status, rel.Labels[labelOp]))
	}
	slices.Sort(got)
	if want := "2:deployed:deploy,5:failed:deploy,6:pending-upgrade:deploy"; strings.Join(got, ",") != want {
		t.Errorf("helm history after pruning to 3 = %v, want %s", got, want)
	}
}
