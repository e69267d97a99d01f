package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	coordv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// kubeProject is a copy of the bundled example whose environments are on
// the test cluster (namespace per environment), found through $KUBECONFIG
// and its current context as kubectl would, with an artifact built into
// its store. Each call is a separate ferry with no state of its own.
type kubeProject struct {
	dir    string
	digest string
}

func newKubeProject(t testing.TB, c *testcluster.Cluster, nsStaging, nsProd string) *kubeProject {
	t.Helper()
	return newKubeProjectWith(t, c.Kubeconfig, "orders-api", fmt.Sprintf(`  staging:
    target: kube
    namespace: %s
    soak: 1s
    health: readiness
  prod:
    target: kube
    namespace: %s
    health: readiness
`, nsStaging, nsProd))
}

// newKubeProjectWith writes ferry.yaml with the given environments block
// and points $KUBECONFIG (a list, as kubectl takes it) at kubeconfig.
func newKubeProjectWith(t testing.TB, kubeconfig, image, environments string) *kubeProject {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(example(t))); err != nil {
		t.Fatal(err)
	}
	ferry := "service: orders-api\nchart: chart\nimage: " + image + "\npath: [staging, prod]\nenvironments:\n" + environments
	if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(ferry), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	kp := &kubeProject{dir: dir}
	kp.digest = kp.put(t, "1.0.0")
	return kp
}

// put builds an artifact tagged tag into the project's store and
// returns its digest: a real OCI image packaged from a stand-in
// executable (kwok runs no containers), different for every tag.
func (kp *kubeProject) put(t testing.TB, tag string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orders-api")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho orders-api "+tag+" "+t.Name()+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img, desc, err := artifact.Package(bin, "orders-api", filepath.Join(kp.dir, "configs"), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := artifact.NewStore(kp.dir).Put(img, tag, false); err != nil {
		t.Fatal(err)
	}
	return desc.Digest
}

// engine is one ferry process's view: a fresh project load and engine.
func (kp *kubeProject) engine(t testing.TB, user string) *promote.Config {
	t.Helper()
	p, err := project.Load(kp.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := promote.New(p)
	cfg.User = user
	return cfg
}

// deploy runs `ferry deploy ENV --artifact 1.0.0` as user.
func (kp *kubeProject) deploy(t testing.TB, env, user string) *state.Revision {
	t.Helper()
	d := promote.NewDeploy(kp.engine(t, user))
	d.Artifact = "1.0.0"
	rev, err := d.Run(context.Background(), env)
	if err != nil {
		t.Fatalf("deploy %s: %v", env, err)
	}
	return rev
}

func TestEngineDeployPromoteVerifyDriftOnKube(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)

	rev := kp.deploy(t, "staging", "alice@laptop")
	if rev.Number != 1 || rev.Digest != kp.digest || rev.Outcome != state.Live {
		t.Fatalf("deploy staging: %+v", rev)
	}
	time.Sleep(1100 * time.Millisecond) // staging's soak

	// Another laptop: no local state, same cluster.
	plan, err := promote.NewPromote(kp.engine(t, "bob@desk")).Run(ctx, "staging", "prod")
	if err != nil {
		t.Fatalf("promote: %v (gates %+v)", err, plan)
	}
	if plan.Digest != kp.digest || plan.Revision == nil || plan.Revision.PromotedFrom != "staging" {
		t.Fatalf("plan = %+v", plan)
	}
	live, err := (&Kube{}).Live(ctx, prod)
	if err != nil {
		t.Fatal(err)
	}
	if live.Digest != kp.digest || len(live.Pods) != 10 || live.Revision.Ferry != 1 || live.Revision.From != "staging" || live.Revision.Op != "promote" {
		t.Errorf("prod runs %s on %d pods, release %+v", live.Digest, len(live.Pods), live.Revision)
	}
	// `helm history` tells the same story as ferry's.
	hist := helmHistory(t, prod)
	if len(hist) != 1 || !strings.Contains(hist[0].Description, "ferry promote from staging: "+kp.digest) || !strings.Contains(hist[0].Description, "by bob@desk") {
		t.Errorf("helm history of prod: %+v", hist)
	}
	fh, err := promote.NewHistory(kp.engine(t, "carol@ci")).Run(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(fh.Revisions) != 1 {
		t.Errorf("ferry history of prod from a third ferry: %+v", fh)
	}

	v, err := promote.NewVerify(kp.engine(t, "carol@ci")).Run(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Digest != kp.digest || len(v.Instances) != 10 {
		t.Errorf("verify prod: ok=%v digest %s instances %d differences %+v health %s %s", v.OK(), v.Digest, len(v.Instances), v.Differences, v.Health, v.HealthDetail)
	}

	// kubectl edit of the ConfigMap: drift names the key and the field
	// manager; verify names the pods that started before the change.
	cms := c.Client.CoreV1().ConfigMaps(prod.Namespace)
	cm, err := cms.Get(ctx, "orders-api-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // managedFields times have second resolution
	cm.Data["LOG_LEVEL"] = "DEBUG"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	dr, err := promote.NewDrift(kp.engine(t, "carol@ci")).Run(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drift: %+v", dr)
	v, err = promote.NewVerify(kp.engine(t, "carol@ci")).Run(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for _, in := range v.Instances {
		if len(in.Stale) > 0 && strings.Contains(in.Stale[0], "ConfigMap/orders-api-config") {
			stale++
		}
	}
	if v.OK() || stale != 10 {
		t.Errorf("verify after the ConfigMap edit: ok=%v, %d stale pods, want 10", v.OK(), stale)
	}

	// The edited field belongs to kubectl-edit now: a deploy that would
	// change it back conflicts, naming the manager, and changes nothing
	// unless told to force.
	k := &Kube{}
	d := promote.NewDeploy(kp.engine(t, "carol@ci"))
	d.Artifact = "1.0.0"
	_, err = d.Run(ctx, "prod")
	if err == nil || !strings.Contains(err.Error(), "kubectl-edit") || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("deploy over a field kubectl-edit owns: %v", err)
	}
	forced := kp.engine(t, "carol@ci")
	forced.ForceConflicts = true // --force-conflicts
	d = promote.NewDeploy(forced)
	d.Artifact = "1.0.0"
	if _, err := d.Run(ctx, "prod"); err != nil {
		t.Fatalf("deploy with --force-conflicts: %v", err)
	}
	if objs, err := k.Drift(ctx, prod); err != nil || len(objs) != 0 {
		t.Errorf("drift after the forced deploy: %v %+v", err, objs)
	}
}

func TestTwoPromotionsOneLease(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)
	kp.deploy(t, "staging", "alice@laptop")
	time.Sleep(1100 * time.Millisecond)
	users := []string{"alice@laptop", "bob@desk"}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range users {
		cfg := kp.engine(t, u)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = promote.NewPromote(cfg).Run(ctx, "staging", "prod")
		}()
	}
	close(start)
	wg.Wait()
	var locked *state.LockedError
	ok, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.As(err, &locked):
			refused++
			if locked.Holder.User != users[1-i] || locked.Holder.Since.IsZero() {
				t.Errorf("refusal names %+v, want %s", locked.Holder, users[1-i])
			}
		default:
			t.Errorf("%s: %v", users[i], err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("promotions: %d ok, %d refused by the Lease (%v); want 1 and 1", ok, refused, errs)
	}
	if _, err := c.Client.CoordinationV1().Leases(prod.Namespace).Get(ctx, leaseName(prod), metav1.GetOptions{}); err == nil {
		t.Error("the Lease outlived the promotion")
	}
}

// TestPromoteAcrossClusters: staging and prod on two API servers (cluster
// per environment), chosen by kubeconfig context from one $KUBECONFIG
// list.
func TestPromoteAcrossClusters(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	c2, err := testcluster.Start(ctx, testcluster.Options{Name: "prod-eu"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c2, "prod")
	kp := newKubeProjectWith(t, c.Kubeconfig+string(os.PathListSeparator)+c2.Kubeconfig, "orders-api", fmt.Sprintf(`  staging:
    target: kube
    context: %s
    namespace: %s
    health: readiness
  prod:
    target: kube
    context: prod-eu
    namespace: %s
    health: readiness
`, c.Context, staging.Namespace, prod.Namespace))
	kp.deploy(t, "staging", "alice@laptop")
	if _, err := promote.NewPromote(kp.engine(t, "alice@laptop")).Run(ctx, "staging", "prod"); err != nil {
		t.Fatal(err)
	}
	pods, err := c2.Client.CoreV1().Pods(prod.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 10 || pods.Items[0].Spec.Containers[0].Image != "orders-api@"+kp.digest {
		t.Errorf("second cluster runs %d pods of %q", len(pods.Items), pods.Items[0].Spec.Containers[0].Image)
	}
	if l, err := c.Client.CoreV1().Pods(prod.Namespace).List(ctx, metav1.ListOptions{}); err == nil && len(l.Items) > 0 {
		t.Errorf("prod's pods landed on the staging cluster too")
	}
	st, err := promote.NewStatus(kp.engine(t, "carol@ci")).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range st.Environments {
		if e.Digest != kp.digest || e.Health != platform.HealthUp {
			t.Errorf("status %s: digest %s health %s", e.Name, e.Digest, e.Health)
		}
	}
}

// TestDeployPushesToTheEnvironmentsRegistry: ferry.yaml's image names the
// repository the cluster pulls from (a real registry on loopback); the
// deploy pushes the artifact there by digest when it is missing and pins
// the pods to it. A registry that does not answer fails the deploy
// before anything changes in the cluster.
func TestDeployPushesToTheEnvironmentsRegistry(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	kp, reg, repo, staging := newRegistryProject(t, c)
	ref, err := name.ParseReference(repo + "@" + kp.digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(ref); err == nil {
		t.Fatal("the registry has the image before any deploy")
	}
	kp.deploy(t, "staging", "alice@laptop")
	if _, err := remote.Head(ref); err != nil {
		t.Errorf("after the deploy the registry lacks %s: %v", ref, err)
	}
	pods, err := c.WaitPods(ctx, staging.Namespace, "app.kubernetes.io/name=orders-api", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if img := pods[0].Spec.Containers[0].Image; img != ref.String() {
		t.Errorf("pod image %q, want %q", img, ref)
	}

	reg.Close() // the registry goes away: the next deploy cannot push
	other := kp.engine(t, "bob@desk")
	d := promote.NewDeploy(other)
	d.Artifact = "1.0.0"
	_, err = d.Run(ctx, "staging")
	if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(reg.URL, "http://")) {
		t.Errorf("deploy with the registry down: %v, want an error naming it", err)
	}
	if errors.Is(err, platform.ErrBadInput) {
		t.Errorf("an unreachable registry is a target failure (exit 3), not bad input: %v", err)
	}
}

var _ platform.Target = (*Target)(nil)

// newRegistryProject is the example on the test cluster with ferry.yaml's
// image in a real registry on loopback (go-containerregistry's, empty):
// staging (soak 1s) and prod in namespaces of their own, the chart told
// the same repository (or the pin is refused).
func newRegistryProject(t *testing.T, c *testcluster.Cluster) (kp *kubeProject, reg *httptest.Server, repo string, staging Env) {
	t.Helper()
	reg = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	repo = strings.TrimPrefix(reg.URL, "http://") + "/shop/orders-api"
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp = newKubeProjectWith(t, c.Kubeconfig, repo, fmt.Sprintf(`  staging:
    target: kube
    namespace: %s
    soak: 1s
    health: readiness
    values: [chart/values.yaml, values-staging.yaml, values-registry.yaml]
  prod:
    target: kube
    namespace: %s
    health: readiness
    values: [chart/values.yaml, values-prod.yaml, values-registry.yaml]
`, staging.Namespace, prod.Namespace))
	if err := os.WriteFile(filepath.Join(kp.dir, "values-registry.yaml"), []byte("image:\n  repository: "+repo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return kp, reg, repo, staging
}

// TestKilledFerryIsRecovered: the state a ferry killed at each step of a
// kube deploy leaves behind — its Lease not renewed any more, its
// revision pending in the cluster's history, the Helm release untouched,
// mid-upgrade or upgraded — and the next ferry's deploy finishing the job.
func TestKilledFerryIsRecovered(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	tests := []struct {
		name string
		// kill leaves the state of a ferry killed at that step, after
		// revision 1 went live; revision 2 is pending in the store.
		kill func(t *testing.T, env Env, rev2 *state.Revision)
		// want2 is what becomes of revision 2.
		want2 state.Outcome
	}{
		{"after recording, before helm", func(*testing.T, Env, *state.Revision) {}, state.Aborted},
		{"mid-upgrade: release pending-upgrade", func(t *testing.T, env Env, _ *state.Revision) {
			cn, rels := releasesOf(t, env)
			pending := *rels[len(rels)-1]
			info := *pending.Info
			pending.Info, pending.Version = &info, pending.Version+1
			info.Status = rcommon.StatusPendingUpgrade
			info.Description = "Preparing upgrade"
			if err := cn.helm.Releases.Create(&pending); err != nil {
				t.Fatal(err)
			}
		}, state.Aborted},
		{"after the upgrade, before the commit", func(t *testing.T, env Env, rev2 *state.Revision) {
			if _, err := (&Kube{}).Deploy(ctx, env, digestB, Meta{Op: "deploy", Revision: rev2.Number}, DeployOptions{}); err != nil {
				t.Fatal(err)
			}
		}, state.Superseded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
			kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)
			kp.deploy(t, "staging", "alice@laptop")
			env := kp.kubeEnv(t, "staging")
			rev2 := &state.Revision{Env: "staging", Digest: digestB, Action: "deploy", By: "alice@laptop", Outcome: state.Pending}
			if err := (&Kube{}).NewStore(env).Update(func(tx state.Tx) error { _, err := tx.Add(rev2); return err }); err != nil {
				t.Fatal(err)
			}
			tt.kill(t, env, rev2)
			dead := metav1.NewMicroTime(time.Now().Add(-2 * LeaseDuration))
			if _, err := c.Client.CoordinationV1().Leases(env.Namespace).Create(ctx, &coordv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: leaseName(env)},
				Spec: coordv1.LeaseSpec{HolderIdentity: ptr.To("alice@laptop: ferry deploy staging (pid 4242)"), AcquireTime: &dead, RenewTime: &dead,
					LeaseDurationSeconds: ptr.To(int32(LeaseDuration / time.Second))},
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}

			rev := kp.deploy(t, "staging", "bob@desk")
			if rev.Number != 3 || rev.Outcome != state.Live {
				t.Errorf("next deploy made %d %s, want 3 live", rev.Number, rev.Outcome)
			}
			h, err := promote.NewHistory(kp.engine(t, "bob@desk")).Run(ctx, "staging")
			if err != nil {
				t.Fatal(err)
			}
			var outcomes []string
			for _, r := range h.Revisions {
				outcomes = append(outcomes, fmt.Sprintf("%d:%s", r.Number, r.Outcome))
			}
			want := fmt.Sprintf("3:live,2:%s,1:superseded", tt.want2) // newest first
			if got := strings.Join(outcomes, ","); got != want {
				t.Errorf("history %s, want %s", got, want)
			}
			live, err := (&Kube{}).Live(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			if live.Revision.Ferry != 3 || live.Digest != kp.digest || live.Revision.Status != "deployed" {
				t.Errorf("release after recovery: %+v, digest %s", live.Revision, live.Digest)
			}
		})
	}
}

// kubeEnv is the kube settings the target derives for one of the
// project's environments.
func (kp *kubeProject) kubeEnv(t testing.TB, name string) Env {
	t.Helper()
	p, err := project.Load(kp.dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Env(name)
	if err != nil {
		t.Fatal(err)
	}
	return NewTarget(p, nil, "").Env(e)
}
