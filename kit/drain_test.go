package kit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// TestDrainerClosesNothingUnderARequest: once draining, a connection in
// use is told "Connection: close" on its next answer instead of being
// closed under it, and only a connection idle for idleDrain is closed by
// the server; closeIdle returns when none is left.
func TestDrainerClosesNothingUnderARequest(t *testing.T) {
	var d drainer
	srv := httptest.NewUnstartedServer(d.handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	srv.Listener = trackListener{srv.Listener.(*net.TCPListener)}
	srv.Config.ConnState = d.connState
	srv.Start()
	defer srv.Close()
	get := func(c *http.Client) (resp *http.Response, reused bool) {
		t.Helper()
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, srv.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, reused
	}
	busy, idle := &http.Client{Transport: &http.Transport{}}, &http.Client{Transport: &http.Transport{}}
	if resp, _ := get(busy); resp.Close {
		t.Fatal("Connection: close before draining")
	}
	get(idle)

	d.start()
	start := time.Now()
	done := make(chan struct{})
	go func() { d.closeIdle(start.Add(10 * time.Second)); close(done) }()
	time.Sleep(50 * time.Millisecond)
	resp, reused := get(busy)
	if !reused || !resp.Close {
		t.Errorf("busy client while draining: reused %v, Connection: close %v; want its connection used once more, then closed", reused, resp.Close)
	}
	<-done
	if took := time.Since(start); took < idleDrain || took > idleDrain+2*time.Second {
		t.Errorf("closeIdle returned after %s, want about %s (the idle connection's wait)", took, idleDrain)
	}
	if _, reused := get(idle); reused {
		t.Error("the idle connection is still open after closeIdle")
	}
}

// TestExpireHeaders: what http.Server.ReadHeaderTimeout does, done by
// looking at the connections once per tick: a header that takes longer
// than the timeout to arrive, on a new connection or a keep-alive one, is
// cut off; an idle keep-alive connection, and requests arriving in time
// on a busy one, are not.
func TestExpireHeaders(t *testing.T) {
	const timeout, tick = 400 * time.Millisecond, 20 * time.Millisecond
	var d drainer
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Listener = trackListener{srv.Listener.(*net.TCPListener)}
	srv.Config.ConnState = d.connState
	srv.Start()
	defer srv.Close()
	stop := make(chan struct{})
	defer close(stop)
	go d.expireHeaders(timeout, tick, stop)

	dial := func() (net.Conn, *bufio.Reader) {
		t.Helper()
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	const req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	get := func(c net.Conn, r *bufio.Reader) error {
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	// closed says whether the server has closed c, waiting up to wait.
	closed := func(c net.Conn, r *bufio.Reader, wait time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, err := r.ReadByte()
		_ = c.SetReadDeadline(time.Time{})
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}

	silent, silentR := dial()     // new, sends nothing
	slowNew, slowNewR := dial()   // new, half a header
	slowKept, slowKeptR := dial() // one request, then half a header
	idle, idleR := dial()         // one request, then nothing
	busy, busyR := dial()         // a request every tick
	if _, err := io.WriteString(slowNew, req[:10]); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		c net.Conn
		r *bufio.Reader
	}{{slowKept, slowKeptR}, {idle, idleR}} {
		if err := get(c.c, c.r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.WriteString(slowKept, req[:10]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for time.Since(start) < 3*timeout {
		if err := get(busy, busyR); err != nil {
			t.Fatalf("busy connection, request after %s: %v", time.Since(start), err)
		}
		time.Sleep(tick)
	}
	for name, c := range map[string]struct {
		c    net.Conn
		r    *bufio.Reader
		want bool
	}{
		"new connection sending nothing": {silent, silentR, true},
		"new connection, half a header":  {slowNew, slowNewR, true},
		"kept connection, half a header": {slowKept, slowKeptR, true},
		"idle kept connection":           {idle, idleR, false},
	} {
		if got := closed(c.c, c.r, 50*time.Millisecond); got != c.want {
			t.Errorf("%s after %s: closed %v, want %v", name, 3*timeout, got, c.want)
		}
	}
	if err := get(idle, idleR); err != nil {
		t.Errorf("idle kept connection: %v", err)
	}
}

// TestHijackGivesTheTCPConn: a handler that takes over the connection
// gets the *net.TCPConn, not kit's tracking wrapper.
func TestHijackGivesTheTCPConn(t *testing.T) {
	a := newTestApp(t, fmt.Sprintf("HTTP_PORT=%d", testdep.FreePort(t)), "METRICS_PORT=0")
	got := make(chan string, 1)
	a.HandleFunc("GET /ws", func(w http.ResponseWriter, _ *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		got <- fmt.Sprintf("%T", c)
	})
	base, stop := runApp(t, a)
	defer stop()
	resp, err := http.Get(base + "/ws")
	if err == nil {
		resp.Body.Close()
	}
	if g := <-got; g != "*net.TCPConn" {
		t.Errorf("hijacked connection: %s, want *net.TCPConn", g)
	}
}
