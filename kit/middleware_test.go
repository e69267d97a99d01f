package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMiddleware(t *testing.T) {
	var stdout, stderr syncBuffer
	a, err := New(Options{FS: fstest.MapFS{}, Stdout: &stdout, Stderr: &stderr,
		Environ: []string{"APP_NAME=svc", "APP_VERSION=v9", "APP_ENV=staging", "LOG_DISABLE_PROBES=true", "REQUEST_TIMEOUT=1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close(); a.logs.Close() })
	a.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
	})
	a.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	a.HandleFunc("GET /slow/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})

	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/orders/42", 200, `{"data":{"id":"42"}}`},
		{"/orders/43", 200, `{"data":{"id":"43"}}`},
		{"/boom", 500, `{"error":{"message":"some unexpected error has occurred"}}`},
		{"/slow/x", 503, `{"error":{"message":"request timed out"}}`},
		{"/.well-known/alive", 200, `{"data":{"status":"UP"}}`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.wantCode || strings.TrimSpace(rec.Body.String()) != tt.wantBody {
			t.Errorf("GET %s = %d %s, want %d %s", tt.path, rec.Code, rec.Body, tt.wantCode, tt.wantBody)
		}
	}

	a.logs.Flush()
	// Request logs: JSON with GoFr's level names and "message" key; the
	// panic at ERROR on stderr; probes not logged.
	var infoLines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["uri"] != nil {
			infoLines = append(infoLines, m)
		}
	}
	if len(infoLines) != 2 || infoLines[0]["level"] != "INFO" || infoLines[0]["message"] != "GET /orders/42" || infoLines[0]["response"] != float64(200) {
		t.Errorf("request log lines = %v, want two INFO lines for /orders", infoLines)
	}
	if strings.Contains(stdout.String(), "well-known") {
		t.Errorf("probe logged despite LOG_DISABLE_PROBES: %s", stdout.String())
	}
	if !strings.Contains(stderr.String(), `"level":"ERROR"`) || !strings.Contains(stderr.String(), "kaboom") {
		t.Errorf("stderr = %s, want the panic and the 500 at ERROR", stderr.String())
	}

	// Metrics: GoFr's names and labels, route templates as path.
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(a.Registry(), promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`app_http_response_count{method="GET",otel_scope_name="svc",otel_scope_version="v9",path="/orders/{id}",status="200"} 2`,
		`app_http_response_count{method="GET",otel_scope_name="svc",otel_scope_version="v9",path="/boom",status="500"} 1`,
		`app_http_response_bucket{method="GET",otel_scope_name="svc",otel_scope_version="v9",path="/orders/{id}",status="200",le="0.001"}`,
		`app_http_response_bucket{method="GET",otel_scope_name="svc",otel_scope_version="v9",path="/orders/{id}",status="200",le="30"} 2`,
		`app_info{app_name="svc",app_version="v9",env="staging",framework_version="` + FrameworkVersion + `",otel_scope_name="svc",otel_scope_version="v9"} 1`,
		`app_go_routines{`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		fmt.Println(body)
	}
}

// TestRemoteLevelInApp checks the wiring: REMOTE_LOG_URL and
// REMOTE_LOG_FETCH_INTERVAL move a running service's level and back.
func TestRemoteLevelInApp(t *testing.T) {
	var mu sync.Mutex
	level := "DEBUG"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, `{"data":{"serviceName":"svc","logLevel":%q}}`, level)
	}))
	defer srv.Close()
	a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{
		"LOG_LEVEL=INFO", "REMOTE_LOG_URL=" + srv.URL, "REMOTE_LOG_FETCH_INTERVAL=1",
		fmt.Sprintf("HTTP_PORT=%d", testdep.FreePort(t)), "METRICS_PORT=0",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Level().Level().String(); got != "INFO" {
		t.Fatalf("level before Run = %s, want INFO", got)
	}
	_, stop := runApp(t, a)
	defer stop()
	waitLevel := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for a.Level().Level().String() != want {
			if time.Now().After(deadline) {
				t.Fatalf("level = %s, want %s", a.Level().Level(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLevel("DEBUG")
	mu.Lock()
	level = "INFO"
	mu.Unlock()
	waitLevel("INFO")
}

// TestObserversCountEverySeries: the per-route cache of histogram children
// records every observation in its (method, status) series, also past
// its bound (a route without a method sees whatever methods clients send).
func TestObserversCountEverySeries(t *testing.T) {
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h", Buckets: []float64{1}}, []string{"path", "method", "status"})
	o := &observers{vec: vec, path: "/x"}
	const methods = 2 * maxObservers
	for i := range methods {
		o.observe(fmt.Sprintf("M%d", i), 200, 0.5)
		o.observe("GET", 200, 0.5)
		o.observe("GET", 503, 0.5)
	}
	if got := testutil.CollectAndCount(vec); got != methods+2 {
		t.Errorf("series = %d, want %d", got, methods+2)
	}
	tests := []struct {
		method, status string
		want           uint64
	}{{"GET", "200", methods}, {"GET", "503", methods}, {"M0", "200", 1}, {fmt.Sprintf("M%d", methods-1), "200", 1}}
	for _, tt := range tests {
		var m dto.Metric
		if err := vec.WithLabelValues("/x", tt.method, tt.status).(prometheus.Histogram).Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetHistogram().GetSampleCount(); got != tt.want {
			t.Errorf("%s %s: count = %d, want %d", tt.method, tt.status, got, tt.want)
		}
	}
}

// TestSpanContextInRequestState: the span of an unsampled request lives in
// the request's own allocation (requestState, which is also the request's
// context) rather than in a context ContextWithSpan allocates;
// OpenTelemetry, and contexts derived from it, must find it there as they
// would have in ContextWithSpan's.
func TestSpanContextInRequestState(t *testing.T) {
	if spanKey == nil {
		t.Fatal("probeSpanKey found no key: the middleware fell back to ContextWithSpan (one more allocation per request)")
	}
	type other struct{}
	parent := context.WithValue(context.Background(), other{}, "kept")
	ctx := &requestState{Context: parent}
	span := &ctx.span
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	for name, c := range map[string]context.Context{"requestState": ctx, "derived": derived} {
		if got := oteltrace.SpanFromContext(c); got != oteltrace.Span(span) {
			t.Errorf("%s: SpanFromContext = %v, want the request's span", name, got)
		}
		if got := c.Value(other{}); got != "kept" {
			t.Errorf("%s: parent value = %v, want kept", name, got)
		}
	}
	cancel()
	if derived.Err() == nil || ctx.Err() != nil {
		t.Errorf("cancel: derived.Err() = %v, requestState.Err() = %v", derived.Err(), ctx.Err())
	}
}

// TestObserversConcurrent: requests of one route observed at once, on the
// status-200 fast path and through the map, all land in their own child.
func TestObserversConcurrent(t *testing.T) {
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h"}, []string{"path", "method", "status"})
	o := &observers{vec: vec, path: "/x", method: "GET"}
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for j := range each {
				switch (i + j) % 3 {
				case 0:
					o.observe("GET", 200, 0.001)
				case 1:
					o.observe("GET", 404, 0.001)
				default:
					o.observe("POST", 200, 0.001)
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, l := range [][]string{{"/x", "GET", "200"}, {"/x", "GET", "404"}, {"/x", "POST", "200"}} {
		m := &dto.Metric{}
		if err := vec.WithLabelValues(l...).(prometheus.Histogram).Write(m); err != nil {
			t.Fatal(err)
		}
		n := int(m.GetHistogram().GetSampleCount())
		if n < workers*each/3-workers || n > workers*each/3+workers {
			t.Errorf("%v: %d observations, want about %d", l, n, workers*each/3)
		}
		total += n
	}
	if total != workers*each {
		t.Errorf("%d observations in all, want %d", total, workers*each)
	}
}

func TestSpanName(t *testing.T) {
	tests := []struct {
		sn   spanName
		want string
	}{
		{spanName{pattern: "GET /orders/{id}", routeMethod: "GET", path: "/orders/{id}", method: "GET"}, "GET /orders/{id}"},
		{spanName{pattern: "/orders/{id}", path: "/orders/{id}", method: "POST"}, "POST /orders/{id}"},
		{spanName{pattern: "example.com/x/", path: "/x", method: "PUT"}, "PUT /x"},
	}
	for _, tt := range tests {
		if got := tt.sn.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.sn, got, tt.want)
		}
	}
}

// TestRequestStateSize: requestState, the middleware's one allocation per
// request, fills a size class exactly; a field more costs a class more
// (192 bytes) on every request.
func TestRequestStateSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the size is worked out for 64-bit platforms")
	}
	if got := unsafe.Sizeof(requestState{}); got != 176 {
		t.Errorf("requestState is %d bytes, want 176 (a size class)", got)
	}
}

// TestRequestContextInPlace: a request kit's server made takes the span's
// context in place; a request from anywhere else (a test, a wrapping
// handler, a kit handler calling another with its own request) is left
// as it was and the handler gets a copy. Either way the handler's context
// carries the span whose trace ID the response names.
func TestRequestContextInPlace(t *testing.T) {
	a, err := New(Options{FS: fstest.MapFS{}, Stdout: io.Discard, Stderr: io.Discard, Environ: []string{"METRICS_PORT=0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	type seen struct {
		r     *http.Request
		trace string
	}
	var inner, outer seen
	a.HandleFunc("GET /inner", func(w http.ResponseWriter, r *http.Request) {
		inner = seen{r, oteltrace.SpanContextFromContext(r.Context()).TraceID().String()}
	})
	a.HandleFunc("GET /outer", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		r.URL.Path = "/inner"
		a.Handler().ServeHTTP(httptest.NewRecorder(), r)
		if r.Context() != ctx {
			t.Error("a kit handler called with the outer request changed its context")
		}
		outer = seen{r, oteltrace.SpanContextFromContext(r.Context()).TraceID().String()}
	})
	for _, tt := range []struct {
		name    string
		marked  bool
		inPlace bool
	}{{"server's request", true, true}, {"other request", false, false}} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/outer", nil)
			if tt.marked {
				req = req.WithContext(markServerRequests(req.Context(), nil))
			}
			ctx := req.Context()
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			if got := outer.r == req; got != tt.inPlace {
				t.Errorf("handler got the caller's request: %v, want %v", got, tt.inPlace)
			}
			if !tt.inPlace && req.Context() != ctx {
				t.Error("the caller's request has a new context")
			}
			if want := rec.Header().Get("X-Correlation-Id"); outer.trace != want || len(want) != 32 {
				t.Errorf("handler's trace ID %q, X-Correlation-Id %q", outer.trace, want)
			}
			if inner.r == outer.r || inner.trace != outer.trace {
				t.Errorf("inner handler: same request %v, trace %s, want a copy in trace %s", inner.r == outer.r, inner.trace, outer.trace)
			}
		})
	}
}
