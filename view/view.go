// Package view holds what ferry shows about environments — status,
// history, verify, drift, a promotion's plan — as plain values that
// every output format (table, JSON, the web page) renders as they are.
//
// A view is redacted when it is built: secret values are never in it,
// URLs show their host with only the password replaced, free text (a
// failed revision's reason, a gate's detail) is scrubbed. The JSON field
// names are ferry's stable contract (DESIGN.md): fields are added, never
// renamed. Nothing here is a stored record: a history entry does not
// carry the pids, log paths and other target facts the state keeps.
package view

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
)

// Gate is one promotion gate and whether it passed.
type Gate struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
	// WouldRun marks a step a dry run did not run because it could
	// change the environment (a smoke step that is not GET or HEAD).
	WouldRun bool `json:"wouldRun,omitempty"`
}

// WouldRun starts the detail of a gate a dry run did not run.
const WouldRun = "would run"

// Gates converts stored gates, scrubbing their details.
func Gates(gs []state.Gate) []Gate {
	out := make([]Gate, 0, len(gs))
	for _, g := range gs {
		out = append(out, Gate{Name: g.Name, Passed: g.Passed, Detail: secret.Scrub(g.Detail), WouldRun: strings.HasPrefix(g.Detail, WouldRun+":")})
	}
	return out
}

// Status is `ferry status`.
type Status struct {
	Environments []EnvStatus `json:"environments"`
}

// EnvStatus is one environment in `ferry status` (DESIGN.md's shape).
type EnvStatus struct {
	// Environment is the environment's name; Name is its older alias,
	// kept for one release (DESIGN.md: an environment is "environment").
	Environment   string          `json:"environment"`
	Name          string          `json:"name"`
	Target        string          `json:"target"`
	Digest        string          `json:"digest"`
	Tag           string          `json:"tag"`
	Revision      int             `json:"revision"`
	Since         string          `json:"since"`
	Health        platform.Health `json:"health"`
	SoakRemaining string          `json:"soakRemaining"`
	// Details are what the target says of the live revision's instance
	// (the local target: its "pid"), from its own record.
	Details map[string]string `json:"details,omitempty"`
	// PID is details.pid as a number, set with it (SetDetails).
	//
	// Deprecated: read Details; kept for one release. (A field, not a
	// MarshalJSON: serve's Column embeds EnvStatus and is marshalled
	// whole.)
	PID int `json:"pid,omitempty"`
	// HealthDetail says why health is not UP.
	HealthDetail string `json:"healthDetail,omitempty"`
	// Signature is the signature state of Digest; nil when the project
	// trusts no key.
	Signature *Signature `json:"signature,omitempty"`
}

// SetDetails sets Details and their deprecated alias PID.
func (e *EnvStatus) SetDetails(d map[string]string) {
	e.Details, e.PID = d, platform.DetailPIDOf(d)
}

// Signature is the signature state of a digest under the project's trust
// policy.
type Signature struct {
	// State is verified, unsigned, unknown-key, other-digest or tampered.
	State string `json:"state"`
	// Required says the environment runs only verified digests.
	Required bool   `json:"required"`
	KeyID    string `json:"keyId,omitempty"`
	Key      string `json:"key,omitempty"`
	Signer   string `json:"signer,omitempty"`
	Reason   string `json:"reason"`
}

// OK reports whether the signature state lets the environment run it.
func (s *Signature) OK() bool { return s == nil || !s.Required || s.State == "verified" }

// Entry is one key of a revision's configuration, redacted (Entries):
// the stored shape, with a value that may be shown.
type Entry = state.Entry

// History is `ferry history <env>`.
type History struct {
	Environment string     `json:"environment"`
	Revisions   []Revision `json:"revisions"`
	// LogLevels are the changes of the environment's log level, newest
	// first: who set which level and when, and when it went back.
	LogLevels []LevelChange `json:"logLevels"`
}

// Revision is one entry of an environment's history: the stored
// revision's fields under the same names, its configuration, gates,
// reason and skip path redacted, and without what only the target and
// recovery read (instances, URL, pending gates, the revision it replaced).
type Revision struct {
	// Environment is the environment's name; the stored Env ("env") is
	// its older alias, kept for one release.
	Environment string `json:"environment"`
	state.Revision
	// Config and Gates replace the stored ones, redacted.
	Config []Entry `json:"config"`
	Gates  []Gate  `json:"gates,omitempty"`
}

// NewRevision is the view of a stored revision.
func NewRevision(r *state.Revision) Revision {
	v := Revision{Environment: r.Env, Revision: *r, Config: Entries(r.Config)}
	v.Revision.Config, v.Revision.Gates = nil, nil
	v.SkipPath, v.Reason = secret.Scrub(r.SkipPath), secret.Scrub(r.Reason)
	// What the target and recovery read stays in the record.
	v.URL, v.Instances, v.GatesPending, v.Replaces = "", nil, false, 0
	if len(r.Gates) > 0 {
		v.Gates = Gates(r.Gates)
	}
	return v
}

// Entries redacts a stored configuration snapshot: secrets (stored as
// keyed hashes) show as secret.Redacted, a URL's password is replaced.
func Entries(es []state.Entry) []Entry {
	out := make([]Entry, 0, len(es))
	for _, e := range es {
		// A stored secret is a keyed hash: wholly hidden.
		out = append(out, Entry{Key: e.Key, Value: shown(e.Key, e.Value, e.Secret, true), Secret: e.Secret, Source: e.Source})
	}
	return out
}

// Difference is one key whose live value is not the wanted one.
type Difference struct {
	Key string `json:"key"`
	// Change is "differs", "missing" (wanted, not live) or "unexpected"
	// (live, not wanted).
	Change string `json:"change"`
	Want   string `json:"want"`
	Live   string `json:"live"`
	Secret bool   `json:"secret"`
}

// Verify is what `ferry verify` found, in three parts that are judged
// apart: health (what the endpoint says), identity (whether what runs is
// the live revision's artifact with the configuration it was deployed
// with) and drift (what changed in the repository since that deploy).
// Health or identity failing is a failure; drift alone is not (a deploy
// applies it), unless the caller is strict.
type Verify struct {
	Environment string `json:"environment"`
	// Details are what the target says of the live instance (the local
	// target: its "pid" and running "executable" digest); JSON also
	// carries "pid" and "executable", their deprecated aliases, kept for
	// one release.
	Details map[string]string `json:"details,omitempty"`
	// Revision is the ferry revision of what runs, 0 when ferry did not
	// start it.
	Revision int `json:"revision"`
	// Digest is the artifact what runs was started from, as its revision
	// recorded it and its executable and configuration layer confirm (""
	// when they do not, or ferry did not start it: Mismatch says why).
	Digest string `json:"digest"`
	// WantDigest is the live revision's artifact digest, Tag its tag.
	WantDigest string `json:"wantDigest"`
	Tag        string `json:"tag,omitempty"`
	// WantExecutable is the live revision's executable digest where the
	// instance's details name an executable (local target). Whether the
	// process runs it is the target's to judge: it reports the answer
	// as Mismatch.
	//
	// Deprecated: compare details.executable or read Mismatch; kept for
	// one release.
	WantExecutable string `json:"wantExecutable"`
	// WantConfigs and Configs are the digests of the live revision's
	// artifact's configuration layer (configs/) and of the one the
	// process reads (local target).
	WantConfigs string `json:"wantConfigs,omitempty"`
	Configs     string `json:"configs,omitempty"`
	// Mismatch says why Digest is not the revision's.
	Mismatch     string              `json:"mismatch,omitempty"`
	Health       platform.Health     `json:"health"`
	HealthDetail string              `json:"healthDetail,omitempty"`
	Instances    []platform.Instance `json:"instances,omitempty"`
	// Differences are the keys whose live value is not the one the live
	// revision was deployed with (part of identity).
	Differences []Difference `json:"differences"`
	// Drift is what changed in the repository's configuration (or the
	// secrets file) since the live revision was deployed.
	Drift []Change `json:"drift"`
	// Foreign says what runs was not started by ferry: its differing
	// keys are named, its values never shown.
	Foreign bool `json:"foreign,omitempty"`
	// Signature is the running digest's signature state; nil when the
	// project trusts no key.
	Signature *Signature `json:"signature,omitempty"`
}

// HealthOK says whether the endpoint answers UP.
func (r *Verify) HealthOK() bool { return r.Health == platform.HealthUp }

// IdentityOK says whether what runs is the live revision's artifact —
// digest, executable and configuration layer — with the configuration
// it was deployed with, signed as the environment requires.
func (r *Verify) IdentityOK() bool { return len(r.identityProblems()) == 0 }

// Drifted says whether the repository changed since the deploy (keys
// whose value is unknown — their secrets file is missing — aside).
func (r *Verify) Drifted() bool {
	for _, c := range r.Drift {
		if c.Change != "unknown" {
			return true
		}
	}
	return false
}

// OK says whether what runs is what was deployed, and healthy. Drift
// does not count: see Strict.
func (r *Verify) OK() bool { return r.HealthOK() && r.IdentityOK() }

// Strict is OK with drift counted as a failure (verify --strict).
func (r *Verify) Strict() bool { return r.OK() && len(r.Drift) == 0 }

func (r *Verify) identityProblems() []string {
	var bad []string
	switch {
	case r.WantDigest == "":
		bad = append(bad, "nothing deployed by ferry")
	case r.Digest != r.WantDigest:
		what := fmt.Sprintf("runs %s, not the live revision's %s", orNone(short(r.Digest)), short(r.WantDigest))
		if r.Mismatch != "" {
			what += " (" + r.Mismatch + ")"
		}
		bad = append(bad, what)
	}
	if r.Configs != r.WantConfigs && r.Configs != "" && r.WantConfigs != "" {
		bad = append(bad, fmt.Sprintf("configuration layer %s, want %s", short(r.Configs), short(r.WantConfigs)))
	}
	if n := len(r.Differences); n > 0 {
		keys := make([]string, 0, n)
		for _, d := range r.Differences {
			keys = append(keys, d.Key)
		}
		bad = append(bad, fmt.Sprintf("%d key(s) not as deployed: %s", n, strings.Join(keys, ", ")))
	}
	if !r.Signature.OK() {
		bad = append(bad, "signature "+r.Signature.State)
	}
	var stale []string
	for _, in := range r.Instances {
		if len(in.Stale) > 0 {
			stale = append(stale, in.Name)
		}
	}
	if len(stale) > 0 {
		bad = append(bad, fmt.Sprintf("%d stale (started before a change of config they read): %s", len(stale), strings.Join(stale, ", ")))
	}
	return bad
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "no artifact of this project"
	}
	return s
}

// MarshalJSON adds "ok", "healthOk", "identityOk" and "drifted", and
// the deprecated "pid" and "executable" (details.pid, details.executable).
func (r *Verify) MarshalJSON() ([]byte, error) {
	type plain Verify
	return json.Marshal(struct {
		*plain
		OK         bool   `json:"ok"`
		HealthOK   bool   `json:"healthOk"`
		IdentityOK bool   `json:"identityOk"`
		Drifted    bool   `json:"drifted"`
		PID        int    `json:"pid"`
		Executable string `json:"executable"`
	}{(*plain)(r), r.OK(), r.HealthOK(), r.IdentityOK(), r.Drifted(),
		platform.DetailPIDOf(r.Details), r.Details[platform.DetailExecutable]})
}

// Who names what runs: "pid 42 (revision 3)", "orders-7d9f-abcde
// (revision 3)": the instance as its target names it.
func (r *Verify) Who() string {
	name := "nothing"
	switch {
	case len(r.Instances) == 1:
		name = r.Instances[0].Name
	case len(r.Instances) > 1:
		name = fmt.Sprintf("%d instances", len(r.Instances))
	}
	if r.Revision == 0 {
		return name + " (not started by ferry)"
	}
	return fmt.Sprintf("%s (revision %d)", name, r.Revision)
}

// HealthLine says the health part: "UP", "DEGRADED: redis DOWN (…)".
func (r *Verify) HealthLine() string {
	if r.HealthDetail == "" || strings.HasPrefix(r.HealthDetail, string(r.Health)) {
		return orText(r.HealthDetail, string(r.Health))
	}
	return string(r.Health) + ": " + r.HealthDetail
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// IdentityLine says the identity part.
func (r *Verify) IdentityLine() string {
	if bad := r.identityProblems(); len(bad) > 0 {
		return strings.Join(bad, "; ")
	}
	s := "runs " + short(r.Digest)
	if r.Tag != "" {
		s += " (" + r.Tag + ")"
	}
	s += " as deployed"
	if r.Signature != nil && r.Signature.State == "verified" {
		s += ", signed by " + r.Signature.Key
	}
	return s
}

// DriftLine says the drift part.
func (r *Verify) DriftLine() string {
	if len(r.Drift) == 0 {
		return "none: the repository says what was deployed"
	}
	return driftHints(r.Drift, r.Revision)
}

// Hint says what applies the drift, per key source; "" when nothing
// drifted.
func (d *Drift) Hint() string {
	if len(d.Changes) == 0 {
		return ""
	}
	return driftHints(d.Changes, d.Revision)
}

// driftHints groups changed keys by what applies them: a deploy for keys
// the deploy writes (ferry.yaml, the chart's values), a new build for
// keys of the GoFr files baked into the image (configs/.env and its
// overlays), which a deploy of the same artifact leaves as they were.
func driftHints(changes []Change, revision int) string {
	var changed, baked, unknown []string
	for _, c := range changes {
		switch {
		case c.Change == "unknown":
			unknown = append(unknown, c.Key+" "+c.Desired)
		case c.InImage:
			baked = append(baked, c.Key+" "+c.Change)
		default:
			changed = append(changed, c.Key+" "+c.Change)
		}
	}
	var parts []string
	if len(changed) > 0 {
		parts = append(parts, fmt.Sprintf("%d key(s) changed in the repository since revision %d: %s (ferry deploy applies them)", len(changed), revision, strings.Join(changed, ", ")))
	}
	if len(baked) > 0 {
		parts = append(parts, fmt.Sprintf("%d key(s) changed in the image's configuration files since revision %d: %s (they travel in the image: ferry build, then deploy the new artifact)", len(baked), revision, strings.Join(baked, ", ")))
	}
	if len(unknown) > 0 {
		parts = append(parts, "unknown: "+strings.Join(unknown, ", "))
	}
	return strings.Join(parts, "; ")
}

// Summary is one line about the report: health, identity and drift.
func (r *Verify) Summary() string {
	parts := []string{"health " + r.HealthLine()}
	if r.IdentityOK() {
		parts = append(parts, "identity ok")
	} else {
		parts = append(parts, "identity: "+r.IdentityLine())
	}
	if r.Drifted() {
		parts = append(parts, fmt.Sprintf("drift: %d key(s) changed since the deploy", len(r.Drift)))
	}
	return r.Who() + ": " + strings.Join(parts, "; ")
}

// Change is one key of drift: how the repository's desired configuration
// differs from the snapshot of the live revision.
type Change struct {
	Key    string `json:"key"`
	Change string `json:"change"` // added, removed, changed
	// Deployed and Desired are the two values, redacted.
	Deployed string `json:"deployed"`
	Desired  string `json:"desired"`
	Source   string `json:"source,omitempty"`
	Secret   bool   `json:"secret"`
	// InImage is set when the repository's value is a line of the GoFr
	// files baked into the image (configs/), or for a removed key the
	// deployed value was: a deploy of the same artifact does not change
	// it, a new build does.
	InImage bool `json:"inImage,omitempty"`
}

// Drift is what changed in the repository since the live revision.
type Drift struct {
	Environment string   `json:"environment"`
	Revision    int      `json:"revision"`
	Changes     []Change `json:"changes"`
	// Objects are live objects changed behind ferry's back, on targets
	// that have them (Kubernetes); secret values show as fingerprints.
	Objects []platform.ObjectDrift `json:"objects,omitempty"`
}

// Plan is a promotion: what it moves and how its gates stand.
type Plan struct {
	From         string `json:"from"`
	To           string `json:"to"`
	DryRun       bool   `json:"dryRun"`
	Digest       string `json:"digest"`
	Tag          string `json:"tag"`
	FromRevision int    `json:"fromRevision"`
	ToRevision   int    `json:"toRevision"`
	ToDigest     string `json:"toDigest"`
	Gates        []Gate `json:"gates"`
	// Revision is the revision created in To (0 on a dry run or when
	// refused).
	Revision   int    `json:"revision,omitempty"`
	RolledBack bool   `json:"rolledBack"`
	SkipPath   string `json:"skipPath,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Passed says whether every gate passed.
func (p *Plan) Passed() bool {
	for _, g := range p.Gates {
		if !g.Passed {
			return false
		}
	}
	return true
}
