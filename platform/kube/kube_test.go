package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("FERRY_KUBE_KILL_HELPER"); dir != "" {
		os.Exit(killHelper(dir, os.Getenv("FERRY_KILL_AT")))
	}
	os.Exit(testcluster.Main(m))
}

// promoteSource is what the live gate learns of env through Target.Promotable:
// the digest that runs there, or why it cannot be promoted from.
func promoteSource(ctx context.Context, k *Kube, env Env) (string, *Live, error) {
	l, err := k.Live(ctx, env)
	if err != nil {
		return "", nil, err
	}
	if err := l.promotable(); err != nil {
		return "", l, err
	}
	return l.Digest, l, nil
}

// The digests the tests deploy: what `ferry build` would have produced.
const (
	digestA = "sha256:a3c1e04ab1a0f5ad8e2a6c4bd92b04bbdb6a7bd5b5e2b8bc2d0e3bd53c2f0a1d"
	digestB = "sha256:b7f02e9d4c1a88e0d5b3a1c9e7f6d2b4a0c8e6f4d2b0a9c7e5f3d1b9a7c5e3f1"
)

// example is the bundled example service's directory.
func example(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../../examples/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// exampleEnv is one of the bundled example's environments on the test
// cluster, in its own namespace, with the Secret the chart expects to
// find there (created outside the chart, as in a real cluster).
func exampleEnv(t testing.TB, c *testcluster.Cluster, name string, extraValues ...string) Env {
	t.Helper()
	dir := example(t)
	ns := c.Namespace(t)
	_, err := c.Client.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-api-db"},
		StringData: map[string]string{"password": "s3cret-" + name},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return Env{
		Name: name, Kubeconfig: c.Kubeconfig, Namespace: ns, Release: "orders-api",
		Chart:   filepath.Join(dir, "chart"),
		Values:  append([]string{filepath.Join(dir, "values-"+name+".yaml")}, extraValues...),
		Image:   "orders-api",
		Timeout: 60 * time.Second,
		Health:  "readiness",
	}
}

func TestInstallStagingFromExampleChart(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	env := exampleEnv(t, c, "staging")
	res, err := k.Deploy(ctx, env, digestA, Meta{Op: "deploy", Tag: "1.0.0", By: "alice@laptop"}, DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("install took %s", res.Took.Round(time.Millisecond))
	if res.Revision.Number != 1 || res.Revision.Status != "deployed" || res.Revision.Digest != digestA {
		t.Errorf("revision = %+v, want 1 deployed %s", res.Revision, digestA)
	}
	if strings.Join(res.Pinned, ",") != "Deployment/orders-api container orders-api" {
		t.Errorf("pinned %q", res.Pinned)
	}
	live, err := k.Live(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if live.Digest != digestA || len(live.Pods) != 1 || !live.Pods[0].Ready || live.Rollout != "" {
		t.Errorf("live = digest %s, pods %+v, rollout %q", live.Digest, live.Pods, live.Rollout)
	}
	// The Deployment was applied server-side by ferry, and the pod spec
	// carries the pinned image, whatever the chart's tag said.
	d, err := c.Client.AppsV1().Deployments(env.Namespace).Get(ctx, "orders-api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "orders-api@"+digestA {
		t.Errorf("deployment image %q", img)
	}
	applied := false
	for _, mf := range d.ManagedFields {
		applied = applied || (mf.Manager == FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply)
	}
	if !applied {
		t.Errorf("no server-side apply by %q in %+v", FieldManager, d.ManagedFields)
	}
	hist := helmHistory(t, env)
	if len(hist) != 1 || hist[0].Op != "deploy" || hist[0].Tag != "1.0.0" || hist[0].By != "alice_laptop" ||
		!strings.Contains(hist[0].Description, "ferry deploy: "+digestA+" (tag 1.0.0) by alice@laptop") {
		t.Errorf("history = %+v", hist)
	}
}

func TestPromoteToProdInAnotherNamespace(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	staging := exampleEnv(t, c, "staging")
	prod := exampleEnv(t, c, "prod")
	if _, err := k.Deploy(ctx, staging, digestA, Meta{Op: "deploy", Tag: "1.0.0"}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	d, src, err := promoteSource(ctx, k, staging)
	if err != nil {
		t.Fatal(err)
	}
	if d != digestA || src.Revision.Number != 1 {
		t.Fatalf("source = %s rev %d, want %s rev 1", d, src.Revision.Number, digestA)
	}
	res, err := k.Deploy(ctx, prod, d, Meta{Op: "promote", From: "staging", Tag: "1.0.0", Gates: []string{"source-healthy", "soak"}}, DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision.From != "staging" || res.Revision.Digest != digestA {
		t.Errorf("prod revision = %+v", res.Revision)
	}
	live, err := k.Live(ctx, prod)
	if err != nil {
		t.Fatal(err)
	}
	// values-prod.yaml asks for 10 replicas; every one runs the digest.
	if live.Digest != digestA || len(live.Pods) != 10 {
		t.Errorf("prod live: digest %s, %d pods", live.Digest, len(live.Pods))
	}
	for _, p := range live.Pods {
		if p.ImageID != "orders-api@"+digestA || p.Node != testcluster.NodeName {
			t.Errorf("pod %s: imageID %q node %q", p.Name, p.ImageID, p.Node)
		}
	}
}

func TestUpgradeNeverReadyIsRolledBack(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	env := exampleEnv(t, c, "staging")
	if _, err := k.Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := neverReady(t, env, 4*time.Second)
	_, err := k.Deploy(ctx, bad, digestB, Meta{}, DeployOptions{})
	var de *DeployError
	if !errors.As(err, &de) {
		t.Fatalf("deploy of a never-ready revision: %v, want *DeployError", err)
	}
	if !de.Restored || de.Revision != 2 {
		t.Errorf("DeployError = %+v, want revision 2 restored", de)
	}
	if !strings.Contains(strings.Join(de.LogTail, "\n"), "Insufficient cpu") {
		t.Errorf("details do not say why: %q", de.LogTail)
	}
	if got := helmStates(t, env); got != "superseded,failed,deployed" {
		t.Errorf("history states %q, want superseded,failed,deployed", got)
	}
	live, err := k.Live(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if live.Revision.Digest != digestA {
		t.Errorf("after rollback the release pins %s, want %s", live.Revision.Digest, digestA)
	}
	// Once the rollback's rollout settles the source is promotable again.
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, _, err := promoteSource(ctx, k, env)
		if err == nil {
			if d != digestA {
				t.Errorf("source digest %s after rollback, want %s", d, digestA)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("source never settled after the rollback: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestSourceRefusesMixedImageIDs(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	env := exampleEnv(t, c, "prod")
	if _, err := k.Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	live, err := k.Live(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	// One node pulled another digest for the same reference, as a kubelet
	// would report after a tag moved under an unpinned deploy.
	odd := live.Pods[3].Name
	if err := c.SetContainerStatus(ctx, env.Namespace, odd, "orders-api", func(s *corev1.ContainerStatus) {
		s.ImageID = "orders-api@" + digestB
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err = promoteSource(ctx, k, env)
	var np *NotPromotableError
	if !errors.As(err, &np) {
		t.Fatalf("Source with mixed imageIDs: %v, want *NotPromotableError", err)
	}
	if !strings.Contains(err.Error(), "different digests") || !strings.Contains(err.Error(), short(digestB)+" on "+odd) {
		t.Errorf("refusal does not name the odd pod: %v", err)
	}
	// A pod that reports no imageID at all is refused too.
	if err := c.SetContainerStatus(ctx, env.Namespace, odd, "orders-api", func(s *corev1.ContainerStatus) { s.ImageID = "" }); err != nil {
		t.Fatal(err)
	}
	if _, _, err = promoteSource(ctx, k, env); !errors.As(err, &np) || !strings.Contains(err.Error(), "no image digest") || !strings.Contains(err.Error(), odd) {
		t.Errorf("Source with a pod without imageID: %v", err)
	}
}

func TestLeaseOneHolderAtATime(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	env := exampleEnv(t, c, "prod")
	// Two ferries, no shared state but the cluster: two Kube values, two
	// connections.
	holders := []state.Holder{{User: "alice@laptop", Command: "ferry promote staging prod", PID: 101}, {User: "bob@desk", Command: "ferry deploy prod", PID: 202}}
	var wg sync.WaitGroup
	locks := make([]*Lock, 2)
	errs := make([]error, 2)
	for i := range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locks[i], errs[i] = (&Kube{}).Lock(ctx, env, holders[i])
		}()
	}
	wg.Wait()
	won, lost := -1, -1
	for i := range holders {
		if errs[i] == nil {
			won = i
		} else {
			lost = i
		}
	}
	if won < 0 || lost < 0 {
		t.Fatalf("want exactly one lock: errs %v", errs)
	}
	// The holder comes back whole, typed: no text to parse.
	var le *LockedError
	var sle *state.LockedError
	want := holders[won]
	if !errors.As(errs[lost], &le) || !errors.As(errs[lost], &sle) || !errors.Is(errs[lost], state.ErrLocked) ||
		sle.Holder.User != want.User || sle.Holder.Command != want.Command || sle.Holder.PID != want.PID ||
		time.Since(sle.Holder.Since) > time.Minute || le.Expires.Before(sle.Holder.Since) {
		t.Fatalf("loser's error %v, want a *LockedError naming %+v", errs[lost], want)
	}
	if !strings.Contains(errs[lost].Error(), "alice@laptop") && !strings.Contains(errs[lost].Error(), "bob@desk") {
		t.Errorf("the message names no holder: %v", errs[lost])
	}
	if err := locks[won].Release(); err != nil {
		t.Fatal(err)
	}
	again, err := (&Kube{}).Lock(ctx, env, holders[lost])
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	if err := again.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestLeaseOfKilledHolderExpires(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	env := exampleEnv(t, c, "prod")
	tests := []struct {
		name    string
		renewed time.Duration // ago
		wantErr bool
	}{
		{"renewed just now: held", 5 * time.Second, true},
		{"not renewed for longer than its duration: free", LeaseDuration + 5*time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leases := c.Client.CoordinationV1().Leases(env.Namespace)
			_ = leases.Delete(ctx, leaseName(env), metav1.DeleteOptions{})
			at := metav1.NewMicroTime(time.Now().Add(-tt.renewed))
			if _, err := leases.Create(ctx, &coordv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: leaseName(env)},
				Spec: coordv1.LeaseSpec{HolderIdentity: ptr.To("carol@ci pid 9 (killed)"), AcquireTime: &at, RenewTime: &at,
					LeaseDurationSeconds: ptr.To(int32(LeaseDuration / time.Second))},
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			lk, err := (&Kube{}).Lock(ctx, env, state.Holder{User: "dave@desk", Command: "ferry deploy prod", PID: 7})
			if tt.wantErr {
				// A Lease taken by something other than ferry: its
				// identity is all there is to name.
				var le *state.LockedError
				if !errors.As(err, &le) || le.Holder.Command != "carol@ci pid 9 (killed)" {
					t.Fatalf("lock over a live lease: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("lock over an expired lease: %v", err)
			}
			lk.Release()
		})
	}
}

func TestPendingReleaseIsRecovered(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	env := exampleEnv(t, c, "staging")
	if _, err := k.Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	// A ferry killed mid-upgrade leaves the newest revision
	// pending-upgrade; Helm refuses any operation on such a release.
	cn, rels := releasesOf(t, env)
	last := rels[len(rels)-1]
	last.Info.Status = rcommon.StatusPendingUpgrade
	if err := cn.helm.Releases.Update(last); err != nil {
		t.Fatal(err)
	}
	res, err := k.Deploy(ctx, env, digestB, Meta{}, DeployOptions{})
	if err != nil {
		t.Fatalf("deploy after a killed one: %v", err)
	}
	if !strings.Contains(res.Recovered, "pending-upgrade") || res.Revision.Digest != digestB {
		t.Errorf("result = %+v", res)
	}
}

func TestRollbackAndDown(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	k := &Kube{}
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)
	second := kp.put(t, "2.0.0")
	for _, ref := range []string{"1.0.0", "2.0.0"} {
		d := promote.NewDeploy(kp.engine(t, "alice@laptop"))
		d.Artifact = ref
		if _, err := d.Run(ctx, "staging"); err != nil {
			t.Fatalf("deploy %s: %v", ref, err)
		}
	}
	// `ferry rollback staging`, as a user runs it.
	rev, err := promote.NewRollback(kp.engine(t, "alice@laptop")).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	env := kp.kubeEnv(t, "staging")
	live, err := k.Live(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Number != 3 || rev.RollbackOf != 1 || rev.Digest != kp.digest || live.Digest != kp.digest || live.Revision.Number != 3 {
		t.Errorf("rollback made %+v, runs %s in release revision %d; want revision 3 with %s (not %s)", rev, live.Digest, live.Revision.Number, kp.digest, second)
	}
	rb := promote.NewRollback(kp.engine(t, "alice@laptop"))
	rb.To = 9
	if _, err := rb.Run(ctx, "staging"); !errors.Is(err, promote.ErrInput) && !errors.Is(err, state.ErrNoRevision) {
		t.Errorf("rollback to a revision that does not exist: %v", err)
	}
	if err := k.Down(ctx, env); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Live(ctx, env); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("live after down: %v", err)
	}
	pods, err := c.Client.CoreV1().Pods(env.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			t.Errorf("pod %s still up after down", p.Name)
		}
	}
	// The history outlives the release, and a new deploy continues it.
	res, err := k.Deploy(ctx, env, digestB, Meta{}, DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision.Number != 4 {
		t.Errorf("deploy after down made revision %d, want 4", res.Revision.Number)
	}
}

func TestUnknownContextIsBadInput(t *testing.T) {
	c := testcluster.Get(t)
	env := Env{Name: "prod", Kubeconfig: c.Kubeconfig, Context: "no-such-context", Release: "orders-api"}
	_, err := (&Kube{}).Live(context.Background(), env)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "no-such-context") {
		t.Errorf("unknown context: %v", err)
	}
}

// TestForbiddenNamespaceNamesRBAC: a user the cluster's RBAC allows
// nothing gets an error that says so, naming the user and what was
// denied, and the engine treats it as a target failure (exit 3).
func TestForbiddenNamespaceNamesRBAC(t *testing.T) {
	c := testcluster.Get(t)
	env := exampleEnv(t, c, "prod")
	kc, err := c.NobodyKubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	env.Kubeconfig = kc
	_, err = (&Kube{}).Live(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), `User "nobody" cannot`) || !strings.Contains(err.Error(), env.Namespace) {
		t.Fatalf("live as a user without permission: %v", err)
	}
	if errors.Is(err, ErrBadInput) {
		t.Errorf("a permission error is the cluster's answer, not bad input: %v", err)
	}
}

// releasesOf connects to env and returns its release's revisions.
// neverReady is env with a values file that asks for more CPU than the
// node has: its next revision's pod stays Pending (FailedScheduling), as
// on a real cluster, until timeout.
func neverReady(t *testing.T, env Env, timeout time.Duration) Env {
	t.Helper()
	greedy := filepath.Join(t.TempDir(), "values-greedy.yaml")
	if err := os.WriteFile(greedy, []byte("resources:\n  requests:\n    cpu: \"64\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Values = append(append([]string(nil), env.Values...), greedy)
	env.Timeout = timeout
	return env
}

// helmHistory is the release's revisions as `helm history` reads them
// (Helm's release records), oldest first.
func helmHistory(t *testing.T, env Env) []Revision {
	t.Helper()
	cn, rels := releasesOf(t, env)
	out := make([]Revision, 0, len(rels))
	for _, r := range rels {
		out = append(out, revisionOf(r, cn.env.Image))
	}
	return out
}

// helmStates is the release's history as `helm history` shows its
// statuses, oldest first: "superseded,failed,deployed".
func helmStates(t *testing.T, env Env) string {
	t.Helper()
	var states []string
	for _, r := range helmHistory(t, env) {
		states = append(states, r.Status)
	}
	return strings.Join(states, ",")
}

func releasesOf(t *testing.T, env Env) (*conn, []*rv1.Release) {
	t.Helper()
	cn, err := dial(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	rels, err := cn.releases()
	if err != nil {
		t.Fatal(err)
	}
	return cn, rels
}
