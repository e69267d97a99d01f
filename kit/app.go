package kit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/kit/health"
	"github.com/ferrydev/ferry/kit/loglevel"
	"github.com/ferrydev/ferry/kit/migrate"
	"github.com/ferrydev/ferry/kit/redisdb"
	"github.com/ferrydev/ferry/kit/sqldb"
	"github.com/ferrydev/ferry/kit/trace"
)

// Options adjusts where an App reads and writes. The zero value is what a
// service wants in production: configs/ under the working directory, the
// process environment, stdout and stderr.
type Options struct {
	// FS and ConfigDir locate the config files: ConfigDir ("configs" when
	// empty) inside FS (the working directory when nil), as in GoFr.
	FS        fs.FS
	ConfigDir string
	// Environ is the process environment (os.Environ() when nil).
	Environ []string
	// Stdout receives logs below ERROR and Stderr the rest, as in GoFr
	// (os.Stdout and os.Stderr when nil).
	Stdout, Stderr io.Writer
	// Level is the live log level; LOG_LEVEL and REMOTE_LOG_URL set it.
	// A new LevelVar when nil.
	Level *slog.LevelVar
	// Registry receives every metric; a fresh registry when nil, so that
	// two Apps in one test binary do not collide.
	Registry *prometheus.Registry
	// HTTPClient fetches REMOTE_LOG_URL (5 s timeout when nil).
	HTTPClient *http.Client
}

// App is one service: its configuration, logger, datasources, routes and
// servers. Create it with New, add routes, then Run.
type App struct {
	settings Settings
	config   *envfile.Config
	logger   *slog.Logger
	logs     *bufferedWriter
	stderr   io.Writer
	level    *slog.LevelVar
	registry *prometheus.Registry
	httpc    *http.Client

	mux     *http.ServeMux
	health  *health.Registry
	mw      *middleware
	tp      *sdktrace.TracerProvider
	sql     *sqldb.DB
	redis   *redisdb.Client
	closers []func(context.Context) error

	mu       sync.Mutex
	httpAddr string
	metrAddr string
	ready    chan struct{}
}

// New reads the configuration, validates it and opens the datasources
// (without waiting for them: a database that is down makes the service
// DEGRADED, not dead). A configuration error is one line naming key, value
// and file:line, and matches ErrConfig.
func New(opts Options) (*App, error) {
	fsys := opts.FS
	if fsys == nil {
		fsys = os.DirFS(".")
	}
	dir := opts.ConfigDir
	if dir == "" {
		dir = "configs"
	}
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	level := opts.Level
	if level == nil {
		level = new(slog.LevelVar)
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}

	cfg, err := envfile.Load(fsys, dir, environ)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s, err := ParseSettings(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	level.Set(s.LogLevel)
	tty := isTerminal(stdout)
	logs := newBufferedWriter(stdout)
	logger := slog.New(newLogHandler(logs, stderr, level, tty))
	for _, f := range cfg.Files {
		logger.Info("Loaded config from file: " + f)
	}
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}

	a := &App{
		settings: s,
		config:   cfg,
		logger:   logger,
		logs:     logs,
		stderr:   stderr,
		level:    level,
		registry: reg,
		httpc:    opts.HTTPClient,
		mux:      http.NewServeMux(),
		health:   &health.Registry{Name: s.AppName, Version: s.AppVersion},
		ready:    make(chan struct{}),
	}
	if err := a.init(); err != nil {
		a.close()
		_ = logs.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) init() error {
	s := a.settings
	if err := registerMetrics(a.registry, s); err != nil {
		return err
	}
	tp, err := trace.New(context.Background(), s.Trace)
	if err != nil {
		return err
	}
	a.tp = tp
	a.closers = append(a.closers, func(ctx context.Context) error {
		// Flush what the batcher holds: GoFr loses these spans at exit.
		return tp.Shutdown(ctx)
	})
	if s.Trace.Exporter != "" {
		a.logger.Info(fmt.Sprintf("Exporting traces to %s at %s", s.Trace.Exporter, s.Trace.Endpoint), "ratio", s.Trace.Ratio)
	}
	mw, err := newMiddleware(a, tp, propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if err != nil {
		return err
	}
	a.mw = mw

	if s.SQL != nil {
		db, err := sqldb.Open(*s.SQL, a.registry)
		if err != nil {
			return err
		}
		a.sql = db
		a.health.Add("sql", db)
		a.closers = append(a.closers, func(context.Context) error { return db.Close() })
		a.logger.Info(fmt.Sprintf("connecting to %s database at %s", s.SQL.Dialect, s.SQL.Target()))
	}
	if s.Redis != nil {
		if err := a.openRedis(); err != nil {
			return err
		}
	}

	a.handle("GET /.well-known/alive", http.HandlerFunc(a.health.Alive), !s.LogProbes)
	a.handle("GET /.well-known/health", http.HandlerFunc(a.health.Health), !s.LogProbes)
	return nil
}

// Settings returns the validated contract keys.
func (a *App) Settings() Settings { return a.settings }

// Config returns the whole configuration, for the service's own keys; use
// its typed getters so a bad value names its file:line.
func (a *App) Config() *envfile.Config { return a.config }

// Logger returns the service's logger (JSON lines unless stdout is a TTY).
func (a *App) Logger() *slog.Logger { return a.logger }

// Level returns the live log level.
func (a *App) Level() *slog.LevelVar { return a.level }

// Registry returns the Prometheus registry served on METRICS_PORT, for the
// service's own metrics.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// SQL returns the database, nil when DB_DIALECT is unset.
func (a *App) SQL() *sqldb.DB { return a.sql }

// Redis returns the Redis client, nil when REDIS_HOST is unset.
func (a *App) Redis() *redisdb.Client { return a.redis }

// AddHealthCheck reports c under key in /.well-known/health.
func (a *App) AddHealthCheck(key string, c health.Checker) { a.health.Add(key, c) }

// Handle registers h for a net/http mux pattern such as "GET /orders/{id}",
// wrapped in the request log, metrics, tracing, panic recovery and
// REQUEST_TIMEOUT.
func (a *App) Handle(pattern string, h http.Handler) { a.handle(pattern, h, false) }

// HandleFunc is Handle for a function.
func (a *App) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	a.handle(pattern, http.HandlerFunc(h), false)
}

func (a *App) handle(pattern string, h http.Handler, probe bool) {
	a.mux.Handle(pattern, a.mw.wrap(pattern, h, probe))
}

// Handler returns the HTTP handler Run serves, for tests and benchmarks.
func (a *App) Handler() http.Handler { return a.mux }

// Migrate applies migrations to the SQL database with GoFr's bookkeeping
// (gofr_migrations and its lock). Call it before Run.
func (a *App) Migrate(ctx context.Context, migrations map[int64]migrate.Migration) error {
	if a.sql == nil {
		return errors.New("migrations: no SQL database (DB_DIALECT is unset)")
	}
	r := migrate.Runner{DB: a.sql.DB, Postgres: a.sql.Config().Postgres(), Logger: a.logger}
	return r.Run(ctx, migrations)
}

// Addr returns the HTTP and metrics listeners' addresses once Run has
// bound them (empty metrics address when METRICS_PORT=0). It blocks until
// then or until ctx ends.
func (a *App) Addr(ctx context.Context) (httpAddr, metricsAddr string, err error) {
	select {
	case <-a.ready:
	case <-ctx.Done():
		return "", "", ctx.Err()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.httpAddr, a.metrAddr, nil
}

// Run serves until ctx is cancelled (Main cancels it on SIGTERM or SIGINT),
// then shuts down in order: health turns 503 at once (alive stays 200)
// while the app keeps serving for SHUTDOWN_DELAY, so that load balancers
// see it fail readiness and route elsewhere before anything is refused;
// then the listener closes and the HTTP server drains in-flight requests
// within SHUTDOWN_GRACE_PERIOD, then the metrics
// server stops, spans are flushed and datasources closed. Run returns only
// when all of that is done, so in-flight requests complete whatever
// METRICS_PORT is.
func (a *App) Run(ctx context.Context) error {
	s := a.settings
	defer a.close()

	// Shared with the next revision while this one drains (SO_REUSEPORT
	// on Linux): ferry's local target overlaps revisions on one port.
	lc := shareableListenConfig()
	httpLn, err := lc.Listen(ctx, "tcp", ":"+strconv.Itoa(s.HTTPPort))
	if err != nil {
		return fmt.Errorf("http port %d: %w", s.HTTPPort, err)
	}
	a.steer("http", httpLn)
	var drain drainer
	tl, tracking := httpLn.(*net.TCPListener)
	if tracking {
		httpLn = trackListener{tl}
	}
	srv := &http.Server{
		Handler: drain.handler(a.mux), ConnState: drain.connState, ConnContext: markServerRequests,
		ErrorLog: slog.NewLogLogger(a.logger.Handler(), slog.LevelError),
	}
	stopExpiry := make(chan struct{})
	defer close(stopExpiry)
	if s.CertFile != "" || !tracking {
		// HTTP/2 connections over TLS never tell the hook they are in
		// use, so expireHeaders cannot tell them from slow ones.
		srv.ReadHeaderTimeout = readHeaderTimeout
	} else {
		go drain.expireHeaders(readHeaderTimeout, time.Second, stopExpiry)
	}

	var metricsSrv *http.Server
	var metricsLn net.Listener
	if s.MetricsPort != 0 {
		metricsLn, err = lc.Listen(ctx, "tcp", ":"+strconv.Itoa(s.MetricsPort))
		if err != nil {
			httpLn.Close()
			return fmt.Errorf("metrics port %d: %w", s.MetricsPort, err)
		}
		a.steer("metrics", metricsLn)
		metricsSrv = &http.Server{Handler: metricsHandler(a.registry), ReadHeaderTimeout: readHeaderTimeout}
	} else {
		a.logger.Info("Metrics server is disabled (METRICS_PORT=0)")
	}

	a.mu.Lock()
	a.httpAddr = httpLn.Addr().String()
	if metricsLn != nil {
		a.metrAddr = metricsLn.Addr().String()
	}
	a.mu.Unlock()
	close(a.ready)

	errc := make(chan error, 2)
	go func() {
		var err error
		if s.CertFile != "" {
			err = srv.ServeTLS(httpLn, s.CertFile, s.KeyFile)
		} else {
			err = srv.Serve(httpLn)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	if metricsSrv != nil {
		go func() {
			if err := metricsSrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics server: %w", err)
			}
		}()
	}
	a.logger.Info(fmt.Sprintf("Starting server on port: %d", s.HTTPPort))

	pollCtx, stopPoll := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPoll()
	if s.RemoteLogURL != "" {
		remote := &loglevel.Remote{URL: s.RemoteLogURL, Interval: s.RemoteInterval, Level: a.level, Logger: a.logger, Client: a.httpc}
		go remote.Run(pollCtx)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}

	// Readiness first: the load balancer should stop routing here while
	// the requests already accepted finish.
	a.health.SetShuttingDown()
	// Each keep-alive connection gets "Connection: close" on its next
	// response, so its client reconnects — to the next revision sharing
	// the port, or through the balancer — while this one still serves.
	// Not SetKeepAlivesEnabled(false): it closes every idle connection at
	// once, under the next request of a client about to send one.
	drain.start()
	stopPoll()
	if s.ShutdownDelay > 0 && runErr == nil {
		a.logger.Info(fmt.Sprintf("Failing readiness, serving for %s more before shutdown", s.ShutdownDelay))
		delay := time.NewTimer(s.ShutdownDelay)
		select {
		case <-delay.C:
		case runErr = <-errc:
			delay.Stop()
		}
	}
	a.logger.Info(fmt.Sprintf("Shutting down server with a timeout of %s", s.ShutdownGrace))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownGrace)
	defer cancel()
	// Connections in use leave after their next answer; only those idle
	// for a while are closed by the server (see drainer).
	if deadline, ok := sctx.Deadline(); ok {
		drain.closeIdle(deadline)
	}
	if err := srv.Shutdown(sctx); err != nil {
		// The grace period ran out: cut what is left.
		srv.Close()
		a.logger.Error("http server: grace period ended with requests in flight", "error", err.Error())
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(sctx); err != nil {
			metricsSrv.Close()
		}
	}
	deadline, _ := sctx.Deadline()
	a.closeBy(deadline)
	a.logger.Info("Application shutdown complete")
	_ = a.logs.Close()
	return runErr
}

// close flushes the tracer and the logs and closes the datasources; the
// closers run once, within what is left of the grace period (at least a
// second, so that spans get one chance to leave).
func (a *App) close() { a.closeBy(time.Now().Add(5 * time.Second)) }

func (a *App) closeBy(deadline time.Time) {
	if floor := time.Now().Add(time.Second); deadline.Before(floor) {
		deadline = floor
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	closers := a.closers
	a.closers = nil
	for _, c := range closers {
		if err := c(ctx); err != nil {
			a.logger.Error("shutdown: " + err.Error())
		}
	}
	_ = a.logs.Flush()
}

// readHeaderTimeout bounds how long a request's header may take to
// arrive (slow-header attacks).
const readHeaderTimeout = 10 * time.Second

// Main builds an App from opts, lets setup register routes (and run
// migrations), runs it until SIGTERM or SIGINT and returns the process exit
// code: 0 after a clean shutdown, 1 when the configuration is invalid,
// setup fails or a server fails. Errors are printed as one line on stderr.
func Main(opts Options, setup func(*App) error) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	app, err := New(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if setup != nil {
		if err := setup(app); err != nil {
			app.close()
			app.logger.Error(err.Error())
			_ = app.logs.Close()
			return 1
		}
	}
	if err := app.Run(ctx); err != nil {
		app.logger.Error(err.Error())
		return 1
	}
	return 0
}

// Trace returns the tracer provider, for spans of the service's own.
func (a *App) Trace() oteltrace.TracerProvider { return a.tp }
