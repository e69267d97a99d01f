package promote

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
)

// counterMetrics stands in for a service's /metrics, which the stand-in
// service does not serve: a real HTTP server on 127.0.0.1 exposing
// http_requests_total by code, as a service on another stack does —
// with no process_start_time_seconds, so nothing but a sample tells
// which requests are the revision's. The test adds the requests the
// service would have counted.
type counterMetrics struct {
	mu         sync.Mutex
	ok, failed int
	port       int
	once       sync.Once
	t          *testing.T
}

func newCounterMetrics(t *testing.T) *counterMetrics {
	return &counterMetrics{port: freePort(t), t: t}
}

// start listens on m.port. The local target refuses a deploy whose ports
// are taken, so the test starts it once the service has started, as the
// service's own endpoint would be.
func (m *counterMetrics) start() {
	m.once.Do(func() {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.mu.Lock()
			defer m.mu.Unlock()
			fmt.Fprintf(w, "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\",route=\"/orders\"} %d\nhttp_requests_total{code=\"503\",route=\"/orders\"} %d\nhttp_requests_total{code=\"200\",route=\"/healthz\"} 7\n", m.ok, m.failed)
		}))
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", m.port))
		if err != nil {
			m.t.Error(err)
			return
		}
		srv.Listener = l
		srv.Start()
		m.t.Cleanup(srv.Close)
	})
}

func (m *counterMetrics) serve(ok, failed int) {
	m.mu.Lock()
	m.ok += ok
	m.failed += failed
	m.mu.Unlock()
}

// frozen is a clock that moves only when told: the soak's window is
// then the same however long the deploy took.
type frozen struct {
	mu sync.Mutex
	t  time.Time
}

func (f *frozen) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *frozen) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// metricsProject is newProject with staging soaked from m's metrics for
// 2s (at most 1% 5xx of at least 100 requests), on a clock frozen at
// 12:00:00.
func metricsProject(t *testing.T, m *counterMetrics) (*Config, *frozen) {
	t.Helper()
	c, _ := newProject(t, "")
	clk := &frozen{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	c.Now = clk.Now
	c.Hook = func(point string) {
		if point == "started" {
			m.start()
		}
	}
	path := filepath.Join(c.Project.Dir, "ferry.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(data), "soak: 2s", "soak: {duration: 2s, maxErrorRatio: 0.01, minRequests: 100, metric: http_requests_total, statusLabel: code, pathLabel: route, ignorePaths: [/healthz]}", 1)
	y = strings.Replace(y, `METRICS_PORT: "0"`, fmt.Sprintf(`METRICS_PORT: "%d"`, m.port), 1)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	if c.Project, err = project.Load(c.Project.Dir); err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func gate(gates []state.Gate, name string) *state.Gate {
	for i := range gates {
		if gates[i].Name == name {
			return &gates[i]
		}
	}
	return nil
}

// TestSoakWithoutSampler is the CLI-only flow: deploy, traffic, wait the
// soak, promote — with no ferry serve or soak --watch sampling between.
// The soak counts from the baseline the deploy took as the revision went
// live; before it did, the promote's one sample was all there was, and
// the soak was unknown with 0 requests.
func TestSoakWithoutSampler(t *testing.T) {
	tests := []struct {
		name       string
		ok, failed int
		passed     bool
		want       string // in the refusal
	}{
		{"0% 5xx promotes", 400, 0, true, ""},
		{"5% 5xx is refused naming the ratio and the samples", 380, 20, false,
			"soak error ratio: 5% (limit ≤ 1%) over 12:00:01–12:00:03 (2s), counted from the baseline taken live at 12:00:00 to the sample at 12:00:03"},
		{"too few requests is unknown", 20, 0, false, "too few requests to judge: 20, need 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newCounterMetrics(t)
			c, clk := metricsProject(t, m)
			m.serve(3, 0) // answered before the deploy: not this soak's
			rev := deploy(t, c, "staging", "2.0.0")
			samples, err := c.State.(soak.Store).Samples("staging", rev.Number, rev.At, rev.Since)
			if err != nil || len(samples) != 1 || !samples[0].Live || !samples[0].At.Equal(rev.Since) || samples[0].Requests != 3 {
				t.Fatalf("stored at deploy: %+v, %v; want one live baseline of 3 requests at %s", samples, err, rev.Since)
			}
			m.serve(tt.ok, tt.failed)
			clk.Advance(3 * time.Second)
			pr := NewPromote(c)
			pr.DryRun = !tt.passed
			plan, err := pr.Run(t.Context(), "staging", "prod")
			if !tt.passed {
				if !errors.Is(err, ErrGate) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("promote = %v, want a gate error with %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("promote: %v", err)
			}
			g := gate(plan.Gates, "soak requests")
			if g == nil || !g.Passed || !strings.HasPrefix(g.Detail, "400 (limit ≥ 100)") {
				t.Errorf("soak requests gate = %+v, want 400 passed", g)
			}
			if g := gate(plan.Gates, "soak error ratio"); g == nil || !g.Passed || !strings.HasPrefix(g.Detail, "0% (limit ≤ 1%)") {
				t.Errorf("soak error ratio gate = %+v, want 0%% passed", g)
			}
			// prod soaks on time alone: no baseline is scraped for it.
			prod, err := c.Project.Env("prod")
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := c.State.(soak.Store).Samples("prod", plan.Revision.Number, plan.Revision.At, plan.Revision.Since.Add(time.Second)); len(s) != 0 || SoakLimits(prod).Metric() {
				t.Errorf("prod samples = %+v, want none", s)
			}
		})
	}
}

// TestSoakWindow: with a sample taken after the window opened, the
// window counts from the last sample at or before its start; requests
// before that sample are outside it.
func TestSoakWindow(t *testing.T) {
	m := newCounterMetrics(t)
	c, clk := metricsProject(t, m)
	deploy(t, c, "staging", "2.0.0")
	m.serve(300, 0) // the first second: outside the window judged at 3.5s
	clk.Advance(time.Second)
	sk := NewSoak(c)
	v, err := sk.Run(t.Context(), "staging", true)
	if err != nil || v.State != soak.Soaking || v.Requests != 300 {
		t.Fatalf("soak at 1s = %+v, %v; want soaking with 300 requests", v, err)
	}
	m.serve(110, 1)
	clk.Advance(2500 * time.Millisecond)
	v, err = sk.Run(t.Context(), "staging", true)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != soak.Passed || v.Requests != 111 || v.Errors != 1 || v.BaseKind != soak.BaseSample || v.Scrapes != 2 {
		t.Errorf("soak at 3.5s = %s over %s: %v requests, %v errors, %d scrapes; want passed, 111, 1, 2 scrapes from the sample at 1s",
			v.State, v.Window(), v.Requests, v.Errors, v.Scrapes)
	}
	if got, want := v.To.Sub(v.From), 2*time.Second; got != want {
		t.Errorf("window = %s, want the soak's %s", got, want)
	}
}
