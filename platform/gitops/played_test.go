package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/promote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// playedEngine stands in for kustomize-controller where the point is
// ferry's side of the contract and the controllers need not run (they
// are exercised in flux_test.go): it applies each new commit of one
// directory server-side with a dry run first, and writes the
// Kustomization's status as kustomize-controller does — Ready=False
// ReconciliationFailed with the API server's message when the dry run
// fails, else lastAppliedRevision "main@sha1:<commit>" and Ready=True.
type playedEngine struct {
	repo *Repo
	dir  string
	dc   dynamic.Interface
	set  Settings
	mu   sync.Mutex
	// paused stops it from acting, as a killed controller.
	paused bool
}

func (e *playedEngine) run(ctx context.Context, t *testing.T, c *testcluster.Cluster) {
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(c.RESTConfig())))
	done := ""
	for ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		e.mu.Lock()
		paused := e.paused
		e.mu.Unlock()
		if paused {
			continue
		}
		log, err := e.repo.Log(ctx, e.dir, 1)
		if err != nil || len(log) == 0 || log[0].Commit == done {
			continue
		}
		files, err := e.repo.Files(ctx, log[0].Commit, e.dir)
		if err != nil {
			continue
		}
		rev := "main@sha1:" + log[0].Commit
		status := map[string]any{"lastAttemptedRevision": rev}
		if err := e.apply(ctx, mapper, files); err != nil {
			status["conditions"] = []any{map[string]any{"type": "Ready", "status": "False", "reason": "ReconciliationFailed", "message": err.Error(), "lastTransitionTime": "2026-12-07T08:00:00Z"}}
		} else {
			status["lastAppliedRevision"] = rev
			status["conditions"] = []any{map[string]any{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": "Applied revision: " + rev, "lastTransitionTime": "2026-12-07T08:00:00Z"}}
		}
		obj, err := e.dc.Resource(KustomizationGVR).Namespace(e.set.Object.Namespace).Get(ctx, e.set.Object.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		if old, ok := obj.Object["status"].(map[string]any); ok && status["lastAppliedRevision"] == nil {
			status["lastAppliedRevision"] = old["lastAppliedRevision"]
		}
		status["observedGeneration"] = obj.GetGeneration()
		obj.Object["status"] = status
		if _, err := e.dc.Resource(KustomizationGVR).Namespace(e.set.Object.Namespace).UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err == nil {
			done = log[0].Commit
		}
	}
}

func (e *playedEngine) apply(ctx context.Context, mapper *restmapper.DeferredDiscoveryRESTMapper, files Files) error {
	for _, dry := range []bool{true, false} {
		for _, n := range files.Names() {
			if !strings.HasSuffix(n, ".yaml") {
				continue
			}
			var obj unstructured.Unstructured
			if err := yaml.Unmarshal(files[n], &obj.Object); err != nil {
				return err
			}
			gvk := obj.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				return err
			}
			opts := metav1.PatchOptions{FieldManager: "kustomize-controller", Force: ptrTrue()}
			if dry {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			data, _ := obj.MarshalJSON()
			if _, err := e.dc.Resource(m.Resource).Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts); err != nil {
				return fmt.Errorf("%s/%s/%s dry-run failed: %w", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
			}
		}
	}
	return nil
}

func ptrTrue() *bool { b := true; return &b }

// Deploy through the target with the engine played by the test: the
// commit, the wait on the engine's status, the pods' digests, the
// refusal of a bad manifest with the engine's message and the revert
// commit, and a wait that runs out while the engine is down.
func TestDeployWaitsForEngine(t *testing.T) {
	c, dc := cluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fe := &fluxEnv{c: c, dc: dc, url: bareRepo(t), digests: map[string]string{}, ns: map[string]string{}}
	ns := c.Namespace(t)
	fe.ns["staging"] = ns
	name := "played-" + ns
	fe.dir = exampleDir(t, fe.url, map[string]string{"NS_STAGING": ns, "orders-api-staging": name})
	fe.create(t, KustomizationGVR, name, map[string]any{"interval": "1m", "path": "./clusters/staging/orders-api", "prune": true,
		"sourceRef": map[string]any{"kind": "GitRepository", "name": "deploy"}})
	if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-api-db"},
		StringData: map[string]string{"password": "s3cret"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", c.Kubeconfig)
	eng := &playedEngine{repo: fe.repo(), dir: "clusters/staging/orders-api", dc: dc, set: Settings{Object: ObjectRef{name, "flux-system"}}}
	go eng.run(ctx, t, c)

	d1 := fe.build(t, "1.0.0")
	rev, err := fe.deploy(t, "staging", "1.0.0", "alice@laptop")
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if rev.Digest != d1 {
		t.Fatalf("revision %+v", rev)
	}
	fe.assertPods(t, "staging", d1)
	if rep, err := promote.NewVerify(fe.engine(t, "carol@ci")).Run(ctx, "staging"); err != nil || !rep.OK() {
		t.Errorf("verify after deploy: %+v, %v", rep, err)
	}

	// Someone edits the live ConfigMap: drift names the field and them.
	cm, err := c.Client.CoreV1().ConfigMaps(ns).Get(ctx, "orders-api-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["LOG_LEVEL"] = "ERROR"
	if _, err := c.Client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	p := mustProject(t, fe.dir)
	env, _ := p.Env("staging")
	// status: the committed commit and the engine's applied revision side
	// by side.
	head, _ := fe.repo().Log(ctx, eng.dir, 1)
	l, err := New(p, c.Kubeconfig).Live(ctx, platform.Query{Env: "staging", Environment: env})
	if err != nil || l.Health != platform.HealthUp || l.Digest != d1 || l.Revision != rev.Number ||
		!strings.Contains(l.HealthDetail, "committed "+short(head[0].Commit)+", Flux Kustomization applied "+short(head[0].Commit)+", Ready=True") {
		t.Errorf("live = %+v, %v", l, err)
	}
	drift, err := New(p, c.Kubeconfig).ObjectDrift(ctx, platform.Query{Env: "staging", Environment: env})
	want := platform.ObjectDrift{Object: "ConfigMap/orders-api-config", Field: "data.LOG_LEVEL", Desired: "DEBUG", Live: "ERROR", Manager: "kubectl-edit"}
	if err != nil || len(drift) != 1 || drift[0] != want {
		t.Errorf("drift = %+v, %v; want [%+v]", drift, err, want)
	}

	// A manifest the API server refuses: the engine says so, ferry fails
	// the deploy with its message and pushes a revert.
	d2 := fe.build(t, "1.1.0")
	restore := appendValues(t, fe.dir, "values-staging.yaml", "resources:\n  limits:\n    memory: lots\n")
	_, err = fe.deploy(t, "staging", "1.1.0", "alice@laptop")
	var de *platform.DeployError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "refused commit") || !strings.Contains(err.Error(), "quantities must match") || !de.Restored {
		t.Fatalf("deploy of a bad manifest: %v", err)
	}
	log, _ := fe.repo().Log(ctx, eng.dir, 0)
	if len(log) != 3 || !strings.HasPrefix(log[0].Msg, "revert ") {
		t.Errorf("git history after the refusal: %d commits, newest %q; want deploy, bad, revert", len(log), firstLine(log[0].Msg))
	}
	fe.assertPods(t, "staging", d1)
	_ = d2

	// The engine stops answering: ferry waits, with progress, until the
	// environment's timeout and says what it last saw.
	restore()
	eng.mu.Lock()
	eng.paused = true
	eng.mu.Unlock()
	tgt := New(mustProject(t, fe.dir), c.Kubeconfig)
	var progress []string
	tgt.wait = func(what string, _ time.Duration) { progress = append(progress, what) }
	tgt.Poll = 200 * time.Millisecond
	env, _ = tgt.p.Env("staging")
	start := time.Now()
	_, err = tgt.Deploy(ctx, platform.Spec{Env: "staging", Environment: env, Revision: 9, Image: "orders-api@" + d2, Digest: d2, Tag: "1.1.0", HealthTimeout: 2 * time.Second})
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "did not apply commit") || !strings.Contains(err.Error(), "within 2s") {
		t.Fatalf("deploy with the engine down: %v", err)
	}
	if took := time.Since(start); took < 2*time.Second || took > 20*time.Second {
		t.Errorf("waited %s for a 2s timeout", took)
	}
	if len(progress) < 3 || !strings.Contains(progress[0], "Flux Kustomization applying") {
		t.Errorf("progress = %q", progress)
	}
}
