package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrydev/ferry/internal/sentinel"
)

// Pod is one pod of the release, as the cluster reports it.
type Pod struct {
	Name string
	Node string
	// Container is the pod's container that runs the service's image.
	Container string
	// ImageID is that container's status.imageID; Digest the sha256
	// digest in it ("" when the runtime reports none).
	ImageID string
	Digest  string
	Ready   bool
	// Terminating is set once the pod is being deleted.
	Terminating bool
	Restarts    int
	// Started is when the service container (else the pod) started.
	Started time.Time
	// Workload is the Kind/name of the workload that owns it.
	Workload string
	// Env is the service container's environment as it got it (secrets
	// included: never printed); Stale names the ConfigMaps and Secrets
	// it reads that changed after it started. Both are filled by
	// resolveEnv.
	Env   map[string]string
	Stale []string
	// Runtime marks the keys of Env the platform set (service links,
	// fieldRefs): their values exist only in the cluster.
	Runtime map[string]bool
	pod     *corev1.Pod
}

// Live is what runs in an environment now.
type Live struct {
	Env string
	// Revision is the release's deployed revision; nil when nothing is
	// deployed.
	Revision *Revision
	Pods     []Pod
	// Digest is the one digest every ready pod's service container runs,
	// "" when none or several.
	Digest string
	// Rollout describes a rollout still in progress ("" when settled).
	Rollout string
}

// ErrNotDeployed is returned for an environment with no deployed release.
var ErrNotDeployed error = &sentinel.Error{Text: "nothing deployed"}

// Live reads the environment's release and its pods.
func (k *Kube) Live(ctx context.Context, env Env) (*Live, error) {
	c, err := dial(env, k.Log)
	if err != nil {
		return nil, err
	}
	return c.live(ctx)
}

func (c *conn) live(ctx context.Context) (*Live, error) {
	cur, err := c.current()
	if err != nil {
		return nil, err
	}
	rev := revisionOf(cur, c.env.Image)
	l := &Live{Env: c.env.Name, Revision: &rev}
	var progress []string
	for _, w := range workloads(cur.Manifest) {
		pods, note, err := c.workloadPods(ctx, w)
		if err != nil {
			return nil, err
		}
		if note != "" {
			progress = append(progress, note)
		}
		l.Pods = append(l.Pods, pods...)
	}
	sort.Slice(l.Pods, func(i, j int) bool { return l.Pods[i].Name < l.Pods[j].Name })
	l.Rollout = strings.Join(progress, "; ")
	digests := map[string]bool{}
	for _, p := range l.Pods {
		if p.Ready && !p.Terminating {
			digests[p.Digest] = true
		}
	}
	if len(digests) == 1 {
		for d := range digests {
			l.Digest = d
		}
	}
	return l, nil
}

// workloadPods lists a workload's pods and says whether its rollout is
// still in progress.
func (c *conn) workloadPods(ctx context.Context, w workload) ([]Pod, string, error) {
	ns := c.env.Namespace
	var sel *metav1.LabelSelector
	var note string
	id := w.kind + "/" + w.name
	switch w.kind {
	case "Deployment":
		d, err := c.client.AppsV1().Deployments(ns).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			return nil, "", fmt.Errorf("%s: %s: %w", c.env.where(), id, err)
		}
		sel, note = d.Spec.Selector, deploymentProgress(d)
	case "StatefulSet":
		s, err := c.client.AppsV1().StatefulSets(ns).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			return nil, "", fmt.Errorf("%s: %s: %w", c.env.where(), id, err)
		}
		sel = s.Spec.Selector
		if s.Spec.Replicas != nil && (s.Status.UpdatedReplicas < *s.Spec.Replicas || s.Status.ReadyReplicas < *s.Spec.Replicas) {
			note = fmt.Sprintf("%s: %d of %d replicas updated, %d ready", id, s.Status.UpdatedReplicas, *s.Spec.Replicas, s.Status.ReadyReplicas)
		}
	case "DaemonSet":
		s, err := c.client.AppsV1().DaemonSets(ns).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			return nil, "", fmt.Errorf("%s: %s: %w", c.env.where(), id, err)
		}
		sel = s.Spec.Selector
	default:
		return nil, "", nil // Jobs, CronJobs, bare Pods: not the service's serving instances
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return nil, note, nil
	}
	list, err := c.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: s.String()})
	if err != nil {
		return nil, "", fmt.Errorf("%s: pods of %s: %w", c.env.where(), id, err)
	}
	want := normRepo(c.env.Image)
	var out []Pod
	for i := range list.Items {
		p := &list.Items[i]
		out = append(out, podOf(p, want, id))
	}
	return out, note, nil
}

func deploymentProgress(d *appsv1.Deployment) string {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	id := "Deployment/" + d.Name
	switch {
	case st.ObservedGeneration < d.Generation:
		return id + ": the controller has not seen the latest spec yet"
	case st.UpdatedReplicas < want:
		return fmt.Sprintf("%s: %d of %d replicas updated", id, st.UpdatedReplicas, want)
	case st.Replicas > st.UpdatedReplicas:
		return fmt.Sprintf("%s: %d old replicas still running", id, st.Replicas-st.UpdatedReplicas)
	case st.AvailableReplicas < want:
		return fmt.Sprintf("%s: %d of %d replicas available", id, st.AvailableReplicas, want)
	}
	return ""
}

// podOf reads one pod: the container running the service's repository,
// its imageID, readiness, restarts and start.
func podOf(p *corev1.Pod, repo, workload string) Pod {
	out := Pod{Name: p.Name, Node: p.Spec.NodeName, Workload: workload, pod: p, Terminating: p.DeletionTimestamp != nil}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	if p.Status.StartTime != nil {
		out.Started = p.Status.StartTime.Time
	}
	for _, c := range p.Spec.Containers {
		if normRepo(c.Image) == repo {
			out.Container = c.Name
			break
		}
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.Name != out.Container {
			continue
		}
		out.ImageID = s.ImageID
		out.Digest = digestOf(s.ImageID)
		out.Restarts = int(s.RestartCount)
		if s.State.Running != nil && !s.State.Running.StartedAt.IsZero() {
			out.Started = s.State.Running.StartedAt.Time
		}
	}
	return out
}

// NotPromotableError is a source environment whose pods do not all run
// one digest, ready: a rollout in progress, mixed digests, pods that
// report none. Promote refuses it (exit 1).
type NotPromotableError struct {
	Env    string
	Reason string
}

func (e *NotPromotableError) Error() string {
	return fmt.Sprintf("%s cannot be promoted from: %s", e.Env, e.Reason)
}

// promotable refuses, as a *NotPromotableError naming the pods, an
// environment that cannot be promoted from: a rollout in progress, no
// pods, pods not ready or reporting no image digest, pods running
// different digests, or pods running another digest than the release
// pins (someone changed the image by hand).
func (l *Live) promotable() error {
	refuse := func(format string, args ...any) error {
		return &NotPromotableError{Env: l.Env, Reason: fmt.Sprintf(format, args...)}
	}
	if l.Rollout != "" {
		return refuse("a rollout is in progress (%s)", l.Rollout)
	}
	if len(l.Pods) == 0 {
		return refuse("release revision %d runs no pods", l.Revision.Number)
	}
	byDigest := map[string][]string{}
	var notReady, noID []string
	for _, p := range l.Pods {
		switch {
		case p.Terminating || !p.Ready:
			notReady = append(notReady, p.Name)
		case p.Digest == "":
			noID = append(noID, p.Name)
		default:
			byDigest[p.Digest] = append(byDigest[p.Digest], p.Name)
		}
	}
	if len(notReady) > 0 {
		return refuse("pods not ready: %s", strings.Join(notReady, ", "))
	}
	if len(noID) > 0 {
		return refuse("pods report no image digest (status.containerStatuses[].imageID): %s", strings.Join(noID, ", "))
	}
	if len(byDigest) > 1 {
		var parts []string
		for d, pods := range byDigest {
			parts = append(parts, fmt.Sprintf("%s on %s", short(d), strings.Join(pods, ", ")))
		}
		sort.Strings(parts)
		return refuse("pods run different digests: %s", strings.Join(parts, "; "))
	}
	if l.Revision.Digest != "" && l.Digest != l.Revision.Digest {
		return refuse("pods run %s but release revision %d pins %s: the image was changed outside ferry", short(l.Digest), l.Revision.Number, short(l.Revision.Digest))
	}
	return nil
}

// short abbreviates a digest for messages: sha256:4c1e04ab1a0f.
func short(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
