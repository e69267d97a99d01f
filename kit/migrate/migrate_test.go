package migrate

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/ferrydev/ferry/kit/internal/pgtest"
)

type dialect struct {
	name     string
	postgres bool
	open     func(t *testing.T) *sql.DB
}

var dialects = []dialect{
	{"sqlite", false, func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db")+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
	{"postgres", true, func(t *testing.T) *sql.DB {
		pg := pgtest.Shared(t)
		db, err := sql.Open("pgx", pg.DSN(pg.CreateDB(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
}

// insert is a migration that records its version in a table of its own.
func insert(v string) Migration {
	return Migration{UP: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO ran (v) VALUES ('"+v+"')")
		return err
	}}
}

func ran(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT v FROM ran ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		rows.Scan(&v)
		out = append(out, v)
	}
	return out
}

func TestRunner(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db := d.open(t)
			ctx := t.Context()
			r := &Runner{DB: db, Postgres: d.postgres}
			create := Migration{UP: func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "CREATE TABLE ran (v VARCHAR(10))")
				return err
			}}
			if err := r.Run(ctx, map[int64]Migration{1: create, 2: insert("2")}); err != nil {
				t.Fatalf("first run: %v", err)
			}
			// 3 runs; 2 is not run twice; 0 is below the mark and skipped,
			// as in GoFr.
			if err := r.Run(ctx, map[int64]Migration{0: insert("0"), 1: create, 2: insert("2"), 3: insert("3")}); err != nil {
				t.Fatalf("second run: %v", err)
			}
			// A failing migration rolls back its own work and its record.
			boom := errors.New("boom")
			err := r.Run(ctx, map[int64]Migration{4: {UP: func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO ran (v) VALUES ('4')"); err != nil {
					return err
				}
				return boom
			}}})
			if !errors.Is(err, boom) {
				t.Fatalf("failing migration: err = %v, want boom", err)
			}
			if diff := cmp.Diff([]string{"2", "3"}, ran(t, db)); diff != "" {
				t.Errorf("migrations that ran (-want +got):\n%s", diff)
			}
			var versions []int64
			rows, err := db.Query("SELECT version FROM gofr_migrations WHERE method = 'UP' ORDER BY version")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v int64
				rows.Scan(&v)
				versions = append(versions, v)
			}
			rows.Close()
			if diff := cmp.Diff([]int64{1, 2, 3}, versions); diff != "" {
				t.Errorf("gofr_migrations versions (-want +got):\n%s", diff)
			}
			var locks int
			db.QueryRow("SELECT COUNT(*) FROM gofr_migration_locks").Scan(&locks)
			if locks != 0 {
				t.Errorf("%d lock rows left, want 0", locks)
			}
		})
	}
}

// TestConcurrentReplicas starts several runners at once on one PostgreSQL
// database, as replicas of a Deployment do: each migration runs once.
func TestConcurrentReplicas(t *testing.T) {
	d := dialects[1]
	db := d.open(t)
	if _, err := db.Exec("CREATE TABLE ran (v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	// Create the bookkeeping tables first: GoFr's CREATE TABLE IF NOT
	// EXISTS races on PostgreSQL's catalog when replicas start together.
	if err := (&Runner{DB: db, Postgres: true}).Run(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			r := &Runner{DB: db, Postgres: true}
			errs[i] = r.Run(t.Context(), map[int64]Migration{1: insert("1"), 2: insert("2")})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "2"}, ran(t, db)); diff != "" {
		t.Errorf("migrations that ran (-want +got):\n%s", diff)
	}
}
