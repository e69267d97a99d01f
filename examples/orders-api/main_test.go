package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// binary is the example built once for every test, as ferry build would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orders-api-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "orders-api")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// service is the example running as a real process.
type service struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	start  time.Time
}

// run starts the binary in dir (its working directory, holding configs/)
// with environ on top of a minimal environment.
func run(t *testing.T, dir string, environ ...string) *service {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("HTTP_PORT=%d", port)}, environ...)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	s := &service{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &stderr, start: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return s
}

func (s *service) waitHealthy(t *testing.T) time.Duration {
	t.Helper()
	for time.Since(s.start) < 15*time.Second {
		resp, err := http.Get(s.base + "/.well-known/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(s.start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never healthy; stderr:\n%s", s.stderr)
	return 0
}

// workdir copies the example's configs/ into a temp dir, so that a test
// runs the binary from "its own directory" without writing into the repo.
func workdir(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "configs"), os.DirFS("configs")); err != nil {
		t.Fatal(err)
	}
	if len(extra) > 0 {
		f, err := os.OpenFile(filepath.Join(dir, "configs", ".env"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range extra {
			fmt.Fprintln(f, l)
		}
	}
	return dir
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestOrdersAPI runs the example with configs/.env's defaults only (SQLite,
// DB_NAME=orders in the working directory) and a free HTTP_PORT.
func TestOrdersAPI(t *testing.T) {
	dir := workdir(t)
	s := run(t, dir, fmt.Sprintf("METRICS_PORT=%d", freePort(t)))
	s.waitHealthy(t)

	type order struct {
		ID       int64  `json:"id"`
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
	}
	decode := func(body string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(body), &struct {
			Data any `json:"data"`
		}{v}); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
	}

	code, body := call(t, "POST", s.base+"/orders", `{"item":"widget","quantity":3}`)
	var created order
	decode(body, &created)
	if code != http.StatusCreated || created.ID == 0 || created.Item != "widget" || created.Quantity != 3 {
		t.Fatalf("POST /orders = %d %s, want 201 with the stored order and an id", code, body)
	}
	call(t, "POST", s.base+"/orders", `{"item":"gadget","quantity":1}`)

	tests := []struct {
		name, method, path, body string
		wantCode                 int
		wantBody                 string // compared when not empty
	}{
		{"get one", "GET", fmt.Sprintf("/orders/%d", created.ID), "", 200, ""},
		{"missing", "GET", "/orders/999", "", 404, `{"error":{"message":"No entity found with id: 999"}}`},
		{"bad id", "GET", "/orders/abc", "", 400, `{"error":{"message":"parameter id \"abc\" is not an integer"}}`},
		{"no item", "POST", "/orders", `{"quantity":3}`, 400, `{"error":{"message":"parameter item is required"}}`},
		{"zero quantity", "POST", "/orders", `{"item":"x","quantity":0}`, 400, `{"error":{"message":"parameter quantity must be a positive integer"}}`},
		{"not json", "POST", "/orders", `nope`, 400, ""},
		{"debug route off by default", "GET", "/debug/sleep?d=1ms", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, tt.method, s.base+tt.path, tt.body)
			if code != tt.wantCode || (tt.wantBody != "" && body != tt.wantBody) {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}

	code, body = call(t, "GET", s.base+"/orders", "")
	var list []order
	decode(body, &list)
	want := []order{{Item: "widget", Quantity: 3}, {Item: "gadget", Quantity: 1}}
	if diff := cmp.Diff(want, list, cmpopts.IgnoreFields(order{}, "ID")); code != 200 || diff != "" {
		t.Errorf("GET /orders = %d (-want +got):\n%s", code, diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "orders.db")); err != nil {
		t.Errorf("DB_NAME=orders should store in orders.db in the working directory: %v", err)
	}
}

// TestSIGTERMDrainsInFlight: a two-second request is in flight when the
// process gets SIGTERM; it completes with 200 whatever METRICS_PORT is, and
// the process exits 0 well inside SHUTDOWN_GRACE_PERIOD (25s in configs/.env).
func TestSIGTERMDrainsInFlight(t *testing.T) {
	for _, metrics := range []string{"free", "0"} {
		t.Run("METRICS_PORT="+metrics, func(t *testing.T) {
			mp := metrics
			if mp == "free" {
				mp = fmt.Sprint(freePort(t))
			}
			dir := t.TempDir()
			s := run(t, ".", "METRICS_PORT="+mp, "DB_NAME="+filepath.Join(dir, "orders"),
				"ORDERS_DEBUG_ROUTES=true", "APP_ENV=staging", "DB_PASSWORD=unused-by-sqlite")
			s.waitHealthy(t)

			type result struct {
				code int
				body string
				err  error
			}
			res := make(chan result, 1)
			go func() {
				resp, err := http.Get(s.base + "/debug/sleep?d=2s")
				if err != nil {
					res <- result{err: err}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				res <- result{code: resp.StatusCode, body: string(b)}
			}()
			time.Sleep(300 * time.Millisecond)
			signalled := time.Now()
			if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			r := <-res
			if r.err != nil || r.code != http.StatusOK {
				t.Fatalf("in-flight request = %d %q %v, want 200\nstderr: %s", r.code, r.body, r.err, s.stderr)
			}
			exited := make(chan error, 1)
			go func() { exited <- s.cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit: %v\nstderr: %s", err, s.stderr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still running 10s after the request completed")
			}
			if took := time.Since(signalled); took > 5*time.Second {
				t.Errorf("exit took %s after SIGTERM, want well under the 25s grace period", took)
			}
		})
	}
}

func TestInvalidConfigExits1(t *testing.T) {
	dir := workdir(t, "METRICS_PORT=21x21")
	lines := strings.Count(readFile(t, filepath.Join(dir, "configs", ".env")), "\n")
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1", err)
	}
	want := fmt.Sprintf("invalid configuration: configs/.env:%d: METRICS_PORT=\"21x21\" is not an integer\n", lines)
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
