package sqldb

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"net/http/httptest"
)

func TestSQLiteOpenQueryMetricsHealth(t *testing.T) {
	// DB_NAME may be a path whose directory does not exist yet, as when
	// ferry runs the service locally; GoFr appends ".db".
	name := filepath.Join(t.TempDir(), "nested", "orders")
	reg := prometheus.NewRegistry()
	db, err := Open(Config{Dialect: "sqlite", Name: name}, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, db.Rebind("INSERT INTO t (v) VALUES (?)"), "x"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := db.QueryRowContext(ctx, "select v from t").Scan(&v); err != nil || v != "x" {
		t.Fatalf("select = %q, %v", v, err)
	}
	st := db.Check(ctx)
	if st.Status != "UP" || st.Details["host"] != name+".db" {
		t.Errorf("Check() = %+v, want UP on %s.db", st, name)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`app_sql_stats_count{database="` + name + `",hostname="` + name + `.db",type="CREATE"} 1`,
		`app_sql_stats_count{database="` + name + `",hostname="` + name + `.db",type="SELECT"} 1`,
		`app_sql_open_connections `,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestDSNAndRebind(t *testing.T) {
	pg := Config{Dialect: "postgres", Host: "db", Port: 5432, User: "u", Password: "p@ss word", Name: "orders", SSLMode: "require"}
	_, dsn := pg.dsn()
	tests := []struct{ name, got, want string }{
		{"pg dsn escapes the password", dsn, "postgres://u:p%40ss%20word@db:5432/orders?connect_timeout=5&sslmode=require"},
		{"target hides credentials", pg.Target(), "db:5432/orders"},
		{"rebind postgres", (&DB{cfg: pg}).Rebind("a = ? AND b = ?"), "a = $1 AND b = $2"},
		{"rebind sqlite", (&DB{cfg: Config{Dialect: "sqlite"}}).Rebind("a = ?"), "a = ?"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
