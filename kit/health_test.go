package kit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/kit/health"
	"github.com/ferrydev/ferry/kit/internal/pgtest"
)

func newTestApp(t *testing.T, environ ...string) *App {
	t.Helper()
	a, err := New(Options{FS: fstest.MapFS{}, Environ: environ, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.close(); a.logs.Close() })
	return a
}

func getHealth(t *testing.T, url string) (int, string, map[string]any) {
	t.Helper()
	resp, err := http.Get(url + "/.well-known/health")
	if err != nil {
		t.Fatalf("GET health: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("health body %q: %v", raw, err)
	}
	return resp.StatusCode, string(raw), body.Data
}

// TestHealthPostgres stops and restarts a real PostgreSQL under a running
// service: UP, then DEGRADED with 503, then UP again without a restart.
func TestHealthPostgres(t *testing.T) {
	pg := pgtest.Start(t) // private: this test stops the server
	const password = "not-in-the-body-7c1f"
	a := newTestApp(t,
		"APP_NAME=orders", "APP_VERSION=1.2.3",
		"DB_DIALECT=postgres", "DB_HOST="+pg.Host, fmt.Sprintf("DB_PORT=%d", pg.Port),
		"DB_USER="+pg.User, "DB_PASSWORD="+password, "DB_NAME=postgres")
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	code, raw, data := getHealth(t, srv.URL)
	if code != http.StatusOK || data["status"] != "UP" {
		t.Fatalf("health with PostgreSQL up = %d %s, want 200 UP", code, raw)
	}
	sqlEntry := data["sql"].(map[string]any)
	wantHost := fmt.Sprintf("%s:%d/postgres", pg.Host, pg.Port)
	if diff := cmp.Diff(map[string]any{"status": "UP", "host": wantHost, "name": "orders", "version": "1.2.3"},
		map[string]any{"status": sqlEntry["status"], "host": sqlEntry["details"].(map[string]any)["host"], "name": data["name"], "version": data["version"]}); diff != "" {
		t.Errorf("health body (-want +got):\n%s", diff)
	}
	if strings.Contains(raw, password) || strings.Contains(raw, pg.User+"@") {
		t.Errorf("health body leaks credentials: %s", raw)
	}

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	code, raw, data = getHealth(t, srv.URL)
	if code != http.StatusServiceUnavailable || data["status"] != "DEGRADED" || data["sql"].(map[string]any)["status"] != "DOWN" {
		t.Fatalf("health with PostgreSQL stopped = %d %s, want 503 DEGRADED with sql DOWN", code, raw)
	}

	if err := pg.StartServer(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, raw, data = getHealth(t, srv.URL)
		if code == http.StatusOK && data["status"] == "UP" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health after PostgreSQL restart = %d %s, want 200 UP", code, raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestHealthShape(t *testing.T) {
	tests := []struct {
		name     string
		checks   map[string]health.Status
		stopping bool
		wantCode int
		want     string
	}{
		{"no dependencies", nil, false, 200, `{"data":{"name":"svc","status":"UP","version":"v1"}}`},
		{"one down", map[string]health.Status{"redis": {Status: "DOWN", Details: map[string]any{"host": "h:1"}}, "sql": {Status: "UP"}}, false, 503,
			`{"data":{"name":"svc","redis":{"status":"DOWN","details":{"host":"h:1"}},"sql":{"status":"UP"},"status":"DEGRADED","version":"v1"}}`},
		{"shutting down", map[string]health.Status{"sql": {Status: "UP"}}, true, 503, `{"data":{"name":"svc","status":"DEGRADED","version":"v1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t, "APP_NAME=svc", "APP_VERSION=v1")
			for k, s := range tt.checks {
				a.AddHealthCheck(k, checkerOf(s))
			}
			if tt.stopping {
				a.health.SetShuttingDown()
			}
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/health", nil))
			if rec.Code != tt.wantCode || strings.TrimSpace(rec.Body.String()) != tt.want {
				t.Errorf("health = %d %s, want %d %s", rec.Code, rec.Body, tt.wantCode, tt.want)
			}
			rec = httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/alive", nil))
			if rec.Code != 200 || rec.Body.String() != "{\"data\":{\"status\":\"UP\"}}\n" {
				t.Errorf("alive = %d %q, want 200 GoFr's body", rec.Code, rec.Body)
			}
		})
	}
}

func checkerOf(s health.Status) health.Checker {
	return health.CheckerFunc(func(context.Context) health.Status { return s })
}
