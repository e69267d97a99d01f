// Package gitops is the `gitops` target: an environment runs what a
// GitOps engine (Flux or Argo CD) applies from git, and ferry never
// writes to its cluster. A deploy renders the environment exactly as
// `ferry render` does, pins the service's image by digest, writes one
// file per object plus ferry.json into the environment's directory of
// the configured repository and branch, commits and pushes it, then
// waits until the engine reports that commit applied and healthy and the
// pods run the digest. Rollback is a new commit; the audit trail is git.
// A protected environment (pull-request mode, review.go) gets its change
// on a review branch instead, and Resume finishes it once merged.
//
// Settings live in the environment's `gitops:` block of ferry.yaml,
// which this package decodes and validates itself (settings.go).
package gitops
