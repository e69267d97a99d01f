package kit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

// BenchmarkHello measures the per-request cost of kit's middleware (INFO
// request log, metrics, tracing at ratio 0) against the bare handler, in
// wall time and in the process's CPU time (cpu-ns/op, steadier when other
// work shares the machine); bench/kit/run.sh measures the same over real
// connections.
func BenchmarkHello(b *testing.B) {
	hello := func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, "hello") }
	bare := http.NewServeMux()
	bare.HandleFunc("GET /hello", hello)
	a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{
		"TRACE_EXPORTER=otlp", "TRACER_URL=127.0.0.1:4317", "TRACER_RATIO=0", "METRICS_PORT=0",
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	a.HandleFunc("GET /hello", hello)
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"kit", a.Handler()}} {
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
