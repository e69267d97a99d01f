package kit

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/ferrydev/ferry/kit/metric"
	"github.com/ferrydev/ferry/kit/trace"
)

// middleware wraps each route once, at registration, so that the route
// template (for metrics and span names) is known without matching twice.
type middleware struct {
	logger *slog.Logger
	access *accessLog
	tracer oteltrace.Tracer
	// sampler decides root spans; nil when none is ever sampled (no
	// exporter, or TRACER_RATIO 0), so that such requests skip it.
	sampler  sdktrace.Sampler
	provider oteltrace.TracerProvider
	prop     propagation.TextMapPropagator
	hist     *prometheus.HistogramVec
	timeout  time.Duration
}

// spanKey is the context key under which OpenTelemetry keeps the current
// span; nil if it could not be found (see probeSpanKey).
var spanKey = probeSpanKey()

func newMiddleware(a *App, tp *sdktrace.TracerProvider, prop propagation.TextMapPropagator) (*middleware, error) {
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "app_http_response",
		Help:    "Response time of HTTP requests in seconds.",
		Buckets: metric.HTTPBuckets,
	}, []string{"path", "method", "status"})
	if err := scoped(a.registry, a.settings).Register(hist); err != nil {
		return nil, fmt.Errorf("registering http metrics: %w", err)
	}
	access := &accessLog{level: a.level, out: a.logs, err: a.stderr}
	m := &middleware{
		logger: a.logger, access: access, prop: prop, hist: hist, timeout: a.settings.RequestTimeout,
		tracer: tp.Tracer("github.com/ferrydev/ferry/kit"), provider: tp,
	}
	if trace.SamplesRoots(a.settings.Trace) {
		// The provider's own sampler (trace.New), asked before the SDK is.
		m.sampler = trace.Sampler(a.settings.Trace)
	}
	return m, nil
}

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
	obs := &observers{vec: m.hist, path: path, method: method}
	if method == "" {
		obs.method = http.MethodGet
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The monotonic clock alone: the wall clock is read once, at the
		// end, and only for a request that is logged.
		start := sinceEpoch()
		ctx := r.Context()
		owned := ctx.Value(serverRequest) != nil
		// A request of kit's own server holds net/http's context alone,
		// which has no span, unless the headers carry one.
		parentless := owned
		// Most requests carry no trace context: skip the propagators' header
		// canonicalisation then (the keys below are already canonical).
		if r.Header["Traceparent"] != nil || r.Header["Baggage"] != nil {
			ctx = m.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
			parentless = false
		}
		st := &requestState{rec: recorder{ResponseWriter: w}}
		ctx, span := m.startSpan(ctx, spanName{pattern, method, path, r.Method}, st, parentless)
		sc := span.SpanContext()
		st.setTraceID(sc.TraceID())
		rec, traceID := &st.rec, st.id[0]
		// Set directly: the key is already canonical ("X-Correlation-Id"), as
		// GoFr's X-Correlation-ID becomes once canonicalised.
		w.Header()["X-Correlation-Id"] = st.id[:]
		if owned && ctx == context.Context(st) {
			// A request kit's own server made for this call alone: it takes
			// the span's context in place (WithContext, inlined, copies on
			// the stack) instead of being copied into an allocation of its
			// own. st hides the mark, so a kit handler this one calls with r
			// copies it.
			*r = *r.WithContext(ctx)
		} else {
			r = r.WithContext(ctx)
		}

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
			status := int(rec.status)
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			logged := !probe && m.access.enabled(level)
			var end time.Time
			var elapsed time.Duration
			if logged {
				end = time.Now()
				elapsed = end.Sub(epoch) - start
			} else {
				elapsed = sinceEpoch() - start
			}
			obs.observe(r.Method, status, elapsed.Seconds())
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
			if !logged {
				return
			}
			m.access.write(accessEntry{
				time: end, level: level, traceID: traceID, spanID: sc.SpanID(),
				elapsed: elapsed, method: r.Method, uri: r.URL.RequestURI(), status: status,
				ip: clientIP(r), agent: firstValue(r.Header, "User-Agent"),
			})
		}()
		h.ServeHTTP(rec, r)
	})
}

// epoch is the origin of sinceEpoch.
var epoch = time.Now()

// sinceEpoch reads the monotonic clock only, which costs about half a
// time.Now (that also reads the wall clock).
func sinceEpoch() time.Duration { return time.Since(epoch) }

// firstValue is Header.Get for a key already in canonical form, without
// canonicalising it again on every request.
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func clientIP(r *http.Request) string {
	if f := firstValue(r.Header, "X-Forwarded-For"); f != "" {
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

// observers holds one route's histogram children per method and status,
// so that a request finds its child without the vector's label hashing,
// lock and label slice, and without boxing a key (as a sync.Map would).
// The map is copied on the rare miss and never written once published.
type observers struct {
	vec  *prometheus.HistogramVec
	path string
	// method is the route's method (GET for a route without one) and ok
	// its child for status 200, looked up without hashing: most requests.
	method string
	ok     atomic.Pointer[prometheus.Observer]
	m      atomic.Pointer[map[obsKey]prometheus.Observer]
	mu     sync.Mutex // serialises misses
}

// maxObservers bounds the cache per route.
const maxObservers = 64

func (o *observers) observe(method string, status int, seconds float64) {
	hot := status == http.StatusOK && method == o.method
	if hot {
		if h := o.ok.Load(); h != nil {
			(*h).Observe(seconds)
			return
		}
	}
	k := obsKey{method, status}
	if m := o.m.Load(); m != nil {
		if h, ok := (*m)[k]; ok {
			h.Observe(seconds)
			return
		}
	}
	o.mu.Lock()
	old := o.m.Load()
	h, ok := prometheus.Observer(nil), false
	if old != nil {
		h, ok = (*old)[k]
	}
	if !ok {
		h = o.vec.WithLabelValues(o.path, method, strconv.Itoa(status))
		if hot {
			o.ok.Store(&h)
		}
		if old != nil && len(*old) >= maxObservers {
			// A route without a method in its pattern sees whatever methods
			// clients send: past the usual few, do not copy on every new one.
			o.mu.Unlock()
			h.Observe(seconds)
			return
		}
		next := make(map[obsKey]prometheus.Observer, 1)
		if old != nil {
			maps.Copy(next, *old)
		}
		next[k] = h
		o.m.Store(&next)
	}
	o.mu.Unlock()
	h.Observe(seconds)
}

// requestState is what the middleware keeps per request, in one
// allocation (176 bytes, a size class; keep it so): the status recorder,
// the span when it is not sampled, and the X-Correlation-Id header value
// with its bytes. When the span is the unsampled one, requestState is
// also the request's context: the context it was started in (embedded)
// with the span under OpenTelemetry's key, as oteltrace.ContextWithSpan
// makes it but without an allocation of its own. It is not pooled: the
// header map keeps the value until net/http has written the response,
// after the handler returned, and a handler that wrongly keeps the
// request, writer or span must not reach another request's.
type requestState struct {
	context.Context
	rec  recorder
	span unsampledSpan
	id   [1]string
	hex  [32]byte
}

// Value finds the request's unsampled span under OpenTelemetry's key,
// and hides the serverRequest mark (see wrap).
func (st *requestState) Value(key any) any {
	switch {
	case key == spanKey && spanKey != nil:
		return &st.span
	case key == any(serverRequest):
		return nil
	}
	return st.Context.Value(key)
}

// serverRequest marks the contexts of the requests kit's own server
// makes (see App.Run): net/http makes a Request for each call of the
// handler and keeps nothing in it that the middleware changes, so the
// middleware may set its context in place rather than copy it (304 bytes
// per request). Any other request, as a test or a wrapping handler
// passes it, may be shared and is copied.
//
// The key is a pointer, so that the look-ups on every request compare
// two words: a key of struct type is compared through runtime.efaceeq.
var serverRequest = &contextKey{"kit server request"}

type contextKey struct{ name string }

// markServerRequests is kit's server's ConnContext.
func markServerRequests(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, serverRequest, true)
}

func (st *requestState) setTraceID(traceID oteltrace.TraceID) {
	for i, b := range traceID {
		st.hex[2*i], st.hex[2*i+1] = hex[b>>4], hex[b&0xf]
	}
	// The bytes are never written again.
	st.id[0] = unsafe.String(&st.hex[0], len(st.hex))
}

// startSpan starts the request's server span. Most requests are roots the
// sampler drops (TRACER_RATIO below 1, or no exporter): for those it asks
// the sampler itself and makes the non-recording span in st, which the
// SDK would otherwise configure, sample and allocate on every request.
// Requests with a parent, and sampled roots (started with the IDs the
// decision was made on), go through the SDK.
//
// parentless says that ctx is known to hold no span (see wrap), so that
// the context chain is not searched for one.
func (m *middleware) startSpan(ctx context.Context, sn spanName, st *requestState, parentless bool) (context.Context, oteltrace.Span) {
	if !parentless && oteltrace.SpanContextFromContext(ctx).TraceID().IsValid() {
		return m.tracer.Start(ctx, sn.String(), serverSpan...)
	}
	tid, sid := trace.NewIDs()
	var ts oteltrace.TraceState
	if m.sampler != nil {
		name := sn.String()
		res := m.sampler.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: tid, Name: name, Kind: oteltrace.SpanKindServer})
		if res.Decision != sdktrace.Drop {
			return m.tracer.Start(trace.WithIDs(ctx, tid, sid), name, serverSpan...)
		}
		ts = res.Tracestate
	}
	st.span = unsampledSpan{
		sc: oteltrace.NewSpanContext(oteltrace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceState: ts}),
		m:  m,
	}
	if spanKey == nil {
		return oteltrace.ContextWithSpan(ctx, &st.span), &st.span
	}
	st.Context = ctx
	return st, &st.span
}

// spanName is the server span's name, built only for a span that needs
// one: the route's pattern, or for a pattern without a method the
// request's method and the route's path (a concatenation per request).
type spanName struct{ pattern, routeMethod, path, method string }

func (n spanName) String() string {
	if n.routeMethod != "" {
		return n.pattern
	}
	return n.method + " " + n.path
}

// keyProbe records the key it is asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// probeSpanKey finds the (unexported) context key OpenTelemetry looks the
// current span up by, by asking a context that records it, and checks
// that OpenTelemetry finds a span stored under that key, as requestState
// stores it. It returns nil, and the middleware uses ContextWithSpan, if
// OpenTelemetry ever looks spans up differently.
func probeSpanKey() any {
	p := &keyProbe{Context: context.Background()}
	oteltrace.SpanFromContext(p)
	if p.key == nil {
		return nil
	}
	span := &unsampledSpan{}
	ctx := context.WithValue(context.Background(), p.key, oteltrace.Span(span))
	if oteltrace.SpanFromContext(ctx) != oteltrace.Span(span) || oteltrace.ContextWithSpan(context.Background(), span).Value(p.key) != any(span) {
		return nil
	}
	return p.key
}

// unsampledSpan is a span the sampler dropped, as the SDK's own
// non-recording span behaves: it carries the IDs, so that child spans join
// the trace (and are dropped with it), records nothing, and names the
// SDK's provider.
type unsampledSpan struct {
	embedded.Span
	sc oteltrace.SpanContext
	m  *middleware // its provider; a pointer, not the interface, to keep requestState small
}

func (s *unsampledSpan) SpanContext() oteltrace.SpanContext { return s.sc }
func (s *unsampledSpan) TracerProvider() oteltrace.TracerProvider {
	if s.m == nil {
		return noop.NewTracerProvider()
	}
	return s.m.provider
}
func (s *unsampledSpan) IsRecording() bool                           { return false }
func (s *unsampledSpan) SetStatus(codes.Code, string)                {}
func (s *unsampledSpan) SetAttributes(...attribute.KeyValue)         {}
func (s *unsampledSpan) End(...oteltrace.SpanEndOption)              {}
func (s *unsampledSpan) RecordError(error, ...oteltrace.EventOption) {}
func (s *unsampledSpan) AddEvent(string, ...oteltrace.EventOption)   {}
func (s *unsampledSpan) AddLink(oteltrace.Link)                      {}
func (s *unsampledSpan) SetName(string)                              {}

// recorder remembers the status for the log and metrics.
type recorder struct {
	http.ResponseWriter
	status int32 // not int: it keeps requestState in its size class
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = int32(code), true
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

// Hijack hands a handler the connection as the listener accepted it
// (a *net.TCPConn), not kit's tracking wrapper around it (see drainer).
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if tc, ok := c.(*trackedConn); ok {
		c = tc.TCPConn
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
