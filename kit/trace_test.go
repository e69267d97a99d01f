package kit

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// collector is a real OTLP/gRPC trace service on loopback.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.ResourceSpans
}

func (c *collector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = append(c.spans, req.ResourceSpans...)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// received returns each span's name with its resource attributes.
func (c *collector) received() (names []string, resources []map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range c.spans {
		attrs := map[string]string{}
		for _, kv := range rs.GetResource().GetAttributes() {
			attrs[kv.Key] = kv.GetValue().GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				names = append(names, s.Name)
				resources = append(resources, attrs)
			}
		}
	}
	return names, resources
}

func startCollector(t *testing.T) (*collector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	s := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(s, c)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return c, ln.Addr().String()
}

// runApp runs a on real ports until the returned stop is called; stop
// returns Run's error after the whole shutdown.
func runApp(t *testing.T, a *App) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	defer acancel()
	addr, _, err := a.Addr(actx)
	if err != nil {
		cancel()
		t.Fatalf("app did not start: %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	return "http://127.0.0.1:" + port, func() error { cancel(); return <-done }
}

func TestTracingOTLP(t *testing.T) {
	tests := []struct {
		name        string
		ratio       string
		traceparent string // on every request
		wantSpans   int
	}{
		{"ratio 1 samples every root span", "1", "", 5},
		{"ratio 0 samples no root span", "0", "", 0},
		{"ratio 0 honours a sampled parent", "0", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col, addr := startCollector(t)
			a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{
				"APP_NAME=orders", "APP_VERSION=1.4.2", "APP_ENV=staging",
				fmt.Sprintf("HTTP_PORT=%d", testdep.FreePort(t)), "METRICS_PORT=0",
				"TRACE_EXPORTER=otlp", "TRACER_URL=" + addr, "TRACER_RATIO=" + tt.ratio,
				"OTEL_RESOURCE_ATTRIBUTES=team=payments,deployment.environment.name=ignored",
			}})
			if err != nil {
				t.Fatal(err)
			}
			a.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, r.PathValue("id")) })
			base, stop := runApp(t, a)
			for i := range 5 {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/orders/%d", base, i), nil)
				if tt.traceparent != "" {
					req.Header.Set("traceparent", tt.traceparent)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if len(resp.Header.Get("X-Correlation-ID")) != 32 {
					t.Errorf("X-Correlation-ID = %q, want a trace ID", resp.Header.Get("X-Correlation-ID"))
				}
			}
			// Shutdown must flush: no waiting for the batcher's 5 s timer.
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			names, resources := col.received()
			if len(names) != tt.wantSpans {
				t.Fatalf("collector received %d spans %v, want %d", len(names), names, tt.wantSpans)
			}
			for i, n := range names {
				if n != "GET /orders/{id}" {
					t.Errorf("span name = %q, want the route template", n)
				}
				r := resources[i]
				for k, v := range map[string]string{"service.name": "orders", "service.version": "1.4.2", "deployment.environment.name": "staging", "team": "payments"} {
					if r[k] != v {
						t.Errorf("resource %s = %q, want %q", k, r[k], v)
					}
				}
			}
		})
	}
}
