// Package pgtest gives tests a real PostgreSQL server on loopback: the one
// .ci/run started (FERRY_TEST_PG_HOST/PORT/USER), or a throwaway cluster in
// a temp dir made with initdb and pg_ctl. As root, the server runs as the
// postgres user, since initdb refuses to run as root.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// Server is a PostgreSQL server reachable on Host:Port as User (trust
// authentication, no password).
type Server struct {
	Host string
	Port int
	User string

	bin, data  string // set for a cluster this package started
	asPostgres bool
}

// Shared returns the CI cluster when .ci/run exported one, else starts a
// private one. Tests on a shared cluster must use their own database
// (CreateDB).
func Shared(t testing.TB) *Server {
	t.Helper()
	if host := os.Getenv("FERRY_TEST_PG_HOST"); host != "" {
		port, err := strconv.Atoi(os.Getenv("FERRY_TEST_PG_PORT"))
		if err != nil {
			t.Fatalf("FERRY_TEST_PG_PORT=%q: %v", os.Getenv("FERRY_TEST_PG_PORT"), err)
		}
		u := os.Getenv("FERRY_TEST_PG_USER")
		if u == "" {
			u = "postgres"
		}
		return &Server{Host: host, Port: port, User: u}
	}
	return Start(t)
}

// Start initialises and starts a private cluster, stopped and removed at
// the end of the test. Use it when the test stops the server.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBin()
	testdep.Require(t, "PostgreSQL server binaries (initdb, pg_ctl)", err)

	s := &Server{Host: "127.0.0.1", Port: testdep.FreePort(t), User: "postgres", bin: bin}
	s.asPostgres = os.Geteuid() == 0
	dir, err := os.MkdirTemp("", "ferry-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.data = filepath.Join(dir, "data")
	if err := os.Mkdir(s.data, 0o700); err != nil {
		t.Fatal(err)
	}
	if s.asPostgres {
		u, err := user.Lookup("postgres")
		testdep.Require(t, "the postgres user (to run PostgreSQL as root)", err)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, s.data} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := s.run("initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := s.StartServer(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func findBin() (string, error) {
	if b := os.Getenv("FERRY_TEST_PG_BIN"); b != "" {
		return b, nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", errors.New("pg_ctl not found on PATH, in FERRY_TEST_PG_BIN or /usr/lib/postgresql/*/bin")
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	name := filepath.Join(s.bin, tool)
	if s.asPostgres {
		args = append([]string{"-u", "postgres", "--", name}, args...)
		name = "runuser"
	}
	return exec.Command(name, args...).CombinedOutput()
}

// StartServer (re)starts a cluster this package created.
func (s *Server) StartServer() error {
	if s.data == "" {
		return errors.New("pgtest: cannot start a shared cluster")
	}
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -F", s.Port, s.data)
	out, err := s.run("pg_ctl", "start", "-w", "-t", "30", "-D", s.data, "-l", filepath.Join(s.data, "log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.data, "log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops a cluster this package created (fast mode: open connections
// are cut, as when a database fails).
func (s *Server) Stop() error {
	if s.data == "" {
		return errors.New("pgtest: cannot stop a shared cluster")
	}
	if out, err := s.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", s.data); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// CreateDB creates a fresh database for this test and returns its name.
func (s *Server) CreateDB(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return name
}

// DSN is a connection string for database name.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", s.User, s.Host, s.Port, name)
}
