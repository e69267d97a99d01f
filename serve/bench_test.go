package serve

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
)

// benchProject is a project of six environments whose state holds 200
// revisions each, every one with a 30-key config snapshot and its gates,
// as a long-lived pipeline's would. Nothing runs: health is DOWN.
func benchProject(b *testing.B) func() *promote.Config {
	b.Helper()
	envs := []string{"dev", "test", "qa", "staging", "preprod", "prod"}
	dir := b.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../platform/local/testdata/svc")); err != nil {
		b.Fatal(err)
	}
	yaml := "service: svc\npath: [dev, test, qa, staging, preprod, prod]\nenvironments:\n"
	for i, e := range envs {
		yaml += fmt.Sprintf("  %s:\n    soak: {duration: 30m, maxErrorRatio: 0.01, maxP99: 500ms, minRequests: 100}\n    env: {HTTP_PORT: \"%d\", METRICS_PORT: \"0\"}\n", e, 19100+i)
	}
	if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	st := boltstore.New(filepath.Join(dir, ".ferry", "state.db"))
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	err = st.Update(func(tx state.Tx) error {
		for _, e := range envs {
			for n := 1; n <= 200; n++ {
				r := &state.Revision{Env: e, Digest: fmt.Sprintf("sha256:%064x", n), BinaryDigest: fmt.Sprintf("sha256:%064x", n+1000),
					Tag: fmt.Sprintf("1.%d.0", n), By: "ci@build-7", At: at.Add(time.Duration(n) * time.Hour), Action: "promote",
					PromotedFrom: "staging", FromRevision: n, Outcome: state.Superseded, Since: at.Add(time.Duration(n)*time.Hour + 5*time.Second)}
				for k := range 30 {
					r.Config = append(r.Config, state.Entry{Key: fmt.Sprintf("KEY_%02d", k), Value: fmt.Sprintf("value-%d-%d", k, n), Source: "chart/values.yaml:12"})
				}
				r.Config = append(r.Config, state.Entry{Key: "LOG_LEVEL", Value: "INFO"}, state.Entry{Key: "DB_PASSWORD", Value: "hmac-sha256:ab12", Secret: true})
				for g := range 5 {
					r.Gates = append(r.Gates, state.Gate{Name: fmt.Sprintf("gate %d", g), Passed: true, Detail: "ok"})
				}
				if n == 200 {
					r.Outcome = state.Live
				}
				if _, err := tx.Add(r); err != nil {
					return err
				}
			}
			if err := tx.SetCurrent(e, 200); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return func() *promote.Config { return promote.New(p) }
}

// BenchmarkFirstPage is a page load with no board built yet: status of
// six environments, 200 revisions each read from the state, soak and log
// level per environment, then the template. The target is 100 ms.
func BenchmarkFirstPage(b *testing.B) {
	cfg := benchProject(b)
	srv, err := New(Options{Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	b.ResetTimer()
	for b.Loop() {
		srv.mu.Lock()
		srv.board = nil
		srv.mu.Unlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET / = %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkPage is a page load once the background refresh has built the
// board: what every load but the first costs.
func BenchmarkPage(b *testing.B) {
	cfg := benchProject(b)
	srv, err := New(Options{Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET / = %d", rec.Code)
		}
	}
	b.ReportMetric(float64(rec.Body.Len()), "bytes/page")
}
