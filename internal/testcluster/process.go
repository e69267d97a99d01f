package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// proc is one control-plane process with its log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	// stopping says the exit was asked for (stop), not the component's
	// own doing.
	stopping atomic.Bool
	// err, at and last are set when the process exits, before done is
	// closed: its exit status, when, and its log's last lines, kept
	// because the cluster's directory is removed when it stops.
	err  error
	at   time.Time
	last string
}

func startProc(bin, name, dir string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = dir
	// The children die with the test binary even when it is killed
	// (a timeout panic, ^C twice): a leaked apiserver holds 300 MiB.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		p.at, p.last = time.Now(), p.tail(tailLines)
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and falls back to SIGKILL after grace: an API server
// with open watches can ignore SIGTERM for a long time.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	p.stopping.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tailLines is how much of a component's log an error shows.
const tailLines = 15

// tail returns the last lines of the process's log, for errors.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(string(bytes.TrimRight(b, "\n")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failure describes a process that did not come up.
func (p *proc) failure(what string, err error) error {
	state := "still running"
	if p.exited() {
		state = "exited"
		if p.err != nil {
			state = "exited: " + p.err.Error()
		}
	}
	return fmt.Errorf("%s: %s: %w (%s); last lines of %s:\n%s", p.name, what, err, state, p.log, p.tail(tailLines))
}

// died describes a process that exited without being asked to, with the
// last lines of its log; "" while it runs or when it was stopped.
func (p *proc) died() string {
	if !p.exited() || p.stopping.Load() {
		return ""
	}
	status := "exit status 0"
	if p.err != nil {
		status = p.err.Error()
	}
	return fmt.Sprintf("%s exited at %s (%s); last lines of its log:\n%s", p.name, p.at.UTC().Format("15:04:05.000"), status, indent(p.last))
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// freePorts returns n distinct free loopback ports. They are free when
// chosen; a process elsewhere could take one before the component binds
// it, which makes the start fail loudly, not silently.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// errTimeout is a readiness wait that ran out of time.
var errTimeout = errors.New("not ready in time")
