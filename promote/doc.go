// Package promote moves one artifact digest through a project's
// environments: deploy into the first, promote the digest that is
// running in one environment to the next after its gates (healthy,
// soaked, smoke, and whatever else Config.Gates adds), verify what runs
// against what the repository says, roll back, and report status and
// history as view types.
//
// Operations are types over one shared Config, as in Helm's pkg/action,
// one file each: Deploy, Promote, Rollback, Verify, Drift, Status,
// History, Down, Recover — each with Run(ctx, …). Gates are one ordered
// list (DefaultGates in gates.go), each gate a type in its own file.
// The environment's target (package platform) runs things; its state
// store (package state) remembers them, with the environment's soak
// samples and log levels — the project's bbolt file, or the target's
// own store when it implements Stateful.
//
// Every operation that changes an environment holds that environment's
// lock for its whole length and records each step in the state store in
// its own transaction, in an order chosen so that a ferry killed at any
// point leaves the environment on the old revision or the new one; the
// next operation on the environment finishes the job (recover).
package promote
