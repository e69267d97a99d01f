// Package platform defines where an environment runs: the Target
// interface that deploys an image digest with a configuration, reports
// the instances that are live and their health, and stops an environment,
// plus a registry of targets by ferry.yaml's `target:` name.
//
// The interface speaks in neutral facts (an image reference, instances,
// health), so every target — platform/local runs processes on this
// machine, platform/kube a Helm release — is driven by the same promote
// code: revisions, gates, history and rollback live above the target.
// Settings that only one target understands are that target's business:
// it registers a Decoder with Register that reads its keys of an
// environment's ferry.yaml section (the local target's `env:`,
// `secretsFile`; kube's `context:`) and refuses what is wrong at its
// line, and its Desired method applies them. A new target is its own
// package plus one registration line; platformtest/targetsuite is the
// suite every target passes.
package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Var is one variable of the configuration a revision runs with.
type Var struct {
	Key    string
	Value  string
	Secret bool
	// Source says where the value came from (file:line, ferry.yaml, the
	// secrets file), for the stored snapshot and reports.
	Source string
}

// Spec is what to deploy: one image with one configuration.
type Spec struct {
	// Env is the environment's name; Environment its ferry.yaml settings
	// (namespace, release, values files, health…).
	Env         string
	Environment *project.Environment
	// Revision is the number the state store gave this deploy.
	Revision int
	// Image is the image reference, pinned by digest
	// (repository@sha256:…); Digest is that digest and Tag the tag it was
	// built as, for labels.
	Image  string
	Digest string
	Tag    string
	// Vars is the configuration as Desired returned it, secrets included.
	Vars []Var
	// HealthTimeout bounds the wait for the new revision to become
	// healthy; 30s when zero.
	HealthTimeout time.Duration
	// ForceConflicts lets a target that applies server-side take over
	// fields another field manager owns (kubectl edit); without it such
	// a field fails the deploy, naming the manager. MigrateApply lets it
	// move a release last applied client-side to server-side apply.
	ForceConflicts, MigrateApply bool
	// Started, when set, is called with each instance the target has
	// created before it may run unobserved: the caller records it
	// (write-ahead) so that a ferry killed at any point leaves nothing it
	// does not know about. An error stops the deploy and the instance.
	Started func(Instance) error
}

// Instance is one running copy of a revision: a process, a pod.
type Instance struct {
	// Name identifies it to a user: "pid 4242", a pod's name.
	Name string `json:"name"`
	// Digest is the image digest it runs, read from the instance itself
	// (a process's executable, a pod's imageID); "" when it runs nothing
	// ferry knows.
	Digest string `json:"digest"`
	// Revision is the ferry revision that started it, 0 when ferry did
	// not (started by hand).
	Revision int  `json:"revision"`
	Ready    bool `json:"ready"`
	// Restarts counts restarts since the revision was deployed.
	Restarts int       `json:"restarts"`
	Started  time.Time `json:"started,omitzero"`
	Node     string    `json:"node,omitempty"`
	// Configs is the digest of the configuration layer (configs/) the
	// instance reads, where the platform sees it apart from the image
	// (local); "" elsewhere.
	Configs string `json:"configs,omitempty"`
	// Mismatch says why Digest is "" for an instance that runs: not
	// started by ferry, or what it runs is not what its revision's
	// artifact holds (the target checks its own facts: the local one a
	// process's executable and configs/).
	Mismatch string `json:"mismatch,omitempty"`
	// Details are the target's own facts about the instance, for people,
	// by label: a local process's "pid" and "executable" digest. Only
	// the target that wrote them knows what they mean; outputs show them
	// as they are (see DetailsText).
	Details map[string]string `json:"details,omitempty"`
	// Stale names what the instance read at start that changed since (a
	// ConfigMap or Secret it reads through env on Kubernetes): its
	// process does not have the current values.
	Stale []string `json:"stale,omitempty"`
	// Env is the environment as the instance got it (secrets included:
	// never printed, compared by hash).
	Env map[string]string `json:"-"`
	// Runtime marks the keys of Env the platform itself set at run time
	// (Kubernetes service links and fieldRefs): no repository says their
	// value, so verify counts any value as matching.
	Runtime map[string]bool `json:"-"`
	// Private is the target's own record of the instance (a local
	// process's start time and log), kept in the state store with the
	// revision and handed back on recovery; nothing else reads it.
	Private []byte `json:"-"`
}

// The labels of Details that the JSON outputs carried as fields of their
// own before targets owned their facts. Those fields ("pid", "executable")
// are kept, filled from Details, for one release.
//
// Deprecated: read Details; the aliases go in the release after this one.
const (
	DetailPID        = "pid"
	DetailExecutable = "executable"
)

// DetailPIDOf is Details' "pid" as a number, 0 when the target gave none:
// the deprecated "pid" JSON field.
func DetailPIDOf(details map[string]string) int {
	n, _ := strconv.Atoi(details[DetailPID])
	return n
}

// DetailsText is details as a line of text for people, labels in order:
// "pid 838". Values are the target's own and printed as they are (never
// a secret: a target writes no configuration value here).
func DetailsText(details map[string]string) string {
	parts := make([]string, 0, len(details))
	for _, k := range slices.Sorted(maps.Keys(details)) {
		parts = append(parts, k+" "+details[k])
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON adds the deprecated "pid" and "executable" fields, read
// from Details.
func (in Instance) MarshalJSON() ([]byte, error) {
	type plain Instance
	return json.Marshal(struct {
		plain
		PID        int    `json:"pid,omitempty"`
		Executable string `json:"executable,omitempty"`
	}{plain(in), DetailPIDOf(in.Details), in.Details[DetailExecutable]})
}

// Rollout is what Deploy did.
type Rollout struct {
	Instances []Instance
	// URL is the service's base URL as ferry reaches it
	// (http://127.0.0.1:18080), for smoke steps; "" when unreachable.
	URL string
	// Startup is how long the service took from start to its first
	// healthy answer, and StopWait how long the revisions it replaced
	// took to stop: the service's own time, which ferry only waits for.
	Startup  time.Duration
	StopWait time.Duration
}

// Query says which environment to look at.
type Query struct {
	Env         string
	Environment *project.Environment
	// Vars is the configuration the environment is meant to run (the
	// live revision's snapshot or the desired one): the local target
	// finds the process serving its HTTP_PORT, whoever started it.
	Vars map[string]string
}

// Health is an environment's health as its endpoint reports it.
type Health string

// The health states (DESIGN.md's status shape).
const (
	HealthUp       Health = "UP"
	HealthDegraded Health = "DEGRADED"
	HealthDown     Health = "DOWN"
	HealthUnknown  Health = "UNKNOWN"
)

// Live is what runs in an environment now, read from the instances.
type Live struct {
	Env string
	// Revision is the ferry revision the instances belong to, 0 when
	// ferry did not start them.
	Revision int
	// Digest is the one image digest the instances run ("" when they
	// run nothing ferry knows, or different ones).
	Digest    string
	Instances []Instance
	// URL is the service's base URL as ferry reaches it.
	URL          string
	Health       Health
	HealthDetail string
}

// Target runs environments.
type Target interface {
	// Name is the target's ferry.yaml name: "local", "kube".
	Name() string
	// Desired turns an environment's effective configuration, as the
	// repository renders it, into what the target runs it with: the
	// local target adds ferry.yaml's env: and the secrets file's
	// values. Errors wrap project.ErrInput-style bad input as
	// ErrBadInput.
	Desired(ctx context.Context, env *project.Environment, eff *render.Config) ([]Var, error)
	// Deploy starts s, waits until it is healthy, then retires the
	// environment's other revisions. When s does not become healthy it is
	// stopped, the previous revision is left (or put back) running, and a
	// *DeployError says why.
	Deploy(ctx context.Context, s Spec) (*Rollout, error)
	// Live returns what runs in q.Env, or an error matching
	// ErrNotRunning.
	Live(ctx context.Context, q Query) (*Live, error)
	// Health asks the environment's health endpoint; the string says why
	// when it is not UP.
	Health(ctx context.Context, q Query) (Health, string)
	// Revisions returns the revisions of env that have live instances.
	Revisions(ctx context.Context, env string) ([]int, error)
	// Stop stops every instance of env except those of revision keep
	// (0: all) and returns once they are gone.
	Stop(ctx context.Context, env string, keep int) error
}

// Options is what a target is opened with.
type Options struct {
	Project *project.Project
	// Images is the project's artifact store.
	Images *artifact.Store
	Logger *slog.Logger
	// Wait, when set, is told about long waits (progress on a TTY).
	Wait func(what string, elapsed time.Duration)
}

// Opener opens a target for a project.
type Opener func(o Options) (Target, error)

// Decoder reads one environment's settings that belong to the target —
// the keys of its ferry.yaml section beyond project.SharedKeys, usually
// through e.DecodeSettings — validates them, naming ferry.yaml:line, and
// returns them typed; the target finds them again in e.Settings. It may
// add to p.Warnings what is allowed but unwise.
type Decoder func(p *project.Project, e *project.Environment) (any, error)

// Registration is what a target registers: how to open it and how to
// decode its environments' settings (nil: it has none, and any key of
// its own is refused).
type Registration struct {
	Open   Opener
	Decode Decoder
}

var (
	mu      sync.Mutex
	targets = map[string]Registration{}
)

// Register makes a target available under name (ferry.yaml's `target:`).
// Targets register themselves in their package's init; a program picks
// the targets it supports by importing their packages.
func Register(name string, r Registration) {
	mu.Lock()
	defer mu.Unlock()
	targets[name] = r
}

// Names returns the registered target names, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	return slices.Sorted(maps.Keys(targets))
}

// ErrUnknownTarget is returned by Open for a name nothing registered.
var ErrUnknownTarget = errors.New("unknown target")

func lookup(name string) (Registration, error) {
	mu.Lock()
	r, ok := targets[name]
	mu.Unlock()
	if !ok {
		return r, fmt.Errorf("%w %q (this ferry supports %s)", ErrUnknownTarget, name, strings.Join(Names(), ", "))
	}
	return r, nil
}

// Open opens the target registered as name, once the settings of the
// project's environments on it are decoded (DecodeSettings).
func Open(name string, o Options) (Target, error) {
	r, err := lookup(name)
	if err != nil {
		return nil, err
	}
	if o.Project != nil {
		for _, e := range o.Project.Environments {
			if e.Target == name {
				if err := decode(o.Project, e, r); err != nil {
					return nil, err
				}
			}
		}
	}
	return r.Open(o)
}

// DecodeSettings runs each environment's target decoder over its
// ferry.yaml section and keeps the result in e.Settings. The first
// environment whose target is unknown or whose settings are wrong is an
// error matching ErrBadInput that names ferry.yaml:line; `ferry check`
// runs it so that a bad block is found before anything deploys.
func DecodeSettings(p *project.Project) error {
	for _, e := range p.Environments {
		r, err := lookup(e.Target)
		if err != nil {
			return badInput{fmt.Errorf("%s:%d: environment %q: target: %w", project.FileName, e.KeyLine("target"), e.Name, err)}
		}
		if err := decode(p, e, r); err != nil {
			return err
		}
	}
	return nil
}

// decode decodes e's settings once.
func decode(p *project.Project, e *project.Environment, r Registration) error {
	if e.Settings != nil {
		return nil
	}
	var err error
	if r.Decode == nil {
		err = e.DecodeSettings(e.Target, &struct{}{})
	} else {
		e.Settings, err = r.Decode(p, e)
	}
	if err != nil && !errors.Is(err, ErrBadInput) {
		err = badInput{err}
	}
	return err
}

// badInput is an error in ferry.yaml, matching ErrBadInput but said as
// itself: it starts with the ferry.yaml:line it is about.
type badInput struct{ error }

func (e badInput) Is(target error) bool { return target == ErrBadInput }
func (e badInput) Unwrap() error        { return e.error }

// ErrNotRunning is returned by Live when nothing runs in the environment.
var ErrNotRunning = errors.New("not running")

// ErrBadInput marks an error in what the user gave the target (a missing
// secrets file, a chart that pins nothing): exit 2.
var ErrBadInput = errors.New("bad input")

// DeployError is a revision that did not become healthy.
type DeployError struct {
	Env      string
	Revision int
	Reason   string
	// LogTail is the last lines of the revision's log (or its failing
	// objects' events), already scrubbed of secrets.
	LogTail []string
	// Restored says whether the previous revision runs (again).
	Restored bool
	// Restarted are the instances of the previous revision that had to be
	// stopped for the new one and were started again: the caller records
	// them, and their soak starts over.
	Restarted []Instance
	// Note is what the caller adds about the outcome (a restarted
	// revision's soak).
	Note string
	// Err is the cause, when it is one a caller tells apart (an
	// interrupt: context.Canceled).
	Err error
}

// Unwrap returns the cause.
func (e *DeployError) Unwrap() error { return e.Err }

func (e *DeployError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s revision %d: %s", e.Env, e.Revision, e.Reason)
	switch {
	case e.Restored && len(e.Restarted) > 0:
		b.WriteString(" (previous revision restarted)")
	case e.Restored:
		b.WriteString(" (the previous revision kept serving)")
	}
	if e.Note != "" {
		b.WriteString("; " + e.Note)
	}
	if len(e.LogTail) > 0 {
		// The service wrote these lines, escape sequences and all: they
		// reach the operator's terminal.
		lines := make([]string, len(e.LogTail))
		for i, l := range e.LogTail {
			lines[i] = secret.PrintableLine(l)
		}
		b.WriteString("; last log lines:\n  " + strings.Join(lines, "\n  "))
	}
	return b.String()
}

// MissingSecretsError is an environment whose secrets file does not
// exist. Vars is the configuration with each key the file should supply
// valued MissingSecret(Path): read commands show that, commands that
// start something refuse with the error, which names the file's full
// path, the ferry.yaml line that points at it and the keys it must hold.
type MissingSecretsError struct {
	Env  string
	Path string
	// Line is the ferry.yaml line of secretsFile: (0 when unknown).
	Line int
	Keys []string
	Vars []Var
}

func (e *MissingSecretsError) Error() string {
	where := "ferry.yaml"
	if e.Line > 0 {
		where = fmt.Sprintf("ferry.yaml:%d", e.Line)
	}
	keys := "the Secrets the chart references"
	if len(e.Keys) > 0 {
		keys = strings.Join(e.Keys, ", ")
	}
	return fmt.Sprintf("environment %q: secrets file %s does not exist (%s sets secretsFile:); create it (mode 0600) with %s", e.Env, e.Path, where, keys)
}

// Is makes it bad input.
func (e *MissingSecretsError) Is(target error) bool { return target == ErrBadInput }

// MissingSecret is the value shown for a key whose secrets file is
// missing.
func MissingSecret(path string) string { return missingSecret + path + ")" }

const missingSecret = "(secret file missing: "

// IsMissingSecret says whether v is a MissingSecret placeholder.
func IsMissingSecret(v string) bool {
	return strings.HasPrefix(v, missingSecret) && strings.HasSuffix(v, ")")
}

// PortInUseError is returned when a port the revision needs is held by a
// process that is not the environment's.
type PortInUseError struct {
	Port int
	PID  int
}

func (e *PortInUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("port %d is already in use by pid %d", e.Port, e.PID)
	}
	return fmt.Sprintf("port %d is already in use", e.Port)
}

// ObjectDrift is one field of a live object that differs from what the
// live revision deployed, and the field manager that changed it.
type ObjectDrift struct {
	Object  string `json:"object"`
	Field   string `json:"field"`
	Desired string `json:"desired"`
	Live    string `json:"live"`
	Manager string `json:"manager,omitempty"`
	Secret  bool   `json:"secret,omitempty"`
}
