//go:build linux

package kit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// TestRevisionsShareThePort runs two revisions of a service on the same
// HTTP and metrics ports, as ferry's local target overlaps them through a
// redeploy: the second binds beside the first (SO_REUSEPORT), takes every
// new connection from then on (the group's steering program), and
// answers alone once the first has drained and exited.
func TestRevisionsShareThePort(t *testing.T) {
	httpPort, metricsPort := testdep.FreePort(t), testdep.FreePort(t)
	type revision struct {
		app  *App
		logs *syncBuffer
		stop context.CancelFunc
		done chan struct{} // closed when Run returned err
		err  error
	}
	start := func(name string) *revision {
		t.Helper()
		logs := &syncBuffer{}
		a, err := New(Options{FS: fstest.MapFS{}, Stdout: logs, Stderr: logs, Environ: []string{
			"APP_NAME=svc", "SHUTDOWN_GRACE_PERIOD=5s", "LOG_DISABLE_PROBES=true",
			fmt.Sprintf("HTTP_PORT=%d", httpPort), fmt.Sprintf("METRICS_PORT=%d", metricsPort)}})
		if err != nil {
			t.Fatal(err)
		}
		a.HandleFunc("GET /who", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
		ctx, cancel := context.WithCancel(context.Background())
		r := &revision{app: a, logs: logs, stop: cancel, done: make(chan struct{})}
		go func() { r.err = a.Run(ctx); close(r.done) }()
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		defer acancel()
		if _, _, err := a.Addr(actx); err != nil {
			cancel()
			<-r.done
			t.Fatalf("%s: not listening: %v (run: %v)", name, err, r.err)
		}
		t.Cleanup(func() { cancel(); <-r.done })
		return r
	}
	// A fresh connection per request: steering applies to new connections.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	who := func(url string) (string, error) {
		resp, err := client.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	whoURL := fmt.Sprintf("http://127.0.0.1:%d/who", httpPort)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)

	old := start("r1")
	if got, err := who(whoURL); err != nil || got != "r1" {
		t.Fatalf("before the redeploy: %q, %v; want r1", got, err)
	}
	next := start("r2")

	tests := []struct {
		name string
		url  string
		want func(string) bool
	}{
		{"http goes to the newest revision", whoURL, func(s string) bool { return s == "r2" }},
		{"metrics are served", metricsURL, func(s string) bool { return strings.Contains(s, "app_info") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 50 {
				got, err := who(tt.url)
				if err != nil || !tt.want(got) {
					t.Fatalf("request %d while both listen: %.40q, %v", i, got, err)
				}
			}
		})
	}

	old.stop()
	select {
	case <-old.done:
		if old.err != nil {
			t.Fatalf("old revision: %v", old.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("old revision did not stop")
	}
	for i := range 20 {
		if got, err := who(whoURL); err != nil || got != "r2" {
			t.Fatalf("request %d after the old revision stopped: %q, %v; want r2", i, got, err)
		}
	}
	for _, r := range []*revision{old, next} {
		if l := r.logs.String(); strings.Contains(l, "not steered") {
			t.Errorf("steering failed:\n%s", l)
		}
	}
}
