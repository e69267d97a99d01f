// Package kube runs environments on Kubernetes: one Helm release per
// environment, installed and upgraded through the Helm v4 SDK (its chart
// engine, release records and storage, manifest and hook order) and
// client-go, with server-side apply under one field manager (ferry); the
// release flow — what helm install/upgrade/rollback/uninstall do, hooks
// and CRDs included — is ferry's own (flow.go, objects.go), as Helm's
// pkg/action and pkg/kube bring its plugin runtime and kubectl into the
// binary. The service's image is pinned by digest in every workload
// container that runs it, whatever the chart's templates say. What runs is
// read back from the cluster itself — the digest from every pod's
// status.containerStatuses[].imageID, the configuration from the pods'
// env and envFrom resolved against the live ConfigMaps and Secrets —
// never from what ferry meant to deploy.
//
// A kube environment keeps its state in the cluster, so two people
// promoting from two laptops see one history and one lock: the revisions
// are the Helm release's (ferry's metadata in its labels and description,
// so `helm history` and `ferry history` tell the same story), and the lock
// is a coordination.k8s.io Lease per environment that expires when its
// holder dies. The rest of the record — the metric samples of each
// revision's soak and the log-level settings — is a ConfigMap beside
// them (record.go), so both people judge one soak.
//
// Nothing shells out to helm or kubectl.
package kube
