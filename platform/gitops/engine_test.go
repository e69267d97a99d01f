package gitops

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	commitA = "4f2a9c1e7b3d5a8f0c6e2b4d9a1f3c5e7b9d0a2c"
	commitB = "9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
)

// Statuses written by the test, through the status subresource, the way
// kustomize-controller v1.9 writes them (conditions, lastAppliedRevision
// and lastAttemptedRevision as "<branch>@sha1:<commit>") and read back
// through the real Kustomization CRD: the CRD's schema must keep every
// field ferry reads. The end-to-end test with the controllers
// themselves is flux_test.go.
func TestFluxKustomizationStatus(t *testing.T) {
	_, dc := cluster(t)
	ctx := context.Background()
	set := Settings{Engine: Flux, Object: ObjectRef{Name: "orders-api-status", Namespace: "flux-system"}, Directory: "clusters/prod/orders-api"}
	ks := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": set.Object.Name, "namespace": set.Object.Namespace},
		"spec": map[string]any{"interval": "1m", "path": "./" + set.Directory, "prune": true,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "deploy"}},
	}}
	obj, err := dc.Resource(KustomizationGVR).Namespace("flux-system").Create(ctx, ks, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := func(status, reason, msg string) map[string]any {
		return map[string]any{"type": "Ready", "status": status, "reason": reason, "message": msg,
			"observedGeneration": obj.GetGeneration(), "lastTransitionTime": "2026-12-07T08:00:00Z"}
	}
	tests := []struct {
		name          string
		status        map[string]any
		done, failed  bool
		health, inMsg string
	}{
		{name: "never reconciled", status: map[string]any{}, health: "not reconciled yet"},
		{name: "progressing on our commit", status: map[string]any{
			"observedGeneration": obj.GetGeneration(), "lastAppliedRevision": "main@sha1:" + commitA, "lastAttemptedRevision": "main@sha1:" + commitB,
			"conditions": []any{ready("Unknown", "Progressing", "Reconciliation in progress")}}, health: "Ready=Unknown (Progressing)"},
		{name: "refused our commit", failed: true, status: map[string]any{
			"observedGeneration": obj.GetGeneration(), "lastAppliedRevision": "main@sha1:" + commitA, "lastAttemptedRevision": "main@sha1:" + commitB,
			"conditions": []any{ready("False", "ReconciliationFailed", `Deployment/staging/orders-api dry-run failed: Deployment.apps "orders-api" is invalid: spec.replicas: Invalid value: -1`)}},
			health: "Ready=False (ReconciliationFailed)", inMsg: "spec.replicas: Invalid value: -1"},
		{name: "applied and ready", done: true, status: map[string]any{
			"observedGeneration": obj.GetGeneration(), "lastAppliedRevision": "main@sha1:" + commitB, "lastAttemptedRevision": "main@sha1:" + commitB,
			"conditions": []any{ready("True", "ReconciliationSucceeded", "Applied revision: main@sha1:"+commitB)}}, health: "Ready=True (ReconciliationSucceeded)"},
		{name: "ready but status older than spec", status: map[string]any{
			"observedGeneration": obj.GetGeneration() - 1, "lastAppliedRevision": "main@sha1:" + commitB,
			"conditions": []any{ready("True", "ReconciliationSucceeded", "Applied revision: main@sha1:"+commitB)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, err := dc.Resource(KustomizationGVR).Namespace("flux-system").Get(ctx, set.Object.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cur.Object["status"] = tt.status
			if _, err := dc.Resource(KustomizationGVR).Namespace("flux-system").UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			st, err := ReadStatus(ctx, dc, set)
			if err != nil {
				t.Fatal(err)
			}
			if st.Done(commitB) != tt.done || st.FailedAt(commitB) != tt.failed {
				t.Errorf("done %v failed %v, want %v %v (%+v)", st.Done(commitB), st.FailedAt(commitB), tt.done, tt.failed, st)
			}
			if tt.health != "" && st.Health != tt.health {
				t.Errorf("health = %q, want %q", st.Health, tt.health)
			}
			if !strings.Contains(st.Message, tt.inMsg) {
				t.Errorf("message = %q, want it to contain %q", st.Message, tt.inMsg)
			}
			if st.Done(commitA) || st.FailedAt(commitA) {
				t.Errorf("status %+v judged about another commit", st)
			}
		})
	}
	if _, err := ReadStatus(ctx, dc, Settings{Engine: Flux, Object: ObjectRef{"missing", "flux-system"}, Directory: "x"}); err == nil || !strings.Contains(err.Error(), "Flux Kustomization flux-system/missing not found") {
		t.Errorf("missing object: %v", err)
	}
}

// Argo CD cannot run here: its Application's status is written the way
// Argo CD documents it (status.sync.{status,revision},
// status.health.status, status.operationState.{phase,message,syncResult})
// against the Application CRD (testdata/argocd, trimmed from Argo CD's).
func TestArgoCDApplicationStatus(t *testing.T) {
	_, dc := cluster(t)
	ctx := context.Background()
	set := Settings{Engine: ArgoCD, Object: ObjectRef{Name: "orders-api-prod", Namespace: "argocd"}, Directory: "clusters/prod/orders-api"}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": set.Object.Name, "namespace": "argocd"},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": "http://127.0.0.1/deploy.git", "targetRevision": "main", "path": set.Directory},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "prod"}},
	}}
	if _, err := dc.Resource(ApplicationGVR).Namespace("argocd").Create(ctx, app, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	op := func(phase, msg, rev string) map[string]any {
		return map[string]any{"phase": phase, "message": msg, "startedAt": "2026-12-07T08:00:00Z",
			"operation": map[string]any{"sync": map[string]any{"revision": rev}}, "syncResult": map[string]any{"revision": rev}}
	}
	tests := []struct {
		name         string
		status       map[string]any
		done, failed bool
		health, msg  string
	}{
		{name: "out of sync", status: map[string]any{"sync": map[string]any{"status": "OutOfSync", "revision": commitA}, "health": map[string]any{"status": "Healthy"}},
			health: "sync OutOfSync, health Healthy"},
		{name: "synced, progressing", status: map[string]any{"sync": map[string]any{"status": "Synced", "revision": commitB}, "health": map[string]any{"status": "Progressing"},
			"operationState": op("Running", "waiting for healthy state of apps/Deployment/orders-api", commitB)}, health: "sync Synced, health Progressing"},
		{name: "sync failed", failed: true, status: map[string]any{"sync": map[string]any{"status": "OutOfSync", "revision": commitB}, "health": map[string]any{"status": "Healthy"},
			"operationState": op("Failed", `one or more objects failed to apply, reason: Deployment.apps "orders-api" is invalid: spec.replicas: Invalid value: -1`, commitB)},
			msg: "spec.replicas: Invalid value: -1"},
		{name: "synced and healthy", done: true, status: map[string]any{"sync": map[string]any{"status": "Synced", "revision": commitB}, "health": map[string]any{"status": "Healthy"},
			"operationState": op("Succeeded", "successfully synced (all tasks run)", commitB)}, health: "sync Synced, health Healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, err := dc.Resource(ApplicationGVR).Namespace("argocd").Get(ctx, set.Object.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cur.Object["status"] = tt.status
			if _, err := dc.Resource(ApplicationGVR).Namespace("argocd").UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			st, err := ReadStatus(ctx, dc, set)
			if err != nil {
				t.Fatal(err)
			}
			if st.Done(commitB) != tt.done || st.FailedAt(commitB) != tt.failed {
				t.Errorf("done %v failed %v, want %v %v (%+v)", st.Done(commitB), st.FailedAt(commitB), tt.done, tt.failed, st)
			}
			if tt.health != "" && st.Health != tt.health {
				t.Errorf("health = %q, want %q", st.Health, tt.health)
			}
			if !strings.Contains(st.Message, tt.msg) {
				t.Errorf("message = %q, want %q", st.Message, tt.msg)
			}
		})
	}
}
