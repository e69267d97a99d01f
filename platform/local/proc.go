package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The helpers below read Linux's /proc: what a process really runs with is
// there, whoever started it.

// procStat returns the process's state letter and start time (clock ticks
// since boot).
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may hold spaces; the fields
	// after the last ')' are fixed.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, 0, errors.New("malformed stat")
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0][0], start, err
}

// alive reports whether pid runs (or still holds files while it exits)
// and, when tick is not 0, is the same process that started at tick
// (pids are reused).
func alive(pid int, tick uint64) bool {
	if pid <= 0 {
		return false
	}
	st, start, err := procStat(pid)
	if err != nil || st == 'X' || (tick != 0 && start != tick) {
		return false
	}
	// A multi-threaded process's leader shows Z as soon as it exits,
	// while its other threads may still hold the process's files — its
	// listening socket among them. Taken for gone then, the next
	// revision's bind met "address already in use" now and then: the
	// process is gone when its last thread is.
	return st != 'Z' || threadsLeft(pid)
}

// threadsLeft says whether a thread of pid other than a zombie is left.
func threadsLeft(pid int) bool {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(data, ')'); i >= 0 && i+2 < len(data) && data[i+2] != 'Z' && data[i+2] != 'X' {
			return true
		}
	}
	return false
}

// environ reads the process environment as the kernel holds it.
func environ(pid int) (map[string]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil || len(data) == 0 {
		// A leader thread that has exited has no memory to read; the
		// threads left share the process's.
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, t := range tasks {
			if d, terr := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/environ", pid, t.Name())); terr == nil && len(d) > 0 {
				data, err = d, nil
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k != "" {
			out[k] = v
		}
	}
	return out, nil
}

// listener returns a pid listening on TCP port (0 when none visible)
// and whether anything listens at all; the candidates' sockets are
// looked at first.
func listener(port int, candidates ...int) (pid int, listening bool) {
	pids, listening := listeners(port, candidates...)
	if len(pids) > 0 {
		return pids[0], true
	}
	return 0, listening
}

// listeners returns the pids listening on TCP port, and whether
// anything listens at all (the socket may belong to a process we cannot
// see). Sockets shared with SO_REUSEPORT have one pid each. The
// candidates (the environment's own processes) are looked at first:
// when they hold every listening socket of the port, the rest of /proc
// is not read, which on a busy machine is most of the cost.
func listeners(port int, candidates ...int) (pids []int, listening bool) {
	inodes := map[string]bool{}
	tcpSockets(func(s tcpSocket) bool {
		if s.listening && s.local == port {
			inodes[s.inode] = true
		}
		return true
	})
	if len(inodes) == 0 {
		return nil, false
	}
	found := map[string]bool{}
	holds := func(pid int) bool {
		held := false
		for link := range fdLinks(pid) {
			if inodes[link] {
				found[link], held = true, true
			}
		}
		return held
	}
	for _, pid := range candidates {
		if pid > 0 && holds(pid) {
			pids = append(pids, pid)
		}
	}
	if len(found) == len(inodes) {
		return pids, true
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		n, err := strconv.Atoi(filepath.Base(p))
		if err != nil || slices.Contains(candidates, n) {
			continue
		}
		if holds(n) {
			pids = append(pids, n)
		}
	}
	return pids, true
}

// tcpSocket is one row of the kernel's TCP tables.
type tcpSocket struct {
	local, remote int // ports
	listening     bool
	// inode is "socket:[n]", as a process's fd links name it; "socket:[0]"
	// for one no process holds (TIME_WAIT, an orphan).
	inode string
}

// tcpSockets calls fn with every TCP socket of this machine, IPv4 and
// IPv6, until fn returns false.
func tcpSockets(fn func(tcpSocket) bool) {
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		sc.Scan()
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 {
				continue
			}
			if !fn(tcpSocket{local: hexPort(fs[1]), remote: hexPort(fs[2]), listening: fs[3] == "0A", inode: "socket:[" + fs[9] + "]"}) {
				file.Close()
				return
			}
		}
		file.Close()
	}
}

func hexPort(addr string) int {
	_, h, ok := strings.Cut(addr, ":")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(h, 16, 32)
	if err != nil {
		return -1
	}
	return int(n)
}

// fdLinks returns what pid's open files link to ("socket:[n]", paths);
// empty when ferry cannot read them. A process whose leader thread has
// exited shows no files under its own fd/, but its other threads, which
// share them, still do.
func fdLinks(pid int) map[string]bool {
	out := map[string]bool{}
	dirs := []string{fmt.Sprintf("/proc/%d/fd", pid)}
	if tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid)); err == nil {
		for _, t := range tasks {
			dirs = append(dirs, fmt.Sprintf("/proc/%d/task/%s/fd", pid, t.Name()))
		}
	}
	for _, dir := range dirs {
		fds, err := os.ReadDir(dir)
		if err != nil || len(fds) == 0 {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(dir + "/" + fd.Name()); err == nil {
				out[link] = true
			}
		}
		return out
	}
	return out
}

// shareable reports whether a new process could listen on TCP port
// beside the one listening there now: whether that socket was opened
// with SO_REUSEPORT (by this user). It binds a socket with SO_REUSEPORT
// to the port — without listening, so it never takes a connection —
// and closes it at once.
func shareable(port int) bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) != nil {
		return false
	}
	return unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}) == nil
}

// signal sends sig to pid's process group (ferry starts each revision in
// its own session) and to pid itself.
func signal(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
	_ = syscall.Kill(pid, sig)
}
