// Package citest runs the CI pipelines ferry init writes the way CI runs
// them: each job in a fresh clone of the tagged commit, with a fresh HOME,
// its run: steps (or script: lines) in order through bash, sharing nothing
// with the other jobs but what CI shares — the registry (a loopback OCI
// registry) and the cluster (internal/testcluster's control plane) — plus
// the Go module and build caches that setup-go and runners restore. It
// holds only tests; they need the control plane (make test's kube phase).
package citest
