package kit

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/ferrydev/ferry/kit/metric"
)

// middleware wraps each route once, at registration, so that the route
// template (for metrics and span names) is known without matching twice.
type middleware struct {
	logger  *slog.Logger
	access  *accessLog
	tracer  oteltrace.Tracer
	prop    propagation.TextMapPropagator
	hist    *prometheus.HistogramVec
	timeout time.Duration
}

func newMiddleware(a *App, tracer oteltrace.Tracer, prop propagation.TextMapPropagator) (*middleware, error) {
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "app_http_response",
		Help:    "Response time of HTTP requests in seconds.",
		Buckets: metric.HTTPBuckets,
	}, []string{"path", "method", "status"})
	if err := scoped(a.registry, a.settings).Register(hist); err != nil {
		return nil, fmt.Errorf("registering http metrics: %w", err)
	}
	access := &accessLog{logger: a.logger, out: a.logs, err: a.stderr}
	return &middleware{logger: a.logger, access: access, tracer: tracer, prop: prop, hist: hist, timeout: a.settings.RequestTimeout}, nil
}

// statusText avoids an allocation per request for the usual codes.
var statusText = func() map[int]string {
	m := map[int]string{}
	for c := 100; c < 600; c++ {
		m[c] = strconv.Itoa(c)
	}
	return m
}()

func (m *middleware) wrap(pattern string, h http.Handler, probe bool) http.Handler {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = "", pattern
	}
	// Host-qualified patterns ("example.com/x") keep only the path.
	if i := strings.IndexByte(path, '/'); i > 0 {
		path = path[i:]
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if m.timeout > 0 {
		// GoFr answers 408 on REQUEST_TIMEOUT; the stdlib's TimeoutHandler
		// answers 503, which clients and proxies treat as retryable.
		h = http.TimeoutHandler(h, m.timeout, `{"error":{"message":"request timed out"}}`)
	}
	// Observers per method and status, looked up without the vector's
	// label hashing and lock: this runs on every request.
	var observers sync.Map // obsKey → prometheus.Observer
	observe := func(method string, status int, seconds float64) {
		k := obsKey{method, status}
		o, ok := observers.Load(k)
		if !ok {
			code := statusText[status]
			if code == "" {
				code = strconv.Itoa(status)
			}
			o, _ = observers.LoadOrStore(k, m.hist.WithLabelValues(path, method, code))
		}
		o.(prometheus.Observer).Observe(seconds)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		name := pattern
		if method == "" {
			name = r.Method + " " + path
		}
		ctx := r.Context()
		// Most requests carry no trace context: skip the propagators' header
		// canonicalisation then (the keys below are already canonical).
		if r.Header["Traceparent"] != nil || r.Header["Baggage"] != nil {
			ctx = m.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		ctx, span := m.tracer.Start(ctx, name, serverSpan...)
		sc := span.SpanContext()
		traceID := sc.TraceID().String()
		// Set directly: the key is already canonical ("X-Correlation-Id"), as
		// GoFr's X-Correlation-ID becomes once canonicalised.
		w.Header()["X-Correlation-Id"] = []string{traceID}
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(ctx)

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				m.logger.ErrorContext(ctx, fmt.Sprintf("panic recovered: %v", p), "stack", string(debug.Stack()))
				if !rec.wrote {
					WriteError(rec, http.StatusInternalServerError, "some unexpected error has occurred")
				}
				rec.status = http.StatusInternalServerError
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			end := time.Now()
			elapsed := end.Sub(start)
			observe(r.Method, status, elapsed.Seconds())
			if span.IsRecording() {
				span.SetAttributes(
					attribute.String("http.request.method", r.Method),
					attribute.String("http.route", path),
					attribute.Int("http.response.status_code", status),
				)
				if status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(status))
				}
			}
			span.End()
			if probe {
				return
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			m.access.write(ctx, accessEntry{
				time: end, level: level, traceID: traceID, spanID: sc.SpanID(),
				elapsed: elapsed, method: r.Method, uri: r.URL.RequestURI(), status: status,
				ip: clientIP(r), agent: r.UserAgent(),
			})
		}()
		h.ServeHTTP(rec, r)
	})
}

func clientIP(r *http.Request) string {
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		ip, _, _ := strings.Cut(f, ",")
		return strings.TrimSpace(ip)
	}
	if i := strings.LastIndexByte(r.RemoteAddr, ':'); i > 0 {
		return r.RemoteAddr[:i]
	}
	return r.RemoteAddr
}

var serverSpan = []oteltrace.SpanStartOption{oteltrace.WithSpanKind(oteltrace.SpanKindServer)}

type obsKey struct {
	method string
	status int
}

// recorder remembers the status for the log and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for handlers that stream (server-sent
// events) and assert the interface rather than use ResponseController.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if !r.wrote {
			r.status, r.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
