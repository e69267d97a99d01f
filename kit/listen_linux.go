//go:build linux

package kit

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// shareableListenConfig listens with SO_REUSEPORT, so that the next
// revision of the service (the same user, as ferry's local target starts
// it) can bind the port beside this one and take new connections before
// this one stops accepting. It listens with plain TCP: Go prefers MPTCP
// where the kernel has it, and an MPTCP listener takes no reuseport
// program (EOPNOTSUPP).
func shareableListenConfig() net.ListenConfig {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	lc.SetMultipathTCP(false)
	return lc
}

// steerToNewest attaches a one-instruction classic BPF program to the
// port's SO_REUSEPORT group that sends every new connection to the
// group's second socket — the newest, while an old revision still
// listens — and, when there is none (index out of range), lets the kernel
// pick as usual. The old revision then only finishes what it accepted:
// when it closes its listener, no connection waits in its queue to be
// reset. Each revision attaches it once it listens (a socket carrying a
// program before bind could not join the group); the program belongs to
// the group and stays while revisions overlap.
func steerToNewest(ln net.Listener) error {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return errors.New("not a TCP listener")
	}
	sc, err := tl.SyscallConn()
	if err != nil {
		return err
	}
	// BPF_RET|BPF_K 1: "use socket 1".
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 1}}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF,
			&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
	}); err != nil {
		return err
	}
	return serr
}
