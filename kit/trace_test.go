package kit

import (
	"context"
	"encoding/binary"
	hexenc "encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	oteltrace "go.opentelemetry.io/otel/trace"
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

// spanRecord is one exported span, by hex IDs.
type spanRecord struct{ name, traceID, spanID, parentID string }

func (c *collector) spansByName() []spanRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []spanRecord
	for _, rs := range c.spans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				out = append(out, spanRecord{s.Name, hexenc.EncodeToString(s.TraceId), hexenc.EncodeToString(s.SpanId), hexenc.EncodeToString(s.ParentSpanId)})
			}
		}
	}
	return out
}

// TestTracingSamplesRootsAsTheSDK: the middleware decides on unparented
// requests itself (sparing the SDK for the spans it drops), so the
// decision must be TraceIDRatioBased's on the trace ID the response
// names, sampled spans must keep that ID, and a handler's child span must
// join the request's trace whether or not it is sampled.
func TestTracingSamplesRootsAsTheSDK(t *testing.T) {
	for _, ratio := range []float64{0, 0.5, 1} {
		t.Run(fmt.Sprint("ratio ", ratio), func(t *testing.T) {
			col, addr := startCollector(t)
			a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{
				fmt.Sprintf("HTTP_PORT=%d", testdep.FreePort(t)), "METRICS_PORT=0",
				"TRACE_EXPORTER=otlp", "TRACER_URL=" + addr, fmt.Sprint("TRACER_RATIO=", ratio),
			}})
			if err != nil {
				t.Fatal(err)
			}
			type seen struct{ traceID, childTrace string }
			children := make(chan seen, 100)
			a.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
				server := oteltrace.SpanFromContext(r.Context())
				// The provider a span names is where instrumentation finds a tracer.
				_, child := server.TracerProvider().Tracer("test").Start(r.Context(), "child")
				child.End()
				children <- seen{server.SpanContext().TraceID().String(), child.SpanContext().TraceID().String()}
				WriteJSON(w, 200, "ok")
			})
			base, stop := runApp(t, a)
			const n = 40
			want := map[string]bool{} // trace ID → sampled
			bound := uint64(ratio * (1 << 63))
			for range n {
				resp, err := http.Get(base + "/work")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				id := resp.Header.Get("X-Correlation-ID")
				raw, err := hexenc.DecodeString(id)
				if err != nil || len(raw) != 16 {
					t.Fatalf("X-Correlation-ID = %q", id)
				}
				want[id] = ratio >= 1 || binary.BigEndian.Uint64(raw[8:])>>1 < bound
				c := <-children
				if c.traceID != id || c.childTrace != id {
					t.Errorf("response %s: server span in trace %s, child in %s", id, c.traceID, c.childTrace)
				}
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			got := map[string]spanRecord{}
			for _, s := range col.spansByName() {
				got[s.name+" "+s.traceID] = s
			}
			sampled := 0
			for id, w := range want {
				server, okS := got["GET /work "+id]
				child, okC := got["child "+id]
				if okS != w || okC != w {
					t.Errorf("trace %s: exported server %v child %v, want %v (TraceIDRatioBased(%v))", id, okS, okC, w, ratio)
				}
				if w && child.parentID != server.spanID {
					t.Errorf("trace %s: child's parent %s, want the server span %s", id, child.parentID, server.spanID)
				}
				if w {
					sampled++
				}
			}
			if len(got) != 2*sampled {
				t.Errorf("collector got %d spans, want %d", len(got), 2*sampled)
			}
			if ratio == 0.5 && (sampled == 0 || sampled == n) {
				t.Errorf("ratio 0.5 sampled %d of %d", sampled, n)
			}
		})
	}
}
