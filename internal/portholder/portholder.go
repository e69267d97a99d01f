// Package portholder says whether a TCP port on this machine is free and,
// when it is not, which process holds it — read from Linux's /proc (the
// listening socket's inode in /proc/net/tcp{,6}, then the process whose
// file descriptors point at it). Elsewhere, or for a process of another
// user, the holder is unnamed but the port still reads as taken.
package portholder

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Free reports whether a process could listen on 127.0.0.1:port now.
func Free(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Holder names the process listening on TCP port, "name (pid N)", or ""
// when none can be named.
func Holder(port int) string {
	inodes := listening(port)
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		fds, err := os.ReadDir(p + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(p + "/fd/" + fd.Name()); err == nil && inodes[link] {
				name, _ := os.ReadFile(p + "/comm")
				return fmt.Sprintf("%s (pid %s)", strings.TrimSpace(string(name)), filepath.Base(p))
			}
		}
	}
	return ""
}

// listening returns the "socket:[inode]" links of the sockets listening
// on port.
func listening(port int) map[string]bool {
	inodes := map[string]bool{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st … inode; st 0A is LISTEN.
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 || fs[3] != "0A" {
				continue
			}
			_, hex, _ := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseUint(hex, 16, 16); err == nil && int(p) == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
		f.Close()
	}
	return inodes
}
