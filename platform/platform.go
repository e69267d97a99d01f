// Package target defines where an environment runs: the Target interface
// that deploys an artifact digest with a configuration, reports what is
// live, and stops an environment. target/local runs processes on this
// machine; a Kubernetes target (Helm SDK + client-go) implements the same
// interface. Revisions, history and rollback live above the target, in
// promote and internal/state, so every target gets them the same way.
package target

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Var is one variable of the process environment a revision runs with.
type Var struct {
	Key    string
	Value  string
	Secret bool
}

// Spec is what to deploy: one artifact with one configuration.
type Spec struct {
	// Env is the environment's name.
	Env string
	// Revision is the number the state store gave this deploy.
	Revision int
	// Digest is the image digest; BinaryDigest the sha256 of its
	// executable, which is how a live process is recognised.
	Digest       string
	BinaryDigest string
	// Vars is exactly the process environment, secrets included.
	Vars []Var
	// HealthURL overrides the health endpoint; by default
	// http://127.0.0.1:<HTTP_PORT>/.well-known/health.
	HealthURL string
	// HealthTimeout bounds the wait for the new revision to become
	// healthy; 30s when zero.
	HealthTimeout time.Duration
}

// Process is a revision's running instance.
type Process struct {
	PID int
	// StartTick is the start time in clock ticks since boot: a restart
	// (same revision, new process) changes it.
	StartTick uint64
	Since     time.Time
	Root      string
	Log       string
	URL       string
	// Startup is how long the service took from exec to its first healthy
	// answer, and StopWait how long the revisions it replaced took to
	// exit: the service's own time, which ferry only waits for.
	Startup  time.Duration
	StopWait time.Duration
}

// Query says which environment to look at and how to find its process.
type Query struct {
	Env string
	// Port is the HTTP port the environment serves on; the process
	// listening there is what is live, whoever started it.
	Port int
	// HealthURL overrides the health endpoint.
	HealthURL string
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

// Live is what runs in an environment now, read from the process itself.
type Live struct {
	Process
	// BinaryDigest is the sha256 of the running executable.
	BinaryDigest string
	// Revision is the ferry revision that started it, 0 when the process
	// was not started by ferry (started by hand).
	Revision int
	// Env is the process environment as the kernel holds it.
	Env    map[string]string
	Health Health
	// HealthDetail says why health is not UP.
	HealthDetail string
}

// Target runs environments.
type Target interface {
	// Deploy starts s, waits until it is healthy, then stops the
	// environment's other revisions. When s does not become healthy it is
	// stopped, the previous revision is left (or put back) running, and a
	// *DeployError says why.
	Deploy(ctx context.Context, s Spec) (*Process, error)
	// Live returns what runs in q.Env, or ErrNotRunning.
	Live(ctx context.Context, q Query) (*Live, error)
	// Revisions returns the revisions of env that have a live process.
	Revisions(ctx context.Context, env string) ([]int, error)
	// Stop stops every process of env except revision keep (0: all), each
	// with its own SHUTDOWN_GRACE_PERIOD.
	Stop(ctx context.Context, env string, keep int) error
}

// ErrNotRunning is returned by Live when nothing runs in the environment.
var ErrNotRunning = errors.New("not running")

// DeployError is a revision that did not become healthy.
type DeployError struct {
	Env      string
	Revision int
	Reason   string
	// LogTail is the last lines of the revision's log.
	LogTail []string
	// Restored says whether the previous revision runs again.
	Restored bool
}

func (e *DeployError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s revision %d: %s", e.Env, e.Revision, e.Reason)
	if e.Restored {
		b.WriteString(" (previous revision restored)")
	}
	if len(e.LogTail) > 0 {
		b.WriteString("; last log lines:\n  " + strings.Join(e.LogTail, "\n  "))
	}
	return b.String()
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
