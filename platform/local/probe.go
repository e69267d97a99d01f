package local

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydev/ferry/platform"
)

// answer is one health probe: what the endpoint said and which process
// said it.
type answer struct {
	health platform.Health
	detail string
	// pid is the process holding the server side of the probe's
	// connection: the one that answered. 0 when it cannot be told (a
	// host that is not this machine, a socket ferry cannot see).
	pid int
}

// probe asks url's health endpoint over a connection of its own and
// finds, in the kernel's socket table, the process that accepted that
// connection. While two revisions share a port (SO_REUSEPORT), the
// kernel hands a connection to either: only an answer from the new
// revision's own process says anything about the new revision.
// candidates are looked at first (the new process, then the others).
func (l *Local) probe(ctx context.Context, url string, candidates ...int) answer {
	var conn net.Conn
	timeout := 2 * time.Second
	if l.HTTPClient != nil && l.HTTPClient.Timeout > 0 {
		timeout = l.HTTPClient.Timeout
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, network, addr)
			conn = c
			return c, err
		},
		MaxIdleConnsPerHost: 1,
	}
	// The connection stays open (keep-alive) until the owner is found:
	// its server side is in the answering process's file table.
	defer tr.CloseIdleConnections()
	h, detail := platform.CheckHTTP(ctx, &http.Client{Transport: tr, Timeout: timeout}, url)
	a := answer{health: h, detail: detail}
	if conn == nil {
		return a
	}
	local, ok1 := conn.LocalAddr().(*net.TCPAddr)
	remote, ok2 := conn.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 || !remote.IP.IsLoopback() {
		return a
	}
	if inode := serverSocket(remote.Port, local.Port); inode != "" {
		a.pid = holder(inode, candidates...)
	}
	return a
}

// serverSocket returns the inode ("socket:[n]") of the server side of
// the TCP connection from clientPort to serverPort on this machine, ""
// when the table has none (or only one in no process's hands).
func serverSocket(serverPort, clientPort int) string {
	found := ""
	tcpSockets(func(s tcpSocket) bool {
		if !s.listening && s.local == serverPort && s.remote == clientPort && s.inode != "socket:[0]" {
			found = s.inode
			return false
		}
		return true
	})
	return found
}

// holder returns the process whose file table holds inode, looking at
// candidates first, then every process; 0 when none ferry can see. A
// process of a candidate's session (a service that forks its workers)
// counts as the candidate.
func holder(inode string, candidates ...int) int {
	for _, pid := range candidates {
		if holds(pid, inode) {
			return pid
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		n, err := strconv.Atoi(filepath.Base(p))
		if err != nil || !holds(n, inode) {
			continue
		}
		if sid := session(n); sid > 0 {
			for _, c := range candidates {
				if c == sid {
					return c
				}
			}
		}
		return n
	}
	return 0
}

func holds(pid int, inode string) bool { return fdLinks(pid)[inode] }

// session returns pid's session id (ferry starts each revision as the
// leader of its own), 0 when unknown.
func session(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 4 {
		return 0
	}
	n, _ := strconv.Atoi(f[3])
	return n
}

// listeningPorts returns the TCP ports pid listens on, in the order the
// kernel lists them.
func listeningPorts(pid int) []int {
	held := fdLinks(pid)
	var out []int
	tcpSockets(func(s tcpSocket) bool {
		if s.listening && held[s.inode] && !slices.Contains(out, s.local) {
			out = append(out, s.local)
		}
		return true
	})
	return out
}
