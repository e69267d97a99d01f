// Package promote moves one artifact digest through a project's
// environments: deploy into the first, promote the digest that is
// running in one environment to the next after its gates (healthy,
// soaked, smoke), verify what runs against what the repository says,
// roll back, and report status and history.
//
// Every operation that changes an environment holds that environment's
// lock (internal/state) for its whole length and records each step in the
// state store in its own transaction, in an order chosen so that a ferry
// killed at any point leaves the environment on the old revision or the
// new one; the next operation on the environment finishes the job
// (recover). Operations are types over one shared Config, as in Helm's
// pkg/action.
package promote
