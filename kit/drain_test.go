package kit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"testing"
	"time"
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
