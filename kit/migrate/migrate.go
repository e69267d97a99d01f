// Package migrate runs numbered SQL migrations with GoFr's bookkeeping: the
// gofr_migrations table (version, method, start_time, duration) and the
// gofr_migration_locks lock, so that a service moving from GoFr to kit (or
// running beside it on one database) sees one history.
//
// As in GoFr, the state is a high-water mark: a migration whose version is
// at or below the highest recorded one is skipped, and there are no down
// migrations.
package migrate

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Migration is one step. UP runs inside a transaction that also records
// the step, so a failure leaves no trace.
type Migration struct {
	UP func(ctx context.Context, tx *sql.Tx) error
}

// Lock timings of GoFr's contract.
const (
	LockKey     = "gofr_migrations_lock"
	lockTTL     = 15 * time.Second
	lockRefresh = 5 * time.Second
	lockRetry   = 500 * time.Millisecond
)

const (
	createMigrations = `CREATE TABLE IF NOT EXISTS gofr_migrations (
    version BIGINT not null ,
    method VARCHAR(4) not null ,
    start_time TIMESTAMP not null ,
    duration BIGINT,
    constraint primary_key primary key (version, method)
);`
	createLocks = `CREATE TABLE IF NOT EXISTS gofr_migration_locks (
    lock_key VARCHAR(64) PRIMARY KEY,
    owner_id VARCHAR(64) NOT NULL,
    expires_at TIMESTAMP NOT NULL
);`
)

// Runner applies migrations to DB. Postgres selects $n placeholders.
type Runner struct {
	DB       *sql.DB
	Postgres bool
	Logger   *slog.Logger // nil discards
}

func (r *Runner) q(query string) string {
	if !r.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// Last returns the highest applied version, 0 when none.
func (r *Runner) Last(ctx context.Context) (int64, error) {
	var last int64
	if err := r.DB.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM gofr_migrations`).Scan(&last); err != nil {
		return 0, fmt.Errorf("reading last migration: %w", err)
	}
	return last, nil
}

// Run applies every migration above the high-water mark, in version order,
// holding GoFr's lock so that replicas starting together apply each once.
func (r *Runner) Run(ctx context.Context, migrations map[int64]Migration) error {
	for _, ddl := range []string{createMigrations, createLocks} {
		if _, err := r.DB.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("migrations: creating bookkeeping tables: %w", err)
		}
	}
	versions := make([]int64, 0, len(migrations))
	for v, m := range migrations {
		if m.UP == nil {
			return fmt.Errorf("migration %d: no UP function", v)
		}
		versions = append(versions, v)
	}
	slices.Sort(versions)

	last, err := r.Last(ctx)
	if err != nil {
		return err
	}
	if len(versions) == 0 || versions[len(versions)-1] <= last {
		return nil // fast path: nothing to do, no lock taken
	}

	owner, err := newOwner()
	if err != nil {
		return err
	}
	lost, release, err := r.lock(ctx, owner)
	if err != nil {
		return err
	}
	defer release()

	// Another replica may have applied them while this one waited.
	if last, err = r.Last(ctx); err != nil {
		return err
	}
	for _, v := range versions {
		if v <= last {
			r.logger().Debug(fmt.Sprintf("skipping migration %d", v))
			continue
		}
		select {
		case <-lost:
			return fmt.Errorf("migration %d: lock %s lost", v, LockKey)
		default:
		}
		if err := r.apply(ctx, v, migrations[v]); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) apply(ctx context.Context, v int64, m Migration) error {
	start := time.Now().UTC()
	tx, err := r.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", v, err)
	}
	if err := m.UP(ctx, tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("migration %d: %w", v, err)
	}
	dur := time.Since(start).Milliseconds()
	if _, err := tx.ExecContext(ctx, r.q(`INSERT INTO gofr_migrations (version, method, start_time, duration) VALUES (?, ?, ?, ?)`),
		v, "UP", start, dur); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("migration %d: recording it: %w", v, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", v, err)
	}
	r.logger().Info(fmt.Sprintf("Migration %d ran successfully", v), "duration_ms", dur)
	return nil
}

func newOwner() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("migrations: lock owner id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// lock takes GoFr's lock row, retrying every 0.5 s until ctx ends, and
// keeps it alive every 5 s. lost is closed if a refresh fails.
func (r *Runner) lock(ctx context.Context, owner string) (lost <-chan struct{}, release func(), err error) {
	for {
		now := time.Now().UTC()
		if _, err := r.DB.ExecContext(ctx, r.q(`DELETE FROM gofr_migration_locks WHERE expires_at < ?`), now); err != nil {
			return nil, nil, fmt.Errorf("migrations: clearing expired lock: %w", err)
		}
		_, err := r.DB.ExecContext(ctx, r.q(`INSERT INTO gofr_migration_locks (lock_key, owner_id, expires_at) VALUES (?, ?, ?)`),
			LockKey, owner, now.Add(lockTTL))
		if err == nil {
			break
		}
		// A duplicate key means another owner holds it; anything else the
		// next attempt will hit again, so both retry until ctx ends.
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("migrations: waiting for lock %s: %w", LockKey, errors.Join(ctx.Err(), err))
		case <-time.After(lockRetry):
		}
	}

	lostc := make(chan struct{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lockRefresh)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				res, err := r.DB.ExecContext(ctx, r.q(`UPDATE gofr_migration_locks SET expires_at = ? WHERE lock_key = ? AND owner_id = ?`),
					time.Now().UTC().Add(lockTTL), LockKey, owner)
				if n, _ := rowsAffected(res); err != nil || n != 1 {
					close(lostc)
					return
				}
			}
		}
	}()
	release = func() {
		close(stop)
		<-done
		// Released with a fresh context: the caller's may be cancelled.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = r.DB.ExecContext(cctx, r.q(`DELETE FROM gofr_migration_locks WHERE lock_key = ? AND owner_id = ?`), LockKey, owner)
	}
	return lostc, release, nil
}

func rowsAffected(res sql.Result) (int64, error) {
	if res == nil {
		return 0, errors.New("no result")
	}
	return res.RowsAffected()
}
