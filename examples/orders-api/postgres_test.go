package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestPostgres runs the example against the PostgreSQL cluster .ci/run
// starts (FERRY_TEST_PG_*), configured the way the chart configures it:
// DB_DIALECT=postgres, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME.
// Outside CI without that cluster it skips; with CI=true it fails.
func TestPostgres(t *testing.T) {
	host, port := os.Getenv("FERRY_TEST_PG_HOST"), os.Getenv("FERRY_TEST_PG_PORT")
	if host == "" || port == "" {
		msg := "FERRY_TEST_PG_HOST/PORT unset: run under .ci/run, which starts PostgreSQL"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (outside CI only: CI=true fails above)")
	}
	user := os.Getenv("FERRY_TEST_PG_USER")
	if user == "" {
		user = "postgres"
	}
	admin, err := sql.Open("pgx", fmt.Sprintf("postgres://%s@%s:%s/postgres?sslmode=disable", user, host, port))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "orders_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}

	s := run(t, ".", "METRICS_PORT=0", "DB_DIALECT=postgres", "DB_HOST="+host, "DB_PORT="+port,
		"DB_USER="+user, "DB_PASSWORD=from-a-secret", "DB_NAME="+name, "DB_SSL_MODE=disable", "APP_ENV=staging")
	s.waitHealthy(t)
	code, body := call(t, "POST", s.base+"/orders", `{"item":"widget","quantity":3}`)
	if code != 201 || !strings.Contains(body, `"id":1,"item":"widget","quantity":3`) {
		t.Fatalf("POST /orders = %d %s, want 201 with id 1", code, body)
	}
	code, body = call(t, "GET", s.base+"/orders/1", "")
	if code != 200 || !strings.Contains(body, `"item":"widget"`) {
		t.Errorf("GET /orders/1 = %d %s", code, body)
	}
	_, health := call(t, "GET", s.base+"/.well-known/health", "")
	if !strings.Contains(health, fmt.Sprintf(`"host":"%s:%s/%s"`, host, port, name)) || strings.Contains(health, "from-a-secret") {
		t.Errorf("health = %s, want the sql host without credentials", health)
	}
	db, err := sql.Open("pgx", fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", user, host, port, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int64
	if err := db.QueryRow("SELECT MAX(version) FROM gofr_migrations WHERE method = 'UP'").Scan(&version); err != nil || version != 20260101000000 {
		t.Errorf("gofr_migrations max version = %d, %v; want 20260101000000", version, err)
	}
}
