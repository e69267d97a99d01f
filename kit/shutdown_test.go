package kit

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// TestSIGTERMUnderLoadLosesNothing puts a real process under load from 16
// clients and sends it SIGTERM. A balancer, as Kubernetes endpoints do,
// polls /.well-known/health and stops routing new requests once it answers
// 503. With SHUTDOWN_DELAY longer than the balancer's reaction time, no
// request fails: those sent after the signal are still served, and those
// in flight at the end drain.
func TestSIGTERMUnderLoadLosesNothing(t *testing.T) {
	httpPort := testdep.FreePort(t)
	cmd, stderr := helper(t, "APP_NAME=helper\nSHUTDOWN_GRACE_PERIOD=10s\nSHUTDOWN_DELAY=1s\nLOG_DISABLE_PROBES=true\n",
		fmt.Sprintf("HTTP_PORT=%d", httpPort), "METRICS_PORT=0")
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	waitHealthy(t, base)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 15 * time.Second}
	get := func(path string) (int, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}

	var (
		routed    atomic.Bool // the balancer still routes here
		signalled atomic.Bool
		ok, sent  atomic.Int64
		afterSig  atomic.Int64 // requests answered 200 that were sent after SIGTERM
		mu        sync.Mutex
		failures  []string
	)
	routed.Store(true)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for routed.Load() {
				after := signalled.Load()
				sent.Add(1)
				code, err := get("/work")
				if err != nil || code != http.StatusOK {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET /work = %d, %v", code, err))
					mu.Unlock()
					continue
				}
				ok.Add(1)
				if after {
					afterSig.Add(1)
				}
			}
		})
	}
	// The balancer: readiness every 50ms, as a fast endpoints controller,
	// and 200ms for the pod to leave every endpoint list.
	var healthCode, aliveCode atomic.Int64
	balancerDone := make(chan struct{})
	go func() {
		defer close(balancerDone)
		for {
			time.Sleep(50 * time.Millisecond)
			code, err := get("/.well-known/health")
			if err == nil && code == http.StatusServiceUnavailable {
				healthCode.Store(int64(code))
				if c, err := get("/.well-known/alive"); err == nil {
					aliveCode.Store(int64(c))
				}
				// Endpoints take a moment to drop the pod everywhere
				// (well inside SHUTDOWN_DELAY): requests keep coming.
				time.Sleep(200 * time.Millisecond)
				routed.Store(false)
				return
			}
		}
	}()

	time.Sleep(500 * time.Millisecond)
	signalled.Store(true)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-balancerDone
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\nstderr: %s", err, stderr)
	}

	t.Logf("%d requests, %d ok, %d served after SIGTERM", sent.Load(), ok.Load(), afterSig.Load())
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed, want 0; first: %s", len(failures), sent.Load(), failures[0])
	}
	if healthCode.Load() != http.StatusServiceUnavailable || aliveCode.Load() != http.StatusOK {
		t.Errorf("while draining: health %d, alive %d; want 503 and 200", healthCode.Load(), aliveCode.Load())
	}
	if afterSig.Load() == 0 {
		t.Error("no request sent after SIGTERM was served: the delay did not keep the server up")
	}
}

func TestShutdownDelayDefault(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    time.Duration
	}{
		{"local machine", nil, 0},
		{"Kubernetes pod", []string{"KUBERNETES_SERVICE_HOST=10.96.0.1"}, kubeShutdownDelay},
		{"set explicitly", []string{"KUBERNETES_SERVICE_HOST=10.96.0.1", "SHUTDOWN_DELAY=12s"}, 12 * time.Second},
		{"off under Kubernetes", []string{"KUBERNETES_SERVICE_HOST=10.96.0.1", "SHUTDOWN_DELAY=0s"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := envfile.Load(fstest.MapFS{}, "configs", tt.environ)
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseSettings(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.ShutdownDelay != tt.want {
				t.Errorf("ShutdownDelay = %v, want %v", s.ShutdownDelay, tt.want)
			}
		})
	}
	cfg, _ := envfile.Load(fstest.MapFS{}, "configs", []string{"SHUTDOWN_DELAY=-5s"})
	if _, err := ParseSettings(cfg); err == nil {
		t.Error("SHUTDOWN_DELAY=-5s accepted, want a refusal")
	}
}
