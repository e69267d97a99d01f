package promote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// A guard is a process that outlives the ferry whose change it watches.
// Recovery otherwise waits for the next ferry: a promoted revision whose
// after-deploy gates a kill -9 cut short would serve, unchecked, until
// someone runs ferry again. The ferry changing an environment starts one
// guard when a revision goes pending there and hands it the read end of
// a pipe. Ending the change normally, ferry writes guardDone and closes
// it, and the guard exits without touching anything; when ferry dies,
// the kernel closes the pipe (and drops ferry's flock on the
// environment's lock) at once, the guard reads EOF without guardDone,
// takes the lock and recovers the environment as the next command would.
const guardDone = 'd'

// GuardLog is the file under .ferry/ that guards write to.
const GuardLog = "guard.log"

// guardMargin is added to the longest a change may take (the health
// timeout, then the after-deploy gates) to bound a guard's wait.
const guardMargin = 30 * time.Minute

// GuardFunc returns the command that runs a guard over env until the
// given time: the CLI's hidden `ferry __guard`. It returns nil when no
// guard can be started (no executable to run).
type GuardFunc func(env string, until time.Time) *exec.Cmd

// guard starts a guard over env's change unless one runs already; the
// caller holds env's lock. A guard that cannot start is logged, not an
// error: the next ferry still recovers, as it always did.
func (c *Config) guard(env *project.Environment) {
	if c.Guard == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.guards[env.Name]; ok {
		return
	}
	health := c.HealthTimeout
	if health <= 0 {
		health = 10 * time.Minute
	}
	// Wall-clock time: the guard is another process, with its own clock.
	cmd := c.Guard(env.Name, time.Now().Add(health+guardMargin))
	if cmd == nil {
		return
	}
	w, err := c.startGuard(cmd)
	if err != nil {
		c.log().Warn("no guard over this change: if ferry dies, the next ferry finishes it", "env", env.Name, "err", err)
		return
	}
	if c.guards == nil {
		c.guards = map[string]*os.File{}
	}
	c.guards[env.Name] = w
}

// startGuard starts cmd detached — its own session, no terminal, output
// to .ferry/guard.log — with the read end of a pipe as fd 3, and returns
// the write end.
func (c *Config) startGuard(cmd *exec.Cmd) (*os.File, error) {
	log, err := c.guardLog()
	if err != nil {
		return nil, err
	}
	defer log.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, log, log
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, err
	}
	go cmd.Wait() // reaps it when this ferry lives on (ferry serve)
	return w, nil
}

// guardLog opens .ferry/guard.log for appending, through confine's .ferry.
func (c *Config) guardLog() (*os.File, error) {
	return inFerry(c.Project.Dir, func(fr *confine.Root) (*os.File, error) {
		return fr.OpenFile(GuardLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	})
}

// unguard tells env's guard that the change ended normally.
func (c *Config) unguard(env string) {
	c.mu.Lock()
	w := c.guards[env]
	delete(c.guards, env)
	c.mu.Unlock()
	if w != nil {
		_, _ = w.Write([]byte{guardDone})
		_ = w.Close()
	}
}

// AwaitChange is a guard's wait on the pipe its ferry handed it: false
// when that ferry ended its change normally or the wait passed until,
// true when it died with the change under way.
func AwaitChange(pipe io.Reader, until time.Time) (died bool, err error) {
	got := make(chan error, 1)
	var b [1]byte
	go func() {
		n, err := pipe.Read(b[:])
		if n == 1 {
			err = nil
		}
		got <- err
	}()
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case err := <-got:
		switch {
		case err == nil && b[0] == guardDone:
			return false, nil
		case err == nil, errors.Is(err, io.EOF):
			return true, nil
		default:
			return false, fmt.Errorf("guard: reading the pipe from ferry: %w", err)
		}
	case <-t.C:
		return false, fmt.Errorf("guard: gave up at %s: the change outlasted its longest possible run", until.Format(time.RFC3339))
	}
}

// Guard finishes envName's change after the ferry making it, process
// dead, died: it takes the lock, which runs the recovery every changing
// command runs first (the pending after-deploy gates, or the rollback),
// and says what it found. When another ferry took the lock first, that
// ferry's own recovery does the work and Guard leaves it.
func (r *Recover) Guard(ctx context.Context, envName string, dead int) (string, error) {
	env, err := r.cfg.env(envName)
	if err != nil {
		return "", err
	}
	before, err := r.cfg.current(env)
	if err != nil {
		return "", err
	}
	var unlock func()
	// 20ms at first (a flock drops as its process exits), then up to a
	// second between tries (a Lease is an API call).
	pause := 20 * time.Millisecond
	for wait := time.Now().Add(guardLockWait); ; time.Sleep(pause) {
		pause = min(2*pause, time.Second)
		unlock, err = r.cfg.lock(ctx, env)
		var locked *state.LockedError
		if !errors.As(err, &locked) {
			break
		}
		if locked.Holder.PID != dead || time.Now().After(wait) {
			return fmt.Sprintf("%s: %s (pid %d) holds the lock; its recovery finishes the change", envName, locked.Holder.Command, locked.Holder.PID), nil
		}
		// The pipe closed before the kernel dropped the dead ferry's
		// flock: the two happen one after the other as it exits.
	}
	if err != nil {
		return "", err
	}
	unlock()
	after, err := r.cfg.current(env)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: recovered after an interrupted ferry: %s", envName, summarize(before, after)), nil
}

// guardLockWait bounds how long a guard waits for the lock of the ferry
// it watched, dead, to free: a local flock drops as the process exits,
// a Kubernetes Lease only when it expires (60s), and the promoted
// revision must not serve unchecked until someone runs ferry again.
const guardLockWait = 90 * time.Second

// summarize says what recovery made of env's live revision.
func summarize(before, after *state.Revision) string {
	switch {
	case after == nil:
		return "nothing is live"
	case before != nil && before.Number == after.Number && !after.GatesPending:
		return fmt.Sprintf("revision %d stays live", after.Number)
	default:
		return fmt.Sprintf("revision %d (%s) is live", after.Number, after.Action)
	}
}
