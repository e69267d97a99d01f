package kit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// TestMain doubles as a tiny service binary: with KIT_TEST_HELPER=serve the
// test executable runs kit.Main with a route that takes two seconds, so the
// shutdown tests signal a real process without a slow route in kit itself.
func TestMain(m *testing.M) {
	if os.Getenv("KIT_TEST_HELPER") == "serve" {
		os.Exit(Main(Options{}, func(app *App) error {
			app.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(2 * time.Second)
				WriteJSON(w, http.StatusOK, "done")
			})
			app.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(20 * time.Millisecond)
				WriteJSON(w, http.StatusOK, "ok")
			})
			return nil
		}))
	}
	os.Exit(m.Run())
}

// helper starts the test binary as a service in a directory holding
// configs/.env = env.
func helper(t *testing.T, env string, environ ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	return startService(t, exec.Command(os.Args[0], "-test.run=^$"), env, append([]string{"KIT_TEST_HELPER=serve"}, environ...)...)
}

// startService starts cmd in a new directory holding configs/.env = env,
// with environ added to the process environment; its stderr is returned.
func startService(t *testing.T, cmd *exec.Cmd, env string, environ ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "configs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "configs", ".env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), environ...)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, &stderr
}

func waitHealthy(t *testing.T, base string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		resp, err := http.Get(base + "/.well-known/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", base)
	return 0
}

// TestSIGTERMDrainsInFlight sends SIGTERM to a real process while a
// two-second request is in flight: the request completes with 200 whatever
// METRICS_PORT is (GoFr drops it when METRICS_PORT=0), and the process
// exits 0 well before the grace period.
func TestSIGTERMDrainsInFlight(t *testing.T) {
	for _, metrics := range []string{"free", "0"} {
		t.Run("METRICS_PORT="+metrics, func(t *testing.T) {
			httpPort := testdep.FreePort(t)
			mp := metrics
			if metrics == "free" {
				mp = fmt.Sprint(testdep.FreePort(t))
			}
			cmd, stderr := helper(t, "APP_NAME=helper\nSHUTDOWN_GRACE_PERIOD=20s\n",
				fmt.Sprintf("HTTP_PORT=%d", httpPort), "METRICS_PORT="+mp)
			base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
			waitHealthy(t, base)
			if metrics != "0" {
				resp, err := http.Get("http://127.0.0.1:" + mp + "/metrics")
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("metrics server: %v", err)
				}
				resp.Body.Close()
			}

			type result struct {
				code int
				body string
				err  error
			}
			res := make(chan result, 1)
			go func() {
				resp, err := http.Get(base + "/slow")
				if err != nil {
					res <- result{err: err}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				res <- result{code: resp.StatusCode, body: string(b)}
			}()
			time.Sleep(300 * time.Millisecond) // the request is now in the handler
			signalled := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}

			r := <-res
			if r.err != nil || r.code != 200 || !strings.Contains(r.body, `"done"`) {
				t.Fatalf("in-flight request = %d %q %v, want 200 done\nstderr: %s", r.code, r.body, r.err, stderr)
			}
			waitErr := make(chan error, 1)
			go func() { waitErr <- cmd.Wait() }()
			select {
			case err := <-waitErr:
				if err != nil {
					t.Fatalf("exit: %v\nstderr: %s", err, stderr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("process still running 10s after the request completed")
			}
			if took := time.Since(signalled); took > 5*time.Second {
				t.Errorf("exit took %s after SIGTERM, want well under the 20s grace period", took)
			}
		})
	}
}

func TestInvalidConfigExits1(t *testing.T) {
	cmd, stderr := helper(t, "APP_NAME=helper\nHTTP_PORT=80x\n")
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit = %v, want exit status 1", err)
	}
	want := `invalid configuration: configs/.env:2: HTTP_PORT="80x" is not an integer` + "\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want the one line %q", stderr, want)
	}
}
