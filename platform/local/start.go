package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/platform"
)

// gateScript holds the new process at a gate until ferry has recorded
// its pid: it waits for a line on fd 3, then execs the service in its
// place (same pid, same start time). When ferry dies before opening the
// gate, the pipe's write end closes with it, read sees EOF and the shell
// exits: nothing runs that ferry did not record. dash exports PWD, which
// the service's environment must not gain: it is unset unless the
// configuration sets it.
const gateScript = `read -r go <&3 || exit 97; exec 3<&- "$0"`

// gate is a started process waiting to be let run.
type gate struct{ w *os.File }

// open lets the process run.
func (g *gate) open() error {
	if g == nil || g.w == nil {
		return nil
	}
	_, err := g.w.WriteString("go\n")
	if cerr := g.w.Close(); err == nil {
		err = cerr
	}
	g.w = nil
	if err != nil {
		return fmt.Errorf("releasing the new process: %w", err)
	}
	return nil
}

// abort makes the held process exit without running the service.
func (g *gate) abort() {
	if g != nil && g.w != nil {
		_ = g.w.Close()
		g.w = nil
	}
}

// start creates rec's process detached, with exactly env, held at its
// gate, and records it in process.json under run. The caller opens the
// gate (or aborts it) once the pid is recorded wherever else it must be.
func (l *Local) start(run *runFS, rec record, env []string) (*record, *gate, error) {
	dir, err := revName(rec.Env, rec.Revision)
	if err != nil {
		return nil, nil, err
	}
	if err := run.ownDir(dir, true); err != nil {
		return nil, nil, err
	}
	logName := path.Join(dir, "log")
	rec.Log = run.path(logName)
	logf, err := run.openLog(logName)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	script := gateScript
	if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PWD=") }) {
		script = "unset PWD; " + script
	}
	cmd := exec.Command("/bin/sh", "-c", script, rec.Exe)
	cmd.Dir = rec.Dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{r}
	// Its own session: the revision outlives ferry and a terminal's ^C.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("starting %s: %w", rec.Exe, err)
	}
	g := &gate{w: w}
	// Reap it if it dies while this ferry runs; after ferry exits the
	// process is re-parented and reaped by init.
	go func() { _ = cmd.Wait() }()
	rec.PID = cmd.Process.Pid
	_, rec.StartTick, _ = procStat(rec.PID)
	rec.Since = time.Now().UTC()
	if err := run.writeRecord(dir, rec); err != nil {
		g.abort()
		return &rec, nil, err
	}
	return &rec, g, nil
}

// rewrite records rec again (a health URL learnt after start); a record
// that cannot be written is learnt again by the next deploy.
func (l *Local) rewrite(rec record) {
	run, err := l.openRun(false)
	if err != nil || run == nil {
		return
	}
	defer run.Close()
	if dir, err := revName(rec.Env, rec.Revision); err == nil {
		_ = run.writeRecord(dir, rec)
	}
}

var _ platform.Reattacher = (*Local)(nil)

// Reattach implements platform.Reattacher: an instance the state store
// recorded whose process still runs but whose process.json is gone
// (deleted, or never written by a ferry killed at the wrong moment) is
// recorded again, so that Revisions, Live and Stop see it.
func (l *Local) Reattach(_ context.Context, env string, rev int, instances []platform.Instance) error {
	run, err := l.openRun(true)
	if err != nil {
		return err
	}
	defer run.Close()
	dir, err := revName(env, rev)
	if err != nil {
		return err
	}
	var errs []error
	for _, in := range instances {
		var rec record
		if len(in.Private) == 0 || json.Unmarshal(in.Private, &rec) != nil || rec.PID == 0 {
			continue
		}
		if !alive(rec.PID, rec.StartTick) {
			continue
		}
		if _, err := run.ferry.Lstat(path.Join(dir, "process.json")); err == nil {
			continue
		}
		rec.Env, rec.Revision = env, rev
		if err := run.ownDir(dir, true); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, run.writeRecord(dir, rec))
	}
	return errors.Join(errs...)
}
