// Package sqldb opens the SQL database a GoFr service configures with DB_*
// keys, through database/sql: PostgreSQL (and the postgres-compatible
// cockroachdb and supabase dialects) via pgx, SQLite via a pure-Go driver so
// that services build without cgo. It reports into health and into GoFr's
// app_sql_* metrics.
//
// Both drivers are linked by default. A service that never sets DB_DIALECT
// can leave them out with the build tags kit_nopostgres and kit_nosqlite:
// their packages and initialisation are a fifth of an idle service's
// memory. Such a binary refuses, at start, a DB_DIALECT it cannot serve.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferrydev/ferry/kit/health"
	"github.com/ferrydev/ferry/kit/metric"
)

// Config is the DB_* configuration of GoFr's contract.
type Config struct {
	Dialect  string // postgres, cockroachdb, supabase or sqlite
	Host     string
	Port     int
	User     string
	Password string
	Name     string // the database; for sqlite the file name without ".db"
	SSLMode  string // postgres sslmode; "disable" when empty
	MaxIdle  int    // DB_MAX_IDLE_CONNECTION (kit's default is GoFr's 2); 0 keeps none
	MaxOpen  int    // DB_MAX_OPEN_CONNECTION; 0 is unlimited
}

// Postgres reports whether the dialect speaks the PostgreSQL protocol.
func (c Config) Postgres() bool {
	switch c.Dialect {
	case "postgres", "cockroachdb", "supabase":
		return true
	}
	return false
}

// Path is the SQLite file: GoFr appends ".db" to DB_NAME.
func (c Config) Path() string { return c.Name + ".db" }

// Target names the database without credentials, for health details and
// log lines: "host:port/name", or the file for SQLite.
func (c Config) Target() string {
	if c.Dialect == "sqlite" {
		return c.Path()
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) + "/" + c.Name
}

func (c Config) dsn() (driver, dsn string) {
	if c.Dialect == "sqlite" {
		// WAL lets readers run beside the writer; busy_timeout makes
		// concurrent writers wait instead of failing with SQLITE_BUSY.
		return "sqlite", "file:" + c.Path() + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
	}
	ssl := c.SSLMode
	if ssl == "" {
		ssl = "disable"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(c.User, c.Password),
		Host:     net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path:     "/" + c.Name,
		RawQuery: url.Values{"sslmode": {ssl}, "connect_timeout": {"5"}}.Encode(),
	}
	return "pgx", u.String()
}

// DB is a connection pool whose ExecContext, QueryContext and
// QueryRowContext record app_sql_stats. The embedded *sql.DB gives every
// other method (BeginTx, Stats, Close, …).
type DB struct {
	*sql.DB
	cfg Config
	vec *prometheus.HistogramVec
}

// Open opens the pool without connecting: a database that is down at start
// makes the service DEGRADED, not dead, and database/sql reconnects on
// the next use. reg may be nil.
func Open(cfg Config, reg prometheus.Registerer) (*DB, error) {
	driver, dsn := cfg.dsn()
	if err := linked(cfg.Dialect, driver, sql.Drivers()); err != nil {
		return nil, err
	}
	if cfg.Dialect == "sqlite" {
		if dir := filepath.Dir(cfg.Path()); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("opening sqlite %q: %w", cfg.Path(), err)
			}
		}
	}
	sqlDB, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s database %s: %w", cfg.Dialect, cfg.Target(), err)
	}
	sqlDB.SetMaxIdleConns(cfg.MaxIdle)
	sqlDB.SetMaxOpenConns(cfg.MaxOpen)
	db := &DB{DB: sqlDB, cfg: cfg}
	if reg != nil {
		db.vec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "app_sql_stats",
			Help:    "Response time of SQL queries in milliseconds.",
			Buckets: metric.DatasourceBuckets,
		}, []string{"hostname", "database", "type"})
		open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "app_sql_open_connections", Help: "Number of open SQL connections.",
		}, func() float64 { return float64(sqlDB.Stats().OpenConnections) })
		inUse := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "app_sql_inUse_connections", Help: "Number of inUse SQL connections.",
		}, func() float64 { return float64(sqlDB.Stats().InUse) })
		for _, c := range []prometheus.Collector{db.vec, open, inUse} {
			if err := reg.Register(c); err != nil {
				sqlDB.Close()
				return nil, fmt.Errorf("registering sql metrics: %w", err)
			}
		}
	}
	return db, nil
}

// driverTags names the build tag that leaves each driver out.
var driverTags = map[string]string{"pgx": "kit_nopostgres", "sqlite": "kit_nosqlite"}

// linked reports a dialect whose driver the binary was built without.
func linked(dialect, driver string, drivers []string) error {
	if slices.Contains(drivers, driver) {
		return nil
	}
	return fmt.Errorf("DB_DIALECT=%s: this service was built with -tags %s, which leaves the %s driver out; build it without that tag", dialect, driverTags[driver], driver)
}

// Config returns the configuration the pool was opened with.
func (db *DB) Config() Config { return db.cfg }

func (db *DB) observe(start time.Time, query string) {
	if db.vec == nil {
		return
	}
	host := db.cfg.Host
	if db.cfg.Dialect == "sqlite" {
		host = db.cfg.Path()
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	db.vec.WithLabelValues(host, db.cfg.Name, operation(query)).Observe(ms)
}

// operation is GoFr's "type" label: the statement's first word, upper case.
func operation(query string) string {
	f := strings.Fields(query)
	if len(f) == 0 {
		return ""
	}
	return strings.ToUpper(f[0])
}

// ExecContext runs query and records its duration.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer db.observe(time.Now(), query)
	return db.DB.ExecContext(ctx, query, args...)
}

// QueryContext runs query and records its duration.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer db.observe(time.Now(), query)
	return db.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query and records its duration.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	defer db.observe(time.Now(), query)
	return db.DB.QueryRowContext(ctx, query, args...)
}

// Rebind rewrites "?" placeholders into the dialect's form ($1, $2, … for
// PostgreSQL), so one query text serves both dialects.
func (db *DB) Rebind(query string) string {
	if !db.cfg.Postgres() {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Check implements health.Checker with GoFr's "sql" entry: details.host
// (never the user or password) and, when up, the pool's stats.
func (db *DB) Check(ctx context.Context) health.Status {
	details := map[string]any{"host": db.cfg.Target()}
	if err := db.PingContext(ctx); err != nil {
		return health.Status{Status: health.Down, Details: details}
	}
	s := db.Stats()
	details["stats"] = map[string]any{
		"maxOpenConnections": s.MaxOpenConnections,
		"openConnections":    s.OpenConnections,
		"inUse":              s.InUse,
		"idle":               s.Idle,
		"waitCount":          s.WaitCount,
		"waitDuration":       s.WaitDuration,
		"maxIdleClosed":      s.MaxIdleClosed,
		"maxIdleTimeClosed":  s.MaxIdleTimeClosed,
		"maxLifetimeClosed":  s.MaxLifetimeClosed,
	}
	return health.Status{Status: health.Up, Details: details}
}

var _ health.Checker = (*DB)(nil)
