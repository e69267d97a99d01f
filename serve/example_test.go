package serve

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/soak"
)

// examplePipeline copies the bundled example (a kit service: real
// app_http_response metrics, real REMOTE_LOG_URL polling) into a temp
// dir with staging and prod on free loopback ports, SQLite, the debug
// routes and a 1s REQUEST_TIMEOUT (so that GET /debug/sleep?d=2s is a
// 503), REMOTE_LOG_URL pointing at a ferry serve on serveAddr, and
// staging soaked from its metrics. It builds the example once.
func examplePipeline(t *testing.T, serveAddr string) (*pipeline, map[string]string) {
	t.Helper()
	src, err := filepath.Abs("../examples/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = os.CopyFS(dir, os.DirFS(src))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(dir, ".ferry"))
	// Outside the repository's go.work, the copy builds against the
	// working tree's kit and envfile through replace directives.
	gomod := filepath.Join(dir, "go.mod")
	data, _ := os.ReadFile(gomod)
	root := filepath.Join(src, "../..")
	data = fmt.Appendf(data, "\nreplace (\n\tgithub.com/ferrydev/ferry/envfile => %s\n\tgithub.com/ferrydev/ferry/kit => %s\n)\n",
		filepath.Join(root, "envfile"), filepath.Join(root, "kit"))
	if err := os.WriteFile(gomod, data, 0o644); err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	yaml := "service: orders-api\nmain: .\nchart: chart\nimage: orders-api\npath: [staging, prod]\nenvironments:\n"
	for _, env := range []string{"staging", "prod"} {
		secrets := filepath.Join(t.TempDir(), env+".env")
		if err := os.WriteFile(secrets, []byte("DB_PASSWORD=local-test-"+env+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		port := freePort(t)
		urls[env] = fmt.Sprintf("http://127.0.0.1:%d", port)
		soak := "1h"
		if env == "staging" {
			soak = "{duration: 2s, maxErrorRatio: 0.01, minRequests: 100, interval: 300ms}"
		}
		yaml += fmt.Sprintf(`  %s:
    soak: %s
    secretsFile: %s
    env:
      HTTP_PORT: "%d"
      METRICS_PORT: "%d"
      DB_DIALECT: sqlite
      DB_HOST: ""
      DB_PORT: ""
      DB_NAME: ${FERRY_DATA}/orders
      TRACE_EXPORTER: ""
      TRACER_URL: ""
      ORDERS_DEBUG_ROUTES: "true"
      REQUEST_TIMEOUT: "1"
      REMOTE_LOG_URL: http://%s/api/loglevel/%s
      REMOTE_LOG_FETCH_INTERVAL: "1"
`, env, soak, secrets, port, freePort(t), serveAddr, env)
	}
	return build(t, dir, yaml, []string{"staging", "prod"}), urls
}

// load sends n requests to base, fail of them to the 2s debug route that
// REQUEST_TIMEOUT=1 answers 503; concurrently, 8 at a time.
func load(t *testing.T, base string, n, fail int) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var mu sync.Mutex
	codes := map[int]int{}
	every := 0
	if fail > 0 {
		every = n / fail
	}
	for i := range n {
		path := "/orders"
		if every > 0 && i%every == 0 {
			path = "/debug/sleep?d=2s"
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			resp, err := http.Get(base + path)
			if err != nil {
				mu.Lock()
				codes[0]++
				mu.Unlock()
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[503] != fail || codes[200] != n-fail {
		t.Fatalf("load answered %v, want %d × 200 and %d × 503", codes, n-fail, fail)
	}
}

// frozen is a clock that moves only when told, so that a soak's window
// and the samples bounding it are the same however long the deploy and
// the load take on a loaded machine.
type frozen struct {
	mu sync.Mutex
	t  time.Time
}

func (f *frozen) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *frozen) Set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}
func (f *frozen) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// soakGate is the detail of the promotion's gate "soak <figure>".
func soakGate(t *testing.T, plan *promote.Plan, figure string) string {
	t.Helper()
	for _, g := range plan.Gates {
		if g.Name == "soak "+figure {
			return g.Detail
		}
	}
	t.Fatalf("no gate %q in %+v", "soak "+figure, plan.Gates)
	return ""
}

// TestExampleSoak is the soak: the example's staging under a real
// load with 0% 5xx promotes; at 5% 5xx the promotion is refused naming
// the error ratio; with too few requests the soak is unknown. Time is a
// frozen clock and the samples are taken at set points around the load
// (no ferry serve sampling beside it), so the counts are exact.
func TestExampleSoak(t *testing.T) {
	pl, urls := examplePipeline(t, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	// In the past, so that the revisions of the real-time test after
	// these come later.
	clk := &frozen{}
	start := time.Now().Add(-time.Hour).Truncate(time.Minute)
	cfg := func() *promote.Config { c := pl.cfg(); c.Now = clk.Now; return c }
	clock := func(t time.Time) string { return t.UTC().Format(time.TimeOnly) }

	tests := []struct {
		name          string
		requests      int
		fail          int
		passed        bool
		want          string // in the promotion's error
		state         soak.State
		ratio, reason string
	}{
		{"0% 5xx promotes", 400, 0, true, "", soak.Passed, "0%", "every figure within its limit"},
		{"5% 5xx is refused naming the error ratio", 400, 20, false, "soak error ratio: 5% (limit ≤ 1%) over", soak.Failed, "5%", "error ratio 5%, limit ≤ 1%"},
		{"too few requests is unknown", 20, 0, false, "soak verdict: unknown: too few requests to judge: 20, need 100", soak.Unknown, "0%", "too few requests to judge: 20, need 100"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := start.Add(time.Duration(i) * time.Minute)
			clk.Set(t0)
			// A fresh revision of staging each time: a new process, new
			// counts. Its baseline is taken at t0.
			rev, err := promote.NewDeploy(cfg()).Run(t.Context(), "staging")
			if err != nil {
				t.Fatal(err)
			}
			if !rev.Since.Equal(t0) {
				t.Fatalf("live since %s, want %s", rev.Since, t0)
			}
			// A sample at t0+1s, before the load: the last before the
			// window that the promotion at t0+3.5s judges (t0+1.5s–t0+3.5s).
			clk.Advance(time.Second)
			sk := promote.NewSoak(cfg())
			v, err := sk.Run(t.Context(), "staging", true)
			if err != nil || v.State != soak.Soaking || v.Requests != 0 || v.BaseKind != soak.BaseLive {
				t.Fatalf("soak before the load = %+v, %v; want soaking, 0 requests from the baseline", v, err)
			}
			load(t, urls["staging"], tt.requests, tt.fail)
			clk.Advance(2500 * time.Millisecond)
			pr := promote.NewPromote(cfg())
			pr.DryRun = !tt.passed
			plan, err := pr.Run(t.Context(), "staging", "prod")
			if tt.passed != (err == nil) || (err != nil && !errors.Is(err, promote.ErrGate)) {
				t.Fatalf("promote = %v, want passed %v or a gate error", err, tt.passed)
			}
			if err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("promote = %v, want it to say %q", err, tt.want)
			}
			bounds := fmt.Sprintf("over %s–%s (2s), counted from the sample at %s to the sample at %s",
				clock(t0.Add(1500*time.Millisecond)), clock(t0.Add(3500*time.Millisecond)), clock(t0.Add(time.Second)), clock(t0.Add(3500*time.Millisecond)))
			if plan != nil {
				want := fmt.Sprintf("%d (limit ≥ 100) %s", tt.requests, bounds)
				if got := soakGate(t, plan, "requests"); !strings.HasPrefix(got, want) {
					t.Errorf("soak requests gate = %q, want %q", got, want)
				}
			}
			// The verdict of the samples stored, as ferry serve and
			// ferry soak show it: exact counts.
			v, err = promote.NewSoak(cfg()).Run(t.Context(), "staging", false)
			if err != nil {
				t.Fatal(err)
			}
			if v.State != tt.state || v.Requests != float64(tt.requests) || v.Errors != float64(tt.fail) ||
				v.ErrorRatio != float64(tt.fail)/float64(tt.requests) || v.Restarts != 0 || v.Scrapes != 2 {
				t.Errorf("verdict = %s, %v requests, %v errors (%v), %d restarts, %d scrapes; want %s, %d, %d (%s), 0, 2",
					v.State, v.Requests, v.Errors, v.ErrorRatio, v.Restarts, v.Scrapes, tt.state, tt.requests, tt.fail, tt.ratio)
			}
			if got := v.Summary(); !strings.Contains(got, tt.reason+" "+bounds) {
				t.Errorf("verdict = %q, want %q", got, tt.reason+" "+bounds)
			}
		})
	}

	// The CLI-only flow on the real clock: deploy, load, wait past the
	// soak, promote — no ferry serve or soak --watch sampling between.
	// The deploy's baseline is what the promotion counts from.
	t.Run("deploy, load, wait, promote with no sampler", func(t *testing.T) {
		if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "staging"); err != nil {
			t.Fatal(err)
		}
		load(t, urls["staging"], 400, 0)
		time.Sleep(2500 * time.Millisecond) // past the soak's 2s
		plan, err := promote.NewPromote(pl.cfg()).Run(t.Context(), "staging", "prod")
		if err != nil {
			t.Fatalf("promote: %v", err)
		}
		if got := soakGate(t, plan, "requests"); !strings.HasPrefix(got, "400 (limit ≥ 100) over ") || !strings.Contains(got, "counted from the baseline taken live at") {
			t.Errorf("soak requests gate = %q, want 400 counted from the baseline", got)
		}
		if got := soakGate(t, plan, "error ratio"); !strings.HasPrefix(got, "0% (limit ≤ 1%)") {
			t.Errorf("soak error ratio gate = %q, want 0%%", got)
		}
	})
}

// TestExampleRemoteLogLevel: the running example polls ferry serve every
// second; a level set for 3s reaches it within one poll interval and is
// reverted when the 3s are over.
func TestExampleRemoteLogLevel(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pl, _ := examplePipeline(t, addr)
	pl.serve(t, Options{Addr: addr})
	rev, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(pl.dir, ".ferry", "run", "staging", fmt.Sprintf("r%d", rev.Number), "log")
	waitLog := func(what string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < within {
			data, err := os.ReadFile(logFile)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if strings.Contains(string(data), what) {
				return time.Since(start)
			}
			time.Sleep(50 * time.Millisecond)
		}
		data, _ := os.ReadFile(logFile)
		t.Fatalf("%q not in the service's log within %s:\n%s", what, within, data)
		return 0
	}
	waitLog("Remote logger monitoring initialized", 5*time.Second)

	if _, err := promote.SetLogLevel(pl.cfg(), "staging", "TRACE", 0); err == nil {
		t.Error("SetLogLevel(TRACE) passed; want an unknown level refused")
	}
	set := time.Now()
	if _, err := promote.SetLogLevel(pl.cfg(), "staging", "WARN", 3*time.Second); err != nil {
		t.Fatal(err)
	}
	// One poll interval is 1s; allow the poll's own round trip.
	took := waitLog("LOG_LEVEL updated from DEBUG to WARN", 1500*time.Millisecond)
	t.Logf("applied %s after it was set", took.Round(time.Millisecond))
	waitLog("LOG_LEVEL updated from WARN to DEBUG", 5*time.Second)
	if back := time.Since(set); back < 3*time.Second || back > 4500*time.Millisecond {
		t.Errorf("reverted %s after it was set, want between 3s and 3s + one poll", back)
	}
	hist, _ := promote.LogLevels(pl.cfg(), "staging")
	if len(hist) != 1 || hist[0].By != "test" || hist[0].Level != "WARN" {
		t.Errorf("log-level history = %+v, want the one WARN setting by test", hist)
	}
}
