// Command svc is a tiny stand-in service for ferry's tests: it serves
// /.well-known/health on HTTP_PORT and drains on SIGTERM within
// SHUTDOWN_GRACE_PERIOD. CRASH=1 makes it exit at start; HANG_HEALTH=1
// makes its health endpoint never answer. WRITE_FILE and MARK write a file
// by a relative path, as a SQLite DB_NAME would. It listens with
// SO_REUSEPORT, so a new revision can listen beside it, unless
// NO_REUSEPORT=1 (NO_STEER=1 leaves new connections to the kernel's
// hash instead of steering them to the newest revision); HTTP_PORT,
// else PORT, is its port. CRASH_AFTER=<duration> makes it exit that long
// after it starts serving, as a build that fails on its first request
// does; UNHEALTHY=1 answers health 503 and DEGRADED=<dependency> answers
// 200 with GoFr's DEGRADED body naming it. On SIGTERM it answers health with 503 but keeps
// serving for SHUTDOWN_DELAY, then drains, as ferry's kit does.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

func init() {
	if os.Getenv("LEADER_EXIT") == "1" {
		runtime.LockOSThread() // main runs on the leader thread
	}
}

func main() {
	fmt.Println("svc starting, version", version)
	// LOG_SECRET=<VAR> logs VAR's value, as a careless service logs its
	// connection string before it fails.
	if v := os.Getenv("LOG_SECRET"); v != "" {
		fmt.Println("connecting with", os.Getenv(v))
	}
	if os.Getenv("CRASH") == "1" {
		fmt.Fprintln(os.Stderr, "fatal: crash requested by CRASH=1")
		os.Exit(2)
	}
	// WRITE_FILE=<relative path> writes MARK there, and fails unless the
	// image's configs/ is readable from the working directory.
	if f := os.Getenv("WRITE_FILE"); f != "" {
		if _, err := os.Stat("configs"); err != nil {
			fmt.Fprintln(os.Stderr, "fatal: no configs/ in the working directory:", err)
			os.Exit(2)
		}
		if err := os.WriteFile(f, []byte(os.Getenv("MARK")), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fatal:", err)
			os.Exit(2)
		}
	}
	var port string
	for _, k := range []string{"HTTP_PORT", "PORT", "SERVER_PORT", "APP_PORT", "LISTEN"} {
		if port = os.Getenv(k); port != "" {
			break
		}
	}
	if port == "" {
		port = "8000"
	}
	var mu sync.Mutex
	var orders []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/health", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("HANG_HEALTH") == "1" {
			<-r.Context().Done()
			return
		}
		if draining.Load() || os.Getenv("UNHEALTHY") == "1" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if dep := os.Getenv("DEGRADED"); dep != "" {
			fmt.Fprintf(w, `{"data":{"status":"DEGRADED",%q:{"status":"DOWN","details":{"error":"connection refused"}}}}`, dep)
			return
		}
		fmt.Fprintf(w, `{"data":{"name":%q,"status":"UP"}}`, os.Getenv("APP_NAME"))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		orders = append(orders, "o")
		n := len(orders)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"data":{"id":%d}}`, n)
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, `{"data":{"count":%d}}`, len(orders))
	})
	srv := &http.Server{Handler: mux}
	lc := net.ListenConfig{}
	if os.Getenv("NO_REUSEPORT") != "1" {
		// Go listens with MPTCP where the kernel has it, and an MPTCP
		// socket takes no reuseport program (EOPNOTSUPP).
		lc.SetMultipathTCP(false)
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fatal:", err)
		os.Exit(1)
	}

	if os.Getenv("NO_REUSEPORT") != "1" && os.Getenv("NO_STEER") != "1" {
		sc, err := ln.(*net.TCPListener).SyscallConn()
		if err == nil {
			err = sc.Control(func(fd uintptr) { err = steerToNewest(fd) })
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "warning: steering new connections:", err)
		}
	}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, "fatal:", err)
			os.Exit(1)
		}
	}()
	if d, err := time.ParseDuration(os.Getenv("CRASH_AFTER")); err == nil {
		time.AfterFunc(d, func() {
			fmt.Fprintln(os.Stderr, "panic: nil map write (CRASH_AFTER)")
			os.Exit(2)
		})
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	if os.Getenv("LEADER_EXIT") == "1" {
		// The main thread exits alone (exit, not exit_group): the
		// process's leader is a zombie while its other threads serve and
		// hold its listener, as a multi-threaded process is for a moment
		// while it exits.
		go func() {
			<-sig
			os.Exit(0)
		}()
		syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
	}
	<-sig
	draining.Store(true)
	if d, err := time.ParseDuration(os.Getenv("SHUTDOWN_DELAY")); err == nil {
		time.Sleep(d)
	}
	grace, err := time.ParseDuration(os.Getenv("SHUTDOWN_GRACE_PERIOD"))
	if err != nil {
		grace = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = srv.Shutdown(ctx)
	fmt.Println("svc stopped")
}

var version = "1"

// draining is set on SIGTERM: health fails while requests are served.
var draining atomic.Bool

// soReusePort is SO_REUSEPORT on Linux (the syscall package lacks it, and
// this module has no dependencies).
const soReusePort = 0xf

// steerToNewest attaches a classic BPF program to the port's SO_REUSEPORT
// group that sends every new connection to the group's second socket —
// the newest, while an old revision still listens — and, when there is
// none (index out of range), lets the kernel pick as usual. The old
// revision then only finishes what it accepted: when it closes its
// listener no connection is waiting in its queue to be reset. Each
// revision attaches it once it listens (a socket with a program of its
// own before bind could not join the group); it is the group's, and
// stays while revisions overlap.
func steerToNewest(fd uintptr) error {
	// BPF_RET|BPF_K 1: "use socket 1".
	prog := []struct {
		code   uint16
		jt, jf uint8
		k      uint32
	}{{code: 0x06, k: 1}}
	fprog := struct {
		n      uint16
		filter unsafe.Pointer
	}{uint16(len(prog)), unsafe.Pointer(&prog[0])}
	const soAttachReuseportCBPF = 51
	_, _, errno := syscall.Syscall6(syscall.SYS_SETSOCKOPT, fd, syscall.SOL_SOCKET, soAttachReuseportCBPF,
		uintptr(unsafe.Pointer(&fprog)), unsafe.Sizeof(fprog), 0)
	if errno != 0 {
		return errno
	}
	return nil
}
