package kit

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/kit/trace"
)

func load(t *testing.T, env string, environ ...string) *envfile.Config {
	t.Helper()
	fsys := fstest.MapFS{"configs/.env": {Data: []byte(env)}}
	cfg, err := envfile.Load(fsys, "configs", environ)
	if err != nil {
		t.Fatalf("envfile.Load: %v", err)
	}
	return cfg
}

func TestParseSettingsRejects(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		environ []string
		want    string // the whole one-line error
	}{
		{"bad int", "APP_NAME=x\nHTTP_PORT=80x\n", nil, `configs/.env:2: HTTP_PORT="80x" is not an integer`},
		{"port range", "HTTP_PORT=70000\n", nil, `configs/.env:1: HTTP_PORT="70000" is not a port between 1 and 65535`},
		{"same ports", "HTTP_PORT=9000\nMETRICS_PORT=9000\n", nil, `configs/.env:2: METRICS_PORT="9000" is not a port other than HTTP_PORT`},
		{"log level", "LOG_LEVEL=verbose\n", nil, `configs/.env:1: LOG_LEVEL="verbose" is not one of DEBUG, INFO, NOTICE, WARN, ERROR, FATAL`},
		{"grace without unit", "SHUTDOWN_GRACE_PERIOD=30\n", nil, `configs/.env:1: SHUTDOWN_GRACE_PERIOD="30" is not a duration with a unit, such as 30s`},
		{"ratio", "TRACER_RATIO=abc\n", nil, `configs/.env:1: TRACER_RATIO="abc" is not a number`},
		{"ratio range", "TRACER_RATIO=1.5\n", nil, `configs/.env:1: TRACER_RATIO="1.5" is not a number between 0 and 1`},
		{"otlp http port", "TRACE_EXPORTER=otlp\nTRACER_URL=collector:4318\n", nil,
			`configs/.env:2: TRACER_URL="collector:4318" is not an OTLP/gRPC endpoint: port 4318 is OTLP/HTTP; kit exports OTLP/gRPC, usually on port 4317`},
		{"url without port", "TRACE_EXPORTER=otlp\nTRACER_URL=collector\n", nil,
			`configs/.env:2: TRACER_URL="collector" is not an OTLP/gRPC endpoint: no port: want host:port, such as otel-collector:4317`},
		{"zipkin", "TRACE_EXPORTER=zipkin\nTRACER_URL=http://z:9411/api/v2/spans\n", nil,
			`configs/.env:1: TRACE_EXPORTER="zipkin" is not supported: kit exports OTLP/gRPC only (otlp or jaeger), not zipkin`},
		{"url without exporter", "TRACER_URL=c:4317\n", nil,
			`configs/.env:1: TRACER_URL="c:4317" is not usable without TRACE_EXPORTER (set TRACE_EXPORTER=otlp)`},
		{"mysql", "DB_DIALECT=mysql\nDB_HOST=h\nDB_NAME=n\n", nil,
			`configs/.env:1: DB_DIALECT="mysql" is not supported: kit has no MySQL driver (postgres, cockroachdb, supabase or sqlite)`},
		{"postgres without host", "DB_DIALECT=postgres\nDB_NAME=n\n", nil, `DB_HOST: required when DB_DIALECT=postgres (configs/.env:1)`},
		{"exporter without url", "APP_NAME=a\nTRACE_EXPORTER=otlp\n", nil, `TRACER_URL: required when TRACE_EXPORTER=otlp (configs/.env:2): the collector's OTLP/gRPC host:port`},
		{"process env wins and is named", "HTTP_PORT=8000\n", []string{"HTTP_PORT=eighty"}, `process environment: HTTP_PORT="eighty" is not an integer`},
		{"pubsub", "PUBSUB_BACKEND=KAFKA\n", nil, `configs/.env:1: PUBSUB_BACKEND="KAFKA" is not supported: kit has no pub/sub client; unset it`},
		{"remote interval", "REMOTE_LOG_FETCH_INTERVAL=0\n", nil, `configs/.env:1: REMOTE_LOG_FETCH_INTERVAL="0" is not a positive number of seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSettings(load(t, tt.env, tt.environ...))
			if err == nil {
				t.Fatalf("ParseSettings(%q) = nil error, want %q", tt.env, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ParseSettings(%q) error\n got %s\nwant %s", tt.env, got, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestParseSettingsValues(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		environ []string
		check   func(Settings) any
		want    any
	}{
		{"defaults", "", nil, func(s Settings) any {
			return []any{s.AppName, s.AppVersion, s.HTTPPort, s.MetricsPort, s.ShutdownGrace, s.RemoteInterval, s.SQL == nil, s.Trace.Ratio}
		}, []any{"gofr-app", "dev", 8000, 2121, 30 * time.Second, 15 * time.Second, true, 1.0}},
		{"metrics off", "METRICS_PORT=0\n", nil, func(s Settings) any { return s.MetricsPort }, 0},
		{"log level any case", "LOG_LEVEL=debug\n", nil, func(s Settings) any { return s.LogLevel.String() }, "DEBUG"},
		{"bare url is plaintext", "TRACE_EXPORTER=OTLP\nTRACER_URL=c:4317\n", nil, func(s Settings) any {
			return trace.Config{Exporter: s.Trace.Exporter, Endpoint: s.Trace.Endpoint, TLS: s.Trace.TLS}
		}, trace.Config{Exporter: "otlp", Endpoint: "c:4317"}},
		{"https is TLS", "TRACE_EXPORTER=jaeger\nTRACER_URL=https://api.honeycomb.io:443\n", nil, func(s Settings) any {
			return trace.Config{Exporter: s.Trace.Exporter, Endpoint: s.Trace.Endpoint, TLS: s.Trace.TLS}
		}, trace.Config{Exporter: "jaeger", Endpoint: "api.honeycomb.io:443", TLS: true}},
		{"auth key header", "TRACE_EXPORTER=otlp\nTRACER_URL=c:4317\nTRACER_AUTH_KEY=Bearer x\n", nil,
			func(s Settings) any { return s.Trace.Headers }, map[string]string{"Authorization": "Bearer x"}},
		{"headers win over auth key", "TRACE_EXPORTER=otlp\nTRACER_URL=c:4317\nTRACER_AUTH_KEY=Bearer x\nTRACER_HEADERS=a=1, b = 2 ,=\n", nil,
			func(s Settings) any { return s.Trace.Headers }, map[string]string{"a": "1", "b": "2"}},
		{"exporter keys beneath GoFr's", "TRACE_EXPORTER=otlp\nTRACER_URL=c:4317\nOTEL_EXPORTER_OTLP_HEADERS=api-key=a%20b\nOTEL_EXPORTER_OTLP_TIMEOUT=2500\n",
			[]string{"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=GZIP"},
			func(s Settings) any { return []any{s.Trace.Headers, s.Trace.Timeout, s.Trace.Gzip} },
			[]any{map[string]string{"api-key": "a b"}, 2500 * time.Millisecond, true}},
		{"TRACER_HEADERS win over the exporter's", "TRACE_EXPORTER=otlp\nTRACER_URL=c:4317\nTRACER_HEADERS=a=1\nOTEL_EXPORTER_OTLP_TRACES_HEADERS=b=2\nOTEL_EXPORTER_OTLP_TIMEOUT=soon\n", nil,
			func(s Settings) any { return []any{s.Trace.Headers, s.Trace.Timeout, s.Trace.Gzip} },
			[]any{map[string]string{"a": "1"}, time.Duration(0), false}},
		{"postgres port defaults to 5432", "DB_DIALECT=postgres\nDB_HOST=h\nDB_NAME=n\n", nil,
			func(s Settings) any { return []any{s.SQL.Port, s.SQL.SSLMode, s.SQL.MaxIdle} }, []any{5432, "disable", 2}},
		{"sqlite path", "DB_DIALECT=sqlite\nDB_NAME=orders\n", []string{"DB_NAME=/tmp/x/orders"},
			func(s Settings) any { return s.SQL.Path() }, "/tmp/x/orders.db"},
		{"app env from process", "APP_NAME=a\n", []string{"APP_ENV=staging"}, func(s Settings) any { return s.Trace.Environment }, "staging"},
		{"request timeout seconds", "REQUEST_TIMEOUT=5\n", nil, func(s Settings) any { return s.RequestTimeout }, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSettings(load(t, tt.env, tt.environ...))
			if err != nil {
				t.Fatalf("ParseSettings(%q): %v", tt.env, err)
			}
			if diff := cmp.Diff(tt.want, tt.check(s)); diff != "" {
				t.Errorf("ParseSettings(%q) (-want +got):\n%s", tt.env, diff)
			}
		})
	}
}

func TestNewConfigErrorIsErrConfig(t *testing.T) {
	_, err := New(Options{FS: fstest.MapFS{"configs/.env": {Data: []byte("HTTP_PORT=x\n")}}, Environ: []string{}})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("New() error = %v, want ErrConfig", err)
	}
	var ve *envfile.ValueError
	if !errors.As(err, &ve) || ve.Key != "HTTP_PORT" || ve.Source.Line != 1 {
		t.Errorf("New() error = %#v, want a ValueError for HTTP_PORT at line 1", err)
	}
}
