// Package state is ferry's record model: what it deployed, per
// environment — every revision (digest, tag, config snapshot with secrets
// as keyed hashes only, who and when, where it was promoted from, the
// gates it passed, its outcome, the instances its target started) — the
// metric samples scraped while a revision soaks, the log-level settings
// made at run time, and a per-environment lock so that two changes of one
// environment never interleave.
//
// It is public so that a program embedding promote, or a target kept
// outside this module, can name what promote returns and provide its own
// Store. Store is the whole interface promote works through: a target
// that keeps an environment's history somewhere of its own (a Kubernetes
// target: a Secret and a Lease in the cluster) keeps its samples and log
// levels there too, so everyone promoting that environment sees one
// record. The project's own store, a bbolt file under .ferry/, is
// internal/boltstore.
//
// A Store's every change is one transaction, so a ferry killed at any
// moment leaves it either before or after the change.
package state

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ferrydev/ferry/internal/sentinel"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
)

// ErrCorrupt is returned when a store's records cannot be read as
// records; ferry never overwrites them.
var ErrCorrupt error = &sentinel.Error{Text: "state file is corrupted"}

// ErrNoRevision is returned for a revision number an environment lacks.
var ErrNoRevision error = &sentinel.Error{Text: "no such revision"}

// Store keeps an environment's whole record: its revisions, the metric
// samples of each revision's soak, its log-level settings, and its lock.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in one read-write transaction: all of it lands or
	// none. An error from fn aborts it.
	Update(fn func(Tx) error) error
	// Lock takes env's lock without waiting, or returns a *LockedError
	// naming the holder. A lock whose holder died is free again (an
	// flock dies with its process; a Lease expires).
	Lock(ctx context.Context, env string, h Holder) (Lock, error)

	// AddSample records a metric sample scraped from revision rev of
	// env while it soaks.
	AddSample(env string, rev int, s soak.Sample) error
	// Samples returns the samples of revision rev of env taken in
	// [from, to], oldest first.
	Samples(env string, rev int, from, to time.Time) ([]soak.Sample, error)
	// AddLevel records s as s.Env's latest log-level setting.
	AddLevel(s remotelog.Setting) error
	// LevelHistory returns env's log-level settings, oldest first.
	LevelHistory(env string) ([]remotelog.Setting, error)
}

// A Store is what the soak judge and the log-level server read.
var (
	_ soak.Store      = Store(nil)
	_ remotelog.Store = Store(nil)
)

// Tx is a transaction on a Store. Methods take the environment's name, so
// one transaction may read several environments of one store.
type Tx interface {
	// Current returns the environment's live revision number, 0 when none.
	Current(env string) (int, error)
	// CurrentRevision returns the live revision, nil when none.
	CurrentRevision(env string) (*Revision, error)
	// SetCurrent makes revision n the live one (0: nothing live).
	SetCurrent(env string, n int) error
	// Get returns revision n of env, or an error matching ErrNoRevision.
	Get(env string, n int) (*Revision, error)
	// List returns every revision of env, oldest first.
	List(env string) ([]Revision, error)
	// Add stores r as the environment's next revision, setting r.Number.
	Add(r *Revision) (int, error)
	// Put stores r under its number, replacing what was there.
	Put(r *Revision) error
}

// Lock is a held environment lock.
type Lock interface {
	Release() error
}

// Instance is what a target started for a revision: enough for recovery
// to find it again and to tell a restart from the original. What it is
// (a process, a pod) and its facts (a pid) are in Private, the target's
// own record: records written before it moved there carry a "pid" field
// too, which is read no more.
type Instance struct {
	Name    string    `json:"name"`
	Started time.Time `json:"started,omitzero"`
	// Private is the target's own record (a process's pid and start
	// tick, its log path); only the target reads it.
	Private json.RawMessage `json:"private,omitempty"`
}

// Outcome says what became of a revision.
type Outcome string

// The outcomes of a revision.
const (
	// Pending: the deploy started and has not finished (or ferry died).
	Pending Outcome = "pending"
	// Live: the revision is what the environment runs.
	Live Outcome = "live"
	// Superseded: a later revision replaced it.
	Superseded Outcome = "superseded"
	// Failed: the revision never became healthy, or a gate after it
	// failed; the previous revision was restored.
	Failed Outcome = "failed"
	// Aborted: ferry died mid-deploy; recovery stopped what it started.
	Aborted Outcome = "aborted"
	// Stopped: `ferry down` stopped it.
	Stopped Outcome = "stopped"
)

// Entry is one key of a revision's config snapshot. A secret's Value is
// "sha256:<hex>" of the value, never the value.
type Entry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
	Source string `json:"source,omitempty"`
}

// Gate is one promotion gate and whether it passed.
type Gate struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

// Revision is one deploy of an artifact into an environment.
type Revision struct {
	Env    string `json:"env"`
	Number int    `json:"revision"`
	// Digest is the image's manifest digest; BinaryDigest the sha256 of
	// the executable inside it, which is what a live process is matched by.
	Digest       string    `json:"digest"`
	BinaryDigest string    `json:"binaryDigest,omitempty"`
	Tag          string    `json:"tag,omitempty"`
	Config       []Entry   `json:"config"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
	// Action is deploy, promote or rollback.
	Action       string `json:"action"`
	PromotedFrom string `json:"promotedFrom,omitempty"`
	FromRevision int    `json:"fromRevision,omitempty"`
	SkipPath     string `json:"skipPath,omitempty"`
	// RollbackOf is the revision a rollback restored.
	RollbackOf int     `json:"rollbackOf,omitempty"`
	Gates      []Gate  `json:"gates,omitempty"`
	Outcome    Outcome `json:"outcome"`
	Reason     string  `json:"reason,omitempty"`
	// Since is when the revision became healthy (its soak starts there);
	// URL the service's base URL as ferry reaches it.
	Since time.Time `json:"since,omitzero"`
	URL   string    `json:"url,omitempty"`
	// Instances are what the target started for the revision, recorded
	// before they could run unobserved (write-ahead).
	Instances []Instance `json:"instances,omitempty"`
	// GatesPending says the revision's after-deploy gates (smoke and
	// verify of a promotion's target) have not run to the end: recovery
	// runs them, and rolls back to Replaces when they fail.
	GatesPending bool `json:"gatesPending,omitempty"`
	// Replaces is the revision that was live when this one was made.
	Replaces int `json:"replaces,omitempty"`
	// Signature is the verified signature of Digest, recorded when the
	// environment requires one: the key that signed and who.
	Signature *Signature `json:"signature,omitempty"`
}

// Signature records who signed a revision's digest with which key.
type Signature struct {
	KeyID  string `json:"keyId"`
	Key    string `json:"key"`
	Signer string `json:"signer,omitempty"`
}
