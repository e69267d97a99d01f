package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/render"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Kube runs environments on clusters.
type Kube struct {
	// Log receives the Helm SDK's log; nothing when nil.
	Log *slog.Logger
}

// DeployOptions are the choices of one deploy.
type DeployOptions struct {
	// ForceConflicts takes over fields another field manager owns
	// (kubectl edit, another controller); without it such a field fails
	// the apply, naming the manager.
	ForceConflicts bool
	// MigrateClientSide lets a release last applied client-side (by
	// Helm 3) move to server-side apply; without it ferry refuses.
	MigrateClientSide bool
}

// Result is what a deploy did.
type Result struct {
	Revision Revision
	// Pinned lists the containers pinned to the digest.
	Pinned []string
	// Recovered says what was recovered first (a pending release).
	Recovered string
	// Took is the rollout's time, from apply to ready.
	Took time.Duration
}

// DeployError is a rollout that failed: the release was rolled back (or,
// for a first install, removed); its LogTail carries the failing objects'
// conditions and recent events.
type DeployError = platform.DeployError

// Deploy installs or upgrades the environment's release with the service
// pinned to env.Image@digest, waits for every object to be ready (Helm's
// kstatus watcher) within env.Timeout, and on failure rolls back.
func (k *Kube) Deploy(ctx context.Context, env Env, digest string, meta Meta, o DeployOptions) (*Result, error) {
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		return nil, fmt.Errorf("%w: %q is not a sha256 image digest", ErrBadInput, digest)
	}
	c, rels, recovered, err := k.openChange(env)
	if err != nil {
		return nil, err
	}
	env = c.env
	res := &Result{Recovered: recovered}
	if cur := deployed(rels); cur != nil && cur.ApplyMethod != "ssa" && !o.MigrateClientSide {
		return nil, fmt.Errorf("%w: %s: release %s revision %d was applied client-side (installed or upgraded by Helm 3); ferry applies server-side as field manager %q: pass --migrate-ssa once to move its fields over",
			ErrBadInput, env.where(), env.Release, cur.Version, FieldManager)
	}
	ch, vals, err := env.helmInput(ctx)
	if err != nil {
		return nil, err
	}
	pin := &pinner{repo: env.Image, digest: digest}
	if meta.Op == "" {
		meta.Op = "deploy"
	}
	start := time.Now()
	// Install (reusing the name, as helm install --replace) when nothing
	// is deployed: a new release, one that ferry down uninstalled, or one
	// whose only revisions failed (a first install that was killed).
	x := c.change(ctx, o.ForceConflicts)
	var rel *rv1.Release
	if deployed(rels) == nil {
		rel, err = x.install(ch, vals, meta.labels(), meta.description(digest), pin, rels)
	} else {
		rel, err = x.upgrade(ch, vals, meta.labels(), meta.description(digest), pin, rels)
	}
	res.Took = time.Since(start)
	res.Pinned = pin.pinned
	if err != nil {
		if errors.Is(err, ErrBadInput) {
			return nil, fmt.Errorf("%s: %w", env.where(), err)
		}
		return nil, c.deployFailure(ctx, err)
	}
	res.Revision = revisionOf(rel, env.Image)
	return res, nil
}

// helmInput is the chart and values to install: the target's Input when
// it sets one, else the Chart and Values files.
func (env Env) helmInput(ctx context.Context) (*chart.Chart, map[string]any, error) {
	if env.Input == nil {
		return loadChart(env)
	}
	ch, vals, err := env.Input(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadInput, env.where(), err)
	}
	return ch, vals, nil
}

// loadChart loads the environment's chart and merges its values files the
// way `helm -f a -f b` does: later files win, maps merge key by key.
func loadChart(env Env) (*chart.Chart, map[string]any, error) {
	ch, err := loader.Load(env.Chart)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: chart %s: %w", ErrBadInput, env.Chart, err)
	}
	vals := map[string]any{}
	for _, f := range env.Values {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: values: %w", ErrBadInput, err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadInput, f, err)
		}
		vals = mergeValues(vals, v)
	}
	return ch, vals, nil
}

func mergeValues(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// deployFailure turns a failed rollout into a *DeployError with what the
// cluster says about the failed revision's workloads: their conditions,
// the pods that are not ready and why, and recent Warning events.
func (c *conn) deployFailure(ctx context.Context, cause error) error {
	env := c.env
	rels, err := c.releases()
	if err != nil {
		// The cluster stopped answering (the API server went away
		// mid-rollout): nothing could be rolled back or recorded, so
		// the release is left pending, which the next change recovers.
		return fmt.Errorf("%s: release %s: the cluster stopped answering during the rollout; the release is left as it was, and the next deploy or rollback recovers it: %w", env.where(), env.Release, cause)
	}
	if len(rels) == 0 {
		return fmt.Errorf("%s: release %s: %w", env.where(), env.Release, cause)
	}
	de := &DeployError{Env: env.Name, Reason: cause.Error()}
	failed := rels[len(rels)-1]
	for i := len(rels) - 1; i >= 0; i-- {
		if rels[i].Info != nil && rels[i].Info.Status.String() == "failed" {
			failed = rels[i]
			break
		}
	}
	de.Revision = failed.Version
	de.Restored = deployed(rels) != nil
	// The rollback replaced the failed revision's objects; what failed is
	// still in the events and in the pods the failed ReplicaSets left.
	de.LogTail = c.explain(ctx, failed.Manifest)
	return de
}

// explain describes why the manifest's workloads are not ready.
func (c *conn) explain(ctx context.Context, manifest string) []string {
	var out []string
	ns := c.env.Namespace
	names := map[string]bool{}
	for _, w := range workloads(manifest) {
		names[w.name] = true
		if w.kind != "Deployment" {
			continue
		}
		d, err := c.client.AppsV1().Deployments(ns).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, cond := range d.Status.Conditions {
			if cond.Status != corev1.ConditionTrue || cond.Type == appsv1.DeploymentReplicaFailure {
				out = append(out, fmt.Sprintf("Deployment/%s %s=%s %s: %s", w.name, cond.Type, cond.Status, cond.Reason, cond.Message))
			}
		}
	}
	evs, err := c.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
	if err == nil {
		items := evs.Items
		sort.Slice(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
		var lines []string
		for _, e := range items {
			if !ownedByRelease(e.InvolvedObject.Name, names) {
				continue
			}
			lines = append(lines, fmt.Sprintf("event %s/%s %s: %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, strings.TrimSpace(e.Message)))
		}
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		out = append(out, lines...)
	}
	return out
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

// ownedByRelease says whether an event's object belongs to one of the
// release's workloads: the workload itself, its ReplicaSets and pods
// (named workload-<hash>[-<suffix>]).
func ownedByRelease(obj string, workloads map[string]bool) bool {
	for w := range workloads {
		if obj == w || strings.HasPrefix(obj, w+"-") {
			return true
		}
	}
	return false
}

// workload is one workload object of a manifest.
type workload struct {
	kind, name string
	obj        map[string]any
}

func workloads(manifest string) []workload {
	var out []workload
	for _, doc := range splitYAML(manifest) {
		var obj map[string]any
		if yaml.Unmarshal([]byte(doc), &obj) != nil || obj == nil {
			continue
		}
		kind, _ := obj["kind"].(string)
		if render.PodSpecPath(kind) == nil {
			continue
		}
		name, _ := nested(obj, "metadata", "name").(string)
		out = append(out, workload{kind: kind, name: name, obj: obj})
	}
	return out
}
