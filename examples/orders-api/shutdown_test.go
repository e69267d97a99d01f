package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMUnderLoad sends the example SIGTERM while 8 clients call
// GET /orders over loopback, and a stand-in for Kubernetes endpoints polls
// readiness every 50ms and stops routing once it answers 503. With
// SHUTDOWN_DELAY (1s) longer than that reaction, no request fails: those
// sent after the signal are still served (readiness 503, liveness 200),
// and the process exits 0 once they drain.
func TestSIGTERMUnderLoad(t *testing.T) {
	dir := t.TempDir()
	s := run(t, ".", "METRICS_PORT=0", "DB_NAME="+filepath.Join(dir, "orders"), "SHUTDOWN_DELAY=1s",
		"SHUTDOWN_GRACE_PERIOD=10s", "LOG_DISABLE_PROBES=true")
	s.waitHealthy(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	status := func(path string) (int, error) {
		resp, err := client.Get(s.base + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}

	var (
		routed, signalled   atomic.Bool
		ok, afterSignal     atomic.Int64
		mu                  sync.Mutex
		failures            []string
		readiness, liveness int
	)
	routed.Store(true)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for routed.Load() {
				after := signalled.Load()
				if code, err := status("/orders"); err != nil || code != http.StatusOK {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET /orders = %d, %v", code, err))
					mu.Unlock()
					continue
				}
				ok.Add(1)
				if after {
					afterSignal.Add(1)
				}
			}
		})
	}
	// The balancer also stops routing when readiness is refused, and
	// after 10s whatever happens, so that a failing run ends.
	deadline := time.Now().Add(10 * time.Second)
	wg.Go(func() {
		for routed.Load() {
			time.Sleep(50 * time.Millisecond)
			code, err := status("/.well-known/health")
			if err != nil || code == http.StatusServiceUnavailable || time.Now().After(deadline) {
				readiness = code
				liveness, _ = status("/.well-known/alive")
				routed.Store(false)
			}
		}
	})

	time.Sleep(500 * time.Millisecond)
	signalled.Store(true)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\nstderr: %s", err, s.stderr)
	}
	t.Logf("%d requests ok, %d of them sent after SIGTERM, %d failed", ok.Load(), afterSignal.Load(), len(failures))
	if len(failures) > 0 {
		t.Errorf("%d requests failed, want 0; first: %s", len(failures), failures[0])
	}
	if readiness != http.StatusServiceUnavailable || liveness != http.StatusOK {
		t.Errorf("while draining: health %d, alive %d; want 503 and 200", readiness, liveness)
	}
	if ok.Load() < 100 || afterSignal.Load() == 0 {
		t.Errorf("%d requests ok, %d after SIGTERM: the load did not run through the signal", ok.Load(), afterSignal.Load())
	}
}
