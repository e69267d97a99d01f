package kit

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/kit/loglevel"
	"github.com/ferrydev/ferry/kit/redisdb"
	"github.com/ferrydev/ferry/kit/sqldb"
	"github.com/ferrydev/ferry/kit/trace"
)

// Settings is GoFr's configuration contract, parsed and validated. GoFr
// replaces a bad value with its default without a word; kit refuses to
// start instead, naming the key, the value and the file:line that set it.
type Settings struct {
	AppName, AppVersion, AppEnv string

	HTTPPort    int // HTTP_PORT, 8000
	MetricsPort int // METRICS_PORT, 2121; 0 disables the metrics server
	CertFile    string
	KeyFile     string

	LogLevel       slog.Level    // LOG_LEVEL, INFO
	LogProbes      bool          // false when LOG_DISABLE_PROBES=true
	RemoteLogURL   string        // REMOTE_LOG_URL
	RemoteInterval time.Duration // REMOTE_LOG_FETCH_INTERVAL seconds, 15
	RequestTimeout time.Duration // REQUEST_TIMEOUT seconds; 0 is none
	ShutdownGrace  time.Duration // SHUTDOWN_GRACE_PERIOD, 30s
	// ShutdownDelay is how long the app keeps serving after SIGTERM with
	// /.well-known/health answering 503, before it stops accepting:
	// SHUTDOWN_DELAY, by default 5s under Kubernetes (KUBERNETES_SERVICE_HOST
	// set), where endpoints drop a pod only seconds after its signal, and
	// 0 elsewhere.
	ShutdownDelay time.Duration

	Trace trace.Config
	SQL   *sqldb.Config   // nil when DB_DIALECT is unset
	Redis *redisdb.Config // nil when REDIS_HOST is unset
}

// rejection builds the one-line error for a value kit refuses.
func rejection(cfg *envfile.Config, key, want string) error {
	v, _ := cfg.Var(key)
	return &envfile.ValueError{Key: key, Value: v.Value, Source: v.Source, Want: want}
}

// ParseSettings validates cfg against the contract. The error of the first
// bad key reads `configs/.env:3: HTTP_PORT="80x" is not an integer`.
func ParseSettings(cfg *envfile.Config) (Settings, error) {
	s, errs := parse(cfg)
	if len(errs) > 0 {
		return s, errs[0]
	}
	return s, nil
}

// Validate returns every value kit refuses to start with, each naming its
// key, value and file:line, in the order ParseSettings checks them.
func Validate(cfg *envfile.Config) []error {
	_, errs := parse(cfg)
	return errs
}

func parse(cfg *envfile.Config) (Settings, []error) {
	p := parser{cfg: cfg}
	s := Settings{
		AppName:    cfg.String("APP_NAME", "gofr-app"),
		AppVersion: cfg.String("APP_VERSION", "dev"),
		AppEnv:     cfg.Get("APP_ENV"),
		CertFile:   cfg.Get("CERT_FILE"),
		KeyFile:    cfg.Get("KEY_FILE"),
	}
	s.HTTPPort = p.port("HTTP_PORT", 8000, false)
	s.MetricsPort = p.port("METRICS_PORT", 2121, true)
	if s.HTTPPort == s.MetricsPort {
		if _, set := cfg.Lookup("METRICS_PORT"); set {
			p.keep(rejection(cfg, "METRICS_PORT", "a port other than HTTP_PORT"))
		} else {
			p.keep(rejection(cfg, "HTTP_PORT", "a port other than METRICS_PORT (2121 by default)"))
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		key := "CERT_FILE"
		if s.CertFile == "" {
			key = "KEY_FILE"
		}
		p.keep(fmt.Errorf("%s: set CERT_FILE and KEY_FILE together, or neither", key))
	}

	level := p.oneOf("LOG_LEVEL", "INFO", loglevel.Names...)
	s.LogLevel, _ = loglevel.Parse(level)
	s.LogProbes = !p.boolean("LOG_DISABLE_PROBES", false)
	s.RemoteLogURL = cfg.Get("REMOTE_LOG_URL")
	s.RemoteInterval = time.Duration(p.positive("REMOTE_LOG_FETCH_INTERVAL", 15)) * time.Second
	s.RequestTimeout = time.Duration(p.nonNegative("REQUEST_TIMEOUT", 0)) * time.Second
	s.ShutdownGrace = p.duration("SHUTDOWN_GRACE_PERIOD", 30*time.Second)
	s.ShutdownDelay = p.duration("SHUTDOWN_DELAY", defaultShutdownDelay(cfg))

	s.Trace = p.trace(s)
	s.SQL = p.sql()
	s.Redis = p.redis()

	if v := cfg.Get("PUBSUB_BACKEND"); v != "" {
		p.keep(rejection(cfg, "PUBSUB_BACKEND", "supported: kit has no pub/sub client; unset it"))
	}
	return s, p.errs
}

// kubeShutdownDelay is SHUTDOWN_DELAY's default under Kubernetes: the
// time endpoints and the proxies behind them take to drop a terminating pod
// (typically 1–3 s), with margin.
const kubeShutdownDelay = 5 * time.Second

// defaultShutdownDelay is 0 unless the process runs in a Kubernetes pod,
// which the kubelet marks with KUBERNETES_SERVICE_HOST. On one machine
// nothing routes around a process, so waiting would only slow redeploys.
func defaultShutdownDelay(cfg *envfile.Config) time.Duration {
	if cfg.Get("KUBERNETES_SERVICE_HOST") != "" {
		return kubeShutdownDelay
	}
	return 0
}

// parser collects errors so that the settings read as a list.
type parser struct {
	cfg  *envfile.Config
	errs []error
}

func (p *parser) keep(err error) {
	if err != nil {
		p.errs = append(p.errs, err)
	}
}

// source names where key was set, for errors about another key it needs.
func (p *parser) source(key string) string {
	v, _ := p.cfg.Var(key)
	return v.Source.String()
}

func (p *parser) port(key string, def int, zeroOK bool) int {
	n, err := p.cfg.Int(key, def)
	p.keep(err)
	lo := 1
	if zeroOK {
		lo = 0
	}
	if err == nil && (n < lo || n > 65535) {
		want := "a port between 1 and 65535"
		if zeroOK {
			want = "a port between 1 and 65535, or 0 to disable"
		}
		p.keep(rejection(p.cfg, key, want))
	}
	return n
}

func (p *parser) positive(key string, def int) int {
	n, err := p.cfg.Int(key, def)
	p.keep(err)
	if err == nil && n <= 0 {
		p.keep(rejection(p.cfg, key, "a positive number of seconds"))
	}
	return n
}

func (p *parser) nonNegative(key string, def int) int {
	n, err := p.cfg.Int(key, def)
	p.keep(err)
	if err == nil && n < 0 {
		p.keep(rejection(p.cfg, key, "zero or a positive number"))
	}
	return n
}

func (p *parser) boolean(key string, def bool) bool {
	b, err := p.cfg.Bool(key, def)
	p.keep(err)
	return b
}

func (p *parser) oneOf(key, def string, allowed ...string) string {
	v, err := p.cfg.OneOf(key, def, allowed...)
	p.keep(err)
	return v
}

func (p *parser) duration(key string, def time.Duration) time.Duration {
	d, err := p.cfg.Duration(key, def)
	p.keep(err)
	if err == nil && d < 0 {
		p.keep(rejection(p.cfg, key, "a duration of zero or more"))
	}
	return d
}

func (p *parser) trace(s Settings) trace.Config {
	t := trace.Config{
		ServiceName:        s.AppName,
		ServiceVersion:     s.AppVersion,
		Environment:        s.AppEnv,
		ResourceAttributes: p.cfg.Get("OTEL_RESOURCE_ATTRIBUTES"),
	}
	ratio, err := p.cfg.Float("TRACER_RATIO", 1)
	p.keep(err)
	if err == nil && (ratio < 0 || ratio > 1) {
		p.keep(rejection(p.cfg, "TRACER_RATIO", "a number between 0 and 1"))
	}
	t.Ratio = ratio

	exporter := p.cfg.Get("TRACE_EXPORTER")
	rawURL := p.cfg.Get("TRACER_URL")
	switch {
	case exporter == "" && rawURL == "":
		return t
	case exporter == "":
		// GoFr logs an error and traces nothing; say so at start instead.
		p.keep(rejection(p.cfg, "TRACER_URL", "usable without TRACE_EXPORTER (set TRACE_EXPORTER=otlp)"))
		return t
	}
	switch e := lower(exporter); e {
	case "otlp", "jaeger":
		t.Exporter = e
	case "zipkin", "gofr":
		p.keep(rejection(p.cfg, "TRACE_EXPORTER", "supported: kit exports OTLP/gRPC only (otlp or jaeger), not "+e))
		return t
	default:
		p.keep(rejection(p.cfg, "TRACE_EXPORTER", "otlp or jaeger"))
		return t
	}
	if rawURL == "" {
		p.keep(fmt.Errorf("TRACER_URL: required when TRACE_EXPORTER=%s (%s): the collector's OTLP/gRPC host:port", exporter, p.source("TRACE_EXPORTER")))
		return t
	}
	endpoint, useTLS, err := trace.ParseURL(rawURL)
	if err != nil {
		p.keep(rejection(p.cfg, "TRACER_URL", "an OTLP/gRPC endpoint: "+err.Error()))
		return t
	}
	t.Endpoint, t.TLS = endpoint, useTLS
	headers := trace.ParseHeaders(p.cfg.Get("TRACER_HEADERS"))
	if len(headers) == 0 {
		if key := p.cfg.Get("TRACER_AUTH_KEY"); key != "" {
			headers = map[string]string{"Authorization": key}
		}
	}
	// The OpenTelemetry exporter's own keys apply beneath GoFr's, as in
	// GoFr: headers when TRACER_HEADERS and TRACER_AUTH_KEY are unset,
	// timeout (milliseconds) and compression; a value the exporter would
	// ignore is ignored.
	if len(headers) == 0 {
		if v := p.otlp("HEADERS"); v != "" {
			headers = trace.ParseOTLPHeaders(v)
		}
	}
	t.Headers = headers
	if ms, err := strconv.Atoi(p.otlp("TIMEOUT")); err == nil && ms > 0 {
		t.Timeout = time.Duration(ms) * time.Millisecond
	}
	t.Gzip = lower(p.otlp("COMPRESSION")) == "gzip"
	return t
}

// otlp reads OTEL_EXPORTER_OTLP_TRACES_<key>, else OTEL_EXPORTER_OTLP_<key>.
func (p *parser) otlp(key string) string {
	if v := p.cfg.Get("OTEL_EXPORTER_OTLP_TRACES_" + key); v != "" {
		return v
	}
	return p.cfg.Get("OTEL_EXPORTER_OTLP_" + key)
}

func (p *parser) sql() *sqldb.Config {
	dialect := p.cfg.Get("DB_DIALECT")
	if dialect == "" {
		return nil
	}
	c := &sqldb.Config{
		Dialect:  lower(dialect),
		Host:     p.cfg.Get("DB_HOST"),
		User:     p.cfg.Get("DB_USER"),
		Password: p.cfg.Get("DB_PASSWORD"),
		Name:     p.cfg.Get("DB_NAME"),
	}
	switch c.Dialect {
	case "postgres", "cockroachdb", "supabase", "sqlite":
	case "mysql":
		p.keep(rejection(p.cfg, "DB_DIALECT", "supported: kit has no MySQL driver (postgres, cockroachdb, supabase or sqlite)"))
		return nil
	default:
		p.keep(rejection(p.cfg, "DB_DIALECT", "one of postgres, cockroachdb, supabase, sqlite"))
		return nil
	}
	at := p.source("DB_DIALECT")
	if c.Name == "" {
		p.keep(fmt.Errorf("DB_NAME: required when DB_DIALECT=%s (%s)", dialect, at))
	}
	if c.Postgres() {
		if c.Host == "" {
			p.keep(fmt.Errorf("DB_HOST: required when DB_DIALECT=%s (%s)", dialect, at))
		}
		// GoFr defaults DB_PORT to 3306 for every dialect, which never
		// reaches a PostgreSQL server; kit uses PostgreSQL's port.
		c.Port = p.port("DB_PORT", 5432, false)
		c.SSLMode = lower(p.oneOf("DB_SSL_MODE", "disable", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"))
		if c.Dialect == "supabase" {
			c.SSLMode = "require"
		}
	}
	c.MaxIdle = p.nonNegative("DB_MAX_IDLE_CONNECTION", 2)
	c.MaxOpen = p.nonNegative("DB_MAX_OPEN_CONNECTION", 0)
	return c
}

func (p *parser) redis() *redisdb.Config {
	host := p.cfg.Get("REDIS_HOST")
	if host == "" {
		return nil
	}
	c := &redisdb.Config{
		Host:     host,
		User:     p.cfg.Get("REDIS_USER"),
		Password: p.cfg.Get("REDIS_PASSWORD"),
		CACert:   p.cfg.Get("REDIS_TLS_CA_CERT"),
		Cert:     p.cfg.Get("REDIS_TLS_CERT"),
		Key:      p.cfg.Get("REDIS_TLS_KEY"),
	}
	c.Port = p.port("REDIS_PORT", 6379, false)
	c.DB = p.nonNegative("REDIS_DB", 0)
	c.TLS = p.boolean("REDIS_TLS_ENABLED", false)
	return c
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ErrConfig marks every error that comes from the configuration, so a
// caller can tell it from a failure at run time.
var ErrConfig = errors.New("invalid configuration")
