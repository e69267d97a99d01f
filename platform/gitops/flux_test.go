package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform/gitops/fluxtest"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
	"github.com/fluxcd/pkg/gittestserver"
	"github.com/go-git/go-git/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var fluxRuns atomic.Int32

var gitRepositoryGVR = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}

// fluxEnv is a test's GitOps setup: a git server on 127.0.0.1 with an
// empty deploy repository, Flux's controllers against the test cluster,
// a GitRepository on the repository's main branch and one Kustomization
// per environment, and the example project promoting through it.
type fluxEnv struct {
	c       *testcluster.Cluster
	dc      dynamic.Interface
	flux    *fluxtest.Flux
	url     string
	dir     string
	digests map[string]string // tag → digest in the project's store
	ns      map[string]string // environment → namespace
}

func startFlux(t testing.TB) *fluxEnv {
	t.Helper()
	c, dc := cluster(t)
	flux, err := fluxtest.Start(c.Kubeconfig, t.TempDir())
	if errors.Is(err, fluxtest.ErrNoBinaries) && !testcluster.CI() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("source-controller log:\n%s\nkustomize-controller log:\n%s", flux.Source.Tail(30), flux.Kustomize.Tail(30))
		}
		flux.Stop()
	})
	srv, err := gittestserver.NewTempGitServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.StopHTTP(); os.RemoveAll(srv.Root()) })
	if err := srv.StartHTTP(); err != nil {
		t.Fatal(err)
	}
	if _, err := git.PlainInit(filepath.Join(srv.Root(), "deploy.git"), true); err != nil {
		t.Fatal(err)
	}
	fe := &fluxEnv{c: c, dc: dc, flux: flux, url: srv.HTTPAddress() + "/deploy.git", digests: map[string]string{}, ns: map[string]string{}}
	ctx := context.Background()
	// A benchmark runs its function more than once; objects of the last
	// run may still be finalizing.
	run := fmt.Sprint(fluxRuns.Add(1))
	for _, env := range []string{"staging", "prod"} {
		ns := c.Namespace(&namedT{t, strings.ReplaceAll(t.Name(), "Benchmark", "B") + "-" + run + "-" + env})
		fe.ns[env] = ns
		// The Secret the chart expects the cluster to have.
		if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-api-db"},
			StringData: map[string]string{"password": "s3cret-" + env}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	name := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + run
	fe.dir = exampleDir(t, fe.url, map[string]string{"NS_STAGING": fe.ns["staging"], "NS_PROD": fe.ns["prod"],
		"orders-api-staging": name + "-staging", "{name: orders-api-prod}": "{name: " + name + "-prod}"})
	fe.create(t, gitRepositoryGVR, name, map[string]any{"url": fe.url, "interval": "2s", "timeout": "20s", "ref": map[string]any{"branch": "main"}})
	for _, env := range []string{"staging", "prod"} {
		fe.create(t, KustomizationGVR, name+"-"+env, map[string]any{
			"interval": "2s", "retryInterval": "2s", "timeout": "60s", "prune": true, "wait": true,
			"path": "./clusters/" + env + "/orders-api", "sourceRef": map[string]any{"kind": "GitRepository", "name": name},
		})
	}
	t.Setenv("KUBECONFIG", c.Kubeconfig)
	return fe
}

// namedT names a namespace differently from its test.
type namedT struct {
	testing.TB
	name string
}

func (n *namedT) Name() string { return n.name }

func (fe *fluxEnv) create(t testing.TB, gvr schema.GroupVersionResource, name string, spec map[string]any) {
	t.Helper()
	kind := map[string]string{"gitrepositories": "GitRepository", "kustomizations": "Kustomization"}[gvr.Resource]
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvr.Group + "/" + gvr.Version, "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "flux-system"}, "spec": spec,
	}}
	if _, err := fe.dc.Resource(gvr).Namespace("flux-system").Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = fe.dc.Resource(gvr).Namespace("flux-system").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

// build packages a stand-in executable as the service's image tagged tag
// in the project's store (kwok runs no containers).
func (fe *fluxEnv) build(t testing.TB, tag string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orders-api")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho orders-api "+tag+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img, desc, err := artifact.Package(bin, "orders-api", filepath.Join(fe.dir, "configs"), tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := artifact.NewStore(fe.dir).Put(img, tag, false); err != nil {
		t.Fatal(err)
	}
	fe.digests[tag] = desc.Digest
	return desc.Digest
}

func (fe *fluxEnv) engine(t testing.TB, user string) *promote.Config {
	t.Helper()
	p, err := project.Load(fe.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := promote.New(p)
	cfg.User = user
	return cfg
}

func (fe *fluxEnv) repo() *Repo { return &Repo{URL: fe.url, Branch: "main"} }

// checkout copies the project as a fresh clone would have it: without
// .ferry, so with no record of what was deployed.
func (fe *fluxEnv) checkout(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(fe.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fe.dir, path)
		switch {
		case d.IsDir() && d.Name() == ".ferry":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func (fe *fluxEnv) deploy(t testing.TB, env, tag, user string) (*state.Revision, error) {
	t.Helper()
	d := promote.NewDeploy(fe.engine(t, user))
	d.Artifact = tag
	return d.Run(context.Background(), env)
}

// The loop against the real engine: deploy staging, promote prod, a
// promotion with no change, rollback, history from git — each through a
// commit that source-controller fetches over HTTP and kustomize-controller
// applies to kwok-run pods.
func TestPromoteThroughFlux(t *testing.T) {
	fe := startFlux(t)
	ctx := context.Background()
	d1, d2 := fe.build(t, "1.0.0"), fe.build(t, "1.1.0")

	start := time.Now()
	rev, err := fe.deploy(t, "staging", "1.0.0", "alice@laptop")
	if err != nil {
		t.Fatalf("deploy staging: %v", err)
	}
	t.Logf("deploy staging (commit, push, Flux applies, pods ready): %s", time.Since(start).Round(time.Millisecond))
	if rev.Outcome != state.Live || rev.Digest != d1 {
		t.Fatalf("staging revision = %+v", rev)
	}
	fe.assertPods(t, "staging", d1)
	time.Sleep(1100 * time.Millisecond) // staging's soak

	start = time.Now()
	plan, err := promote.NewPromote(fe.engine(t, "bob@desk")).Run(ctx, "staging", "prod")
	if err != nil {
		t.Fatalf("promote: %v (plan %+v)", err, plan)
	}
	t.Logf("promote prod: %s", time.Since(start).Round(time.Millisecond))
	fe.assertPods(t, "prod", d1)
	prodLog, err := fe.repo().Log(ctx, "clusters/prod/orders-api", 0)
	if err != nil || len(prodLog) != 1 {
		t.Fatalf("prod's git history = %+v, %v; want one commit", prodLog, err)
	}
	if m := prodLog[0].Meta; m == nil || m.Digest != d1 || m.PromotedFrom != "staging" || m.By != "bob@desk" || len(m.Gates) == 0 || m.Action != "promote" {
		t.Errorf("prod's ferry.json = %+v", prodLog[0].Meta)
	}

	// The same promotion again changes no manifest: no commit.
	if _, err := promote.NewPromote(fe.engine(t, "bob@desk")).Run(ctx, "staging", "prod"); err != nil {
		t.Logf("promoting the same digest again: %v", err)
	}
	if l, _ := fe.repo().Log(ctx, "clusters/prod/orders-api", 0); len(l) != 1 {
		t.Errorf("a promotion with no change made a commit: %d commits", len(l))
	}

	// A new build on staging, then rollback: a new commit with the first
	// revision's manifests.
	if _, err := fe.deploy(t, "staging", "1.1.0", "alice@laptop"); err != nil {
		t.Fatalf("deploy 1.1.0: %v", err)
	}
	fe.assertPods(t, "staging", d2)
	back, err := promote.NewRollback(fe.engine(t, "alice@laptop")).Run(ctx, "staging")
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if back.Digest != d1 {
		t.Errorf("rollback went to %s, want %s", back.Digest, d1)
	}
	fe.assertPods(t, "staging", d1)
	log, err := fe.repo().Log(ctx, "clusters/staging/orders-api", 0)
	if err != nil || len(log) != 3 {
		t.Fatalf("staging's git history = %d commits (%v), want deploy, deploy, rollback", len(log), err)
	}
	if m := log[0].Meta; m == nil || m.Action != "rollback" || m.RollbackOf != 1 || m.Digest != d1 {
		t.Errorf("rollback's ferry.json = %+v", log[0].Meta)
	}
	first, _ := fe.repo().Files(ctx, log[2].Commit, "clusters/staging/orders-api")
	now, _ := fe.repo().Files(ctx, log[0].Commit, "clusters/staging/orders-api")
	for n, b := range first {
		if n != MetaFile && string(now[n]) != string(b) {
			t.Errorf("rollback's %s differs from revision 1's", n)
		}
	}
	hist, err := promote.NewHistory(fe.engine(t, "carol@ci")).Run(ctx, "staging")
	if err != nil || len(hist.Revisions) != 3 {
		t.Errorf("ferry history staging: %+v, %v", hist, err)
	}
	// Another checkout (a CI runner) made none of these revisions: its
	// history is git's, newest first, the rollback live.
	other := fe.checkout(t)
	p2, err := project.Load(other)
	if err != nil {
		t.Fatal(err)
	}
	hist2, err := promote.NewHistory(promote.New(p2)).Run(ctx, "staging")
	if err != nil || len(hist2.Revisions) != 3 || hist2.Revisions[0].Number != 3 || hist2.Revisions[0].Outcome != state.Live ||
		hist2.Revisions[0].RollbackOf != 1 || hist2.Revisions[2].Digest != d1 || hist2.Revisions[2].By != "alice@laptop" {
		t.Errorf("ferry history staging in a fresh checkout: %+v, %v; want the three committed revisions, 3 (rollback of 1) live", hist2, err)
	}

	// A manifest the engine refuses: the deploy fails with Flux's own
	// message, and a commit puts the previous manifests back.
	restore := appendValues(t, fe.dir, "values-staging.yaml", "resources:\n  limits:\n    memory: lots\n")
	_, err = fe.deploy(t, "staging", "1.1.0", "alice@laptop")
	if err == nil || !strings.Contains(err.Error(), "refused commit") || !strings.Contains(err.Error(), "quantities must match") {
		t.Errorf("deploy of a manifest the API server refuses: %v", err)
	}
	restore()
	fe.assertPods(t, "staging", d1)

	// kustomize-controller dies mid-deploy: ferry keeps waiting and
	// reports once the restarted controller has applied the commit.
	fe.flux.KillKustomize()
	go func() {
		time.Sleep(3 * time.Second)
		if _, err := fe.flux.StartKustomize(); err != nil {
			t.Error(err)
		}
	}()
	start = time.Now()
	if _, err := fe.deploy(t, "staging", "1.1.0", "alice@laptop"); err != nil {
		t.Fatalf("deploy across a controller restart: %v", err)
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Errorf("deploy returned after %s, before the controller was back", took)
	}
	fe.assertPods(t, "staging", d2)
}

// assertPods checks that the environment's pods are ready on digest, as
// the cluster (not ferry) reports them.
func (fe *fluxEnv) assertPods(t *testing.T, env, digest string) {
	t.Helper()
	pods, err := fe.c.Client.CoreV1().Pods(fe.ns[env]).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if !strings.HasSuffix(cs.ImageID, "@"+digest) || !cs.Ready {
				t.Errorf("%s pod %s: imageID %q ready %v, want %s", env, p.Name, cs.ImageID, cs.Ready, digest)
			}
		}
		n++
	}
	if n == 0 {
		t.Errorf("%s has no pods", env)
	}
}

// protect puts env in pull-request mode (gitops.pullRequest: true).
func (fe *fluxEnv) protect(t testing.TB, env string) {
	t.Helper()
	f := filepath.Join(fe.dir, project.FileName)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "-"+env+"}\n", "-"+env+"}\n      pullRequest: true\n", 1)
	if text == string(b) {
		t.Fatalf("no gitops.object line for %s in ferry.yaml", env)
	}
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Pull-request mode against the real engine: a refused gate pushes
// nothing; a promotion of the protected prod pushes a review branch
// that Flux never sees and stops, prod untouched; after a reviewer's
// merge (a merge commit, made with go-git) ferry promote --resume waits
// for kustomize-controller to apply the merge, runs the after-deploy
// gates and records the revision live.
func TestPromoteThroughFluxReview(t *testing.T) {
	fe := startFlux(t)
	fe.protect(t, "prod")
	ctx := context.Background()
	d1 := fe.build(t, "1.0.0")
	if _, err := fe.deploy(t, "staging", "1.0.0", "alice@laptop"); err != nil {
		t.Fatalf("deploy staging: %v", err)
	}
	before, err := fe.repo().heads(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// staging has not soaked its 1s yet: refused, and nothing is pushed.
	if _, err := promote.NewPromote(fe.engine(t, "bob@desk")).Run(ctx, "staging", "prod"); !errors.Is(err, promote.ErrGate) {
		t.Fatalf("promote before the soak = %v, want a gate error", err)
	}
	if after, _ := fe.repo().heads(ctx); len(after) != len(before) || after["main"] != before["main"] {
		t.Fatalf("a refused promotion wrote to git: branches %v, were %v", after, before)
	}
	time.Sleep(1100 * time.Millisecond)

	plan, err := promote.NewPromote(fe.engine(t, "bob@desk")).Run(ctx, "staging", "prod")
	if err != nil || !promote.AwaitsReview(plan.Revision) {
		t.Fatalf("promote to a protected prod = %+v, %v; want it awaiting review", plan.Revision, err)
	}
	t.Logf("awaiting review: %s", promote.ReviewNote(plan.Revision))
	heads, _ := fe.repo().heads(ctx)
	branch := ReviewBranch("prod", plan.Revision.Number, d1)
	if heads[branch] == "" || heads["main"] != before["main"] {
		t.Fatalf("branches after the promotion = %v; want %s, main unmoved", heads, branch)
	}
	var nm *promote.NotMergedError
	if _, err := promote.NewResume(fe.engine(t, "bob@desk")).Run(ctx, "prod"); !errors.As(err, &nm) {
		t.Fatalf("resume before the merge = %v, want NotMergedError", err)
	}
	pods, _ := fe.c.Client.CoreV1().Pods(fe.ns["prod"]).List(ctx, metav1.ListOptions{})
	if len(pods.Items) != 0 {
		t.Fatalf("prod runs %d pods before the merge", len(pods.Items))
	}

	merge := reviewerMerge(t, fe.url, "main", branch)
	start := time.Now()
	plan, err = promote.NewResume(fe.engine(t, "bob@desk")).Run(ctx, "prod")
	if err != nil {
		t.Fatalf("resume after the merge: %v (plan %+v)", err, plan)
	}
	t.Logf("resume (Flux applies the merge, pods ready, after-deploy gates): %s", time.Since(start).Round(time.Millisecond))
	fe.assertPods(t, "prod", d1)
	if r := plan.Revision; r.Outcome != state.Live || r.GatesPending || r.Digest != d1 {
		t.Errorf("prod's revision after resume = %s, gates pending %v, digest %s", r.Outcome, r.GatesPending, r.Digest)
	}
	var after int
	for _, g := range plan.Gates {
		if strings.HasPrefix(g.Name, "verify") || strings.HasPrefix(g.Name, "smoke") {
			after++
		}
	}
	if after == 0 {
		t.Errorf("no after-deploy gate ran: %+v", plan.Gates)
	}
	l, err := fe.repo().Log(ctx, "clusters/prod/orders-api", 0)
	if err != nil || len(l) == 0 || l[0].Commit != merge || l[0].Meta == nil || l[0].Meta.PromotedFrom != "staging" {
		t.Errorf("prod's git history = %+v, %v; want the reviewer's merge %s on top", l, err, short(merge))
	}
	st, err := fe.dc.Resource(KustomizationGVR).Namespace("flux-system").List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, k := range st.Items {
			if strings.HasSuffix(k.GetName(), "-prod") {
				if got := fluxStatus(&k); !sameCommit(got.Applied, merge) {
					t.Errorf("Flux applied %s, want the merge %s", got.Applied, merge)
				}
			}
		}
	}
}
