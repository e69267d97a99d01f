package kit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// leanTags leave every datasource client out of a service.
const leanTags = "kit_nopostgres,kit_nosqlite,kit_noredis"

// TestLeanBuild builds a service with leanTags: it serves as any other,
// and refuses at start, in one line naming the tag, a datasource its
// configuration asks for but the binary left out.
func TestLeanBuild(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("builds a service binary")
	}
	bin := filepath.Join(t.TempDir(), "leanservice")
	build := exec.Command("go", "build", "-tags", leanTags, "-o", bin, "./testdata/leanservice")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s: %v\n%s", leanTags, err, out)
	}
	deps, err := exec.Command("go", "list", "-tags", leanTags, "-deps", "./testdata/leanservice").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range []string{"modernc.org/sqlite", "github.com/jackc/pgx/v5/stdlib"} {
		if strings.Contains(string(deps), p+"\n") {
			t.Errorf("a lean build links %s", p)
		}
	}

	tests := []struct {
		name    string
		env     string
		wantErr string // the one line on stderr; "" means it serves
	}{
		{"no datasource serves", "APP_NAME=lean\n", ""},
		{"sqlite refused", "DB_DIALECT=sqlite\nDB_NAME=orders\n", "DB_DIALECT=sqlite: this service was built with -tags kit_nosqlite, which leaves the sqlite driver out; build it without that tag"},
		{"postgres refused", "DB_DIALECT=postgres\nDB_HOST=db\nDB_NAME=orders\n", "DB_DIALECT=postgres: this service was built with -tags kit_nopostgres, which leaves the pgx driver out; build it without that tag"},
		{"redis refused", "REDIS_HOST=cache\n", "REDIS_HOST is set, but this service was built with -tags kit_noredis, which leaves the Redis client out; build it without that tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := testdep.FreePort(t)
			cmd, stderr := startService(t, exec.Command(bin), tt.env+fmt.Sprintf("HTTP_PORT=%d\nMETRICS_PORT=0\n", port))
			if tt.wantErr != "" {
				err := cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 1 {
					t.Fatalf("exit = %v, want exit status 1", err)
				}
				if got := strings.TrimSpace(stderr.String()); !strings.Contains(got, tt.wantErr) || strings.Count(got, "\n") != 0 {
					t.Errorf("stderr = %q, want one line with %q", got, tt.wantErr)
				}
				return
			}
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			waitHealthy(t, base)
			resp, err := http.Get(base + "/hello")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != `{"data":"hello"}`+"\n" {
				t.Errorf("GET /hello = %d %q", resp.StatusCode, body)
			}
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after SIGINT: %v\n%s", err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Error("still running 10s after SIGINT")
			}
		})
	}
}
