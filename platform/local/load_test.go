package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
)

// load sends requests to url from n clients until stop closes (or
// maxRequests were sent), and counts them and their failures (any error
// or non-200).
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	firstErr   error
	// pace, when set, is the pause after each answer: clients that keep
	// their connection idle most of the time, as a service's callers do,
	// instead of sending back to back.
	pace time.Duration
	// errs counts the failures by message (at most 20 messages).
	errs map[string]int
}

// errors lists the failures' messages with their counts.
func (l *load) errors() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.errs)
}

// maxRequests bounds a load in count, whatever its callers' timing.
const maxRequests = 1_000_000

func (l *load) run(url string, n int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Keep-alive, as a load balancer or a client library holds
			// connections; each client also opens a fresh connection now
			// and then.
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if l.ok.Load()+l.failed.Load() >= maxRequests {
					return
				}
				if l.pace > 0 {
					time.Sleep(l.pace/2 + rand.N(l.pace))
				} else if i%20 == 0 {
					tr.CloseIdleConnections()
				}
				// Go's client sends an idempotent request again when a
				// reused connection fails before the answer (a reset, an
				// EOF); most clients do not, so a second connection for
				// one request is a failure too.
				conns := 0
				trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { conns++ }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, url, nil)
				resp, err := client.Do(req)
				if err == nil && conns > 1 {
					resp.Body.Close()
					err = errors.New("the request failed on a reused connection (Go's client sent it again)")
				}
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					if l.firstErr == nil {
						l.firstErr = err
					}
					if l.errs == nil {
						l.errs = map[string]int{}
					}
					if _, ok := l.errs[err.Error()]; ok || len(l.errs) < 20 {
						l.errs[err.Error()]++
					}
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		}()
	}
	return &wg
}

// TestRedeployUnderLoad redeploys an environment three times on the
// same port while clients keep calling it. A service that listens with
// SO_REUSEPORT gets overlapping revisions: the new one listens beside
// the old one, which drains only then, so the port never refuses a
// connection; the test service also steers new connections to the
// newest socket of the port's group (a classic BPF program), so that
// the old one's accept queue is empty when it closes: no request fails.
// A service without SO_REUSEPORT must be stopped first: its gap is
// measured, and the redeploys still succeed.
func TestRedeployUnderLoad(t *testing.T) {
	tests := []struct {
		name      string
		extra     []platform.Var
		wantNoGap bool
	}{
		{"overlap with SO_REUSEPORT", []platform.Var{{Key: "SHUTDOWN_DELAY", Value: "300ms"}}, true},
		{"stop first without SO_REUSEPORT", []platform.Var{{Key: "NO_REUSEPORT", Value: "1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, img := setup(t)
			free, _ := net.Listen("tcp", "127.0.0.1:0")
			port := free.Addr().(*net.TCPAddr).Port
			free.Close()
			ld := redeployUnderLoad(t, l, port, func(rev int) platform.Spec { return spec(img, rev, port, tt.extra...) })
			if tt.wantNoGap && ld.failed.Load() != 0 {
				t.Errorf("%d of %d requests failed through overlapping redeploys, want 0 (first: %v)", ld.failed.Load(), ld.ok.Load()+ld.failed.Load(), ld.firstErr)
			}
		})
	}
}

// redeployUnderLoad deploys revision 1 of staging on port, then
// revisions 2 to 4 while 8 clients call GET /orders, and returns the
// load's counts for the caller to judge. Whatever the case, every
// redeploy must succeed with no steering warning in the new revision's
// log, the load must have run, and only revision 4 may be left.
func redeployUnderLoad(t *testing.T, l *Local, port int, spec func(rev int) platform.Spec) *load {
	t.Helper()
	ctx := t.Context()
	if _, err := l.Deploy(ctx, spec(1)); err != nil {
		t.Fatal(err)
	}
	ld := &load{}
	stop := make(chan struct{})
	wg := ld.run("http://127.0.0.1:"+strconv.Itoa(port)+"/orders", 8, stop)
	time.Sleep(200 * time.Millisecond)
	for rev := 2; rev <= 4; rev++ {
		ro, err := l.Deploy(ctx, spec(rev))
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("redeploy %d: %v", rev, err)
		}
		t.Logf("revision %d: startup %s, old revision's stop %s", rev, ro.Startup.Round(time.Millisecond), ro.StopWait.Round(time.Millisecond))
		// The test service warns "steering new connections: …", kit
		// "… are not steered …".
		if tail := strings.Join(l.Tail("staging", rev, 20), "\n"); strings.Contains(tail, "steer") {
			t.Errorf("revision %d: %s", rev, tail)
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d requests, %d failed (first: %v)", ld.ok.Load()+ld.failed.Load(), ld.failed.Load(), ld.firstErr)
	if ld.ok.Load() < 100 {
		t.Errorf("only %d requests succeeded: the load did not run", ld.ok.Load())
	}
	if revs, _ := l.Revisions(ctx, "staging"); len(revs) != 1 || revs[0] != 4 {
		t.Errorf("running revisions after the redeploys: %v, want [4]", revs)
	}
	return ld
}
