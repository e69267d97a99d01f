package kit

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// BenchmarkHello measures the per-request cost of kit's middleware (INFO
// request log, metrics, tracing at ratio 0) against the bare handler, in
// wall time and in the process's CPU time (cpu-ns/op, steadier when other
// work shares the machine); bench/kit/run.sh measures the same over real
// connections.
func BenchmarkHello(b *testing.B) {
	for _, h := range helloHandlers(b) {
		b.Run(h.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/hello", nil)
			b.ReportAllocs()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					h.h.ServeHTTP(w, req)
				}
			})
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

type namedHandler struct {
	name string
	h    http.Handler
}

// helloHandlers serves GET /hello on a bare mux and through kit (INFO
// request log, metrics, tracing at ratio 0 with an exporter configured),
// as bench/kit's servers do; kit's App is closed when b ends.
func helloHandlers(b *testing.B) []namedHandler {
	hello := func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, "hello") }
	bare := http.NewServeMux()
	bare.HandleFunc("GET /hello", hello)
	a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{
		"TRACE_EXPORTER=otlp", "TRACER_URL=127.0.0.1:4317", "TRACER_RATIO=0", "METRICS_PORT=0",
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.close)
	a.HandleFunc("GET /hello", hello)
	return []namedHandler{{"bare", bare}, {"kit", a.Handler()}}
}

// BenchmarkRequestAllocs counts what kit's middleware allocates per
// request (INFO request log, metrics, tracing at ratio 0), beside the
// same handler on a bare mux: the difference between the two B/op and
// allocs/op is kit's. Unlike BenchmarkHello it runs on one goroutine and
// reuses the response writer and request (a fresh header map, recorder
// and request per call would be counted on both sides), so the numbers
// are exact.
func BenchmarkRequestAllocs(b *testing.B) {
	for _, h := range helloHandlers(b) {
		b.Run(h.name, func(b *testing.B) {
			// As kit's server makes them: a request of its own for each call.
			tmpl := httptest.NewRequest("GET", "/hello", nil)
			tmpl.Header.Set("User-Agent", "bench")
			tmpl = tmpl.WithContext(markServerRequests(tmpl.Context(), nil))
			req := new(http.Request)
			w := &sinkWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				*req = *tmpl
				clear(w.h)
				w.status = 0
				h.h.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}

// sinkWriter is a ResponseWriter that keeps its header map between
// requests and discards the body.
type sinkWriter struct {
	h      http.Header
	status int
}

func (w *sinkWriter) Header() http.Header { return w.h }
func (w *sinkWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *sinkWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// BenchmarkServe is BenchmarkHello over real loopback connections: bare
// is net/http's Server with the handler alone, kit is App.Run with every
// middleware, both driven by the same keep-alive clients in this
// process. cpu-ns/op counts client and server together: the difference
// between the two is what kit's server adds per request, connection
// handling (ConnState hook, header timeout) included, and is steadier on
// a shared machine than bench/kit/run.sh's ratio.
func BenchmarkServe(b *testing.B) {
	hello := func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, "hello") }
	b.Run("bare", func(b *testing.B) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hello", hello)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: mux}
		go srv.Serve(ln)
		defer srv.Close()
		serveBench(b, ln.Addr().String())
	})
	b.Run("kit", func(b *testing.B) {
		a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{
			fmt.Sprintf("HTTP_PORT=%d", testdep.FreePort(b)), "METRICS_PORT=0",
			"TRACE_EXPORTER=otlp", "TRACER_URL=127.0.0.1:4317", "TRACER_RATIO=0",
		}})
		if err != nil {
			b.Fatal(err)
		}
		a.HandleFunc("GET /hello", hello)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		defer func() { cancel(); <-done }()
		addr, _, err := a.Addr(ctx)
		if err != nil {
			b.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(addr)
		serveBench(b, "127.0.0.1:"+port)
	})
}

// serveBench sends GET /hello over 8 keep-alive connections to addr.
func serveBench(b *testing.B, addr string) {
	const req = "GET /hello HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\n\r\n"
	b.ReportAllocs()
	b.SetParallelism(4) // 8 clients on 2 CPUs, as bench/kit keeps the server busy
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for pb.Next() {
			if _, err := io.WriteString(c, req); err != nil {
				b.Error(err)
				return
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}
