package gitops

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// The engine objects ferry reads (never writes).
var (
	KustomizationGVR = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
	ApplicationGVR   = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
)

// EngineStatus is what the engine says about the revision it applies.
type EngineStatus struct {
	// Applied is the commit the engine last applied successfully ("" when
	// none); Attempted the one it last tried.
	Applied, Attempted string
	// Ready says the engine reports the applied revision healthy.
	Ready bool
	// Health is the engine's word for it: Flux's Ready reason, Argo CD's
	// health status.
	Health string
	// Failed is set when the engine gave up on Attempted; Message says
	// why, in the engine's words.
	Failed  bool
	Message string
}

// Done reports whether the engine applied commit and reports it
// healthy.
func (s EngineStatus) Done(commit string) bool {
	return s.Ready && sameCommit(s.Applied, commit)
}

// FailedAt reports whether the engine refused commit.
func (s EngineStatus) FailedAt(commit string) bool {
	return s.Failed && sameCommit(s.Attempted, commit)
}

// String describes the status in one line, for progress and errors.
func (s EngineStatus) String() string {
	applied := short(commitOf(s.Applied))
	if applied == "" {
		applied = "nothing"
	}
	out := fmt.Sprintf("applied %s, %s", applied, s.Health)
	if s.Message != "" {
		out += ": " + s.Message
	}
	return out
}

// ReadStatus reads the engine object named by s, read-only.
func ReadStatus(ctx context.Context, dyn dynamic.Interface, s Settings) (EngineStatus, error) {
	gvr, kind := KustomizationGVR, "Flux Kustomization"
	if s.Engine == ArgoCD {
		gvr, kind = ApplicationGVR, "Argo CD Application"
	}
	obj, err := dyn.Resource(gvr).Namespace(s.Object.Namespace).Get(ctx, s.Object.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return EngineStatus{}, fmt.Errorf("%s %s/%s not found: create it to watch %s (ferry only reads it)", kind, s.Object.Namespace, s.Object.Name, s.Directory)
	}
	if err != nil {
		return EngineStatus{}, fmt.Errorf("read %s %s/%s: %w", kind, s.Object.Namespace, s.Object.Name, err)
	}
	if s.Engine == ArgoCD {
		return argoStatus(obj), nil
	}
	return fluxStatus(obj), nil
}

// fluxStatus reads a Kustomization's status as kustomize-controller
// writes it: lastAppliedRevision / lastAttemptedRevision
// ("main@sha1:<hash>") and the Ready condition, which is Unknown while
// it reconciles, False with the failure (BuildFailed, HealthCheckFailed,
// ReconciliationFailed…) and True once applied and healthy. A status
// older than the object's generation is not trusted as Ready.
func fluxStatus(obj *unstructured.Unstructured) EngineStatus {
	var s EngineStatus
	s.Applied, _, _ = unstructured.NestedString(obj.Object, "status", "lastAppliedRevision")
	s.Attempted, _, _ = unstructured.NestedString(obj.Object, "status", "lastAttemptedRevision")
	observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	c := condition(obj, "Ready")
	s.Health = "not reconciled yet"
	if c == nil {
		return s
	}
	status, _ := c["status"].(string)
	reason, _ := c["reason"].(string)
	s.Message, _ = c["message"].(string)
	s.Health = "Ready=" + status
	if reason != "" {
		s.Health += " (" + reason + ")"
	}
	current := observed >= obj.GetGeneration()
	s.Ready = status == "True" && current
	s.Failed = status == "False" && current && reason != "DependencyNotReady" && reason != "Progressing"
	return s
}

// argoStatus reads an Application's status as Argo CD documents it:
// status.sync.revision and status.sync.status (Synced, OutOfSync),
// status.health.status (Healthy, Progressing, Degraded, Missing…), and
// status.operationState for the last sync operation (phase Failed or
// Error with a message, syncResult.revision the revision it tried).
func argoStatus(obj *unstructured.Unstructured) EngineStatus {
	var s EngineStatus
	rev, _, _ := unstructured.NestedString(obj.Object, "status", "sync", "revision")
	sync, _, _ := unstructured.NestedString(obj.Object, "status", "sync", "status")
	health, _, _ := unstructured.NestedString(obj.Object, "status", "health", "status")
	if sync == "Synced" {
		s.Applied = rev
	}
	s.Attempted = rev
	s.Ready = sync == "Synced" && health == "Healthy"
	s.Health = fmt.Sprintf("sync %s, health %s", orUnknown(sync), orUnknown(health))
	phase, _, _ := unstructured.NestedString(obj.Object, "status", "operationState", "phase")
	if phase == "Failed" || phase == "Error" {
		s.Failed = true
		s.Attempted, _, _ = unstructured.NestedString(obj.Object, "status", "operationState", "syncResult", "revision")
		s.Message, _, _ = unstructured.NestedString(obj.Object, "status", "operationState", "message")
	}
	if s.Message == "" {
		s.Message, _, _ = unstructured.NestedString(obj.Object, "status", "health", "message")
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

func condition(obj *unstructured.Unstructured, typ string) map[string]any {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return m
		}
	}
	return nil
}

// commitOf returns the commit hash of an engine revision: Flux writes
// "main@sha1:<hash>" (older versions "main/<hash>"), Argo CD the hash.
func commitOf(rev string) string {
	if i := strings.LastIndex(rev, ":"); i >= 0 {
		return rev[i+1:]
	}
	if i := strings.LastIndex(rev, "/"); i >= 0 {
		return rev[i+1:]
	}
	return rev
}

func sameCommit(rev, commit string) bool {
	return commit != "" && commitOf(rev) == commit
}
