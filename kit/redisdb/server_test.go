package redisdb

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ferrydev/ferry/kit/health"
	"github.com/ferrydev/ferry/kit/internal/testdep"
)

// redisServer runs a real redis-server on a loopback port with a password
// and no persistence, until stop or the end of the test.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

const testPassword = "s3cret-redis-pass"

func startRedis(t *testing.T, port int) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	testdep.Require(t, "redis-server (.ci/run installs it)", err)
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--requirepass", testPassword, "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	s := &redisServer{t: t, port: port, cmd: cmd}
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) stop() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// waitStatus polls c's health until it reports want.
func waitStatus(t *testing.T, c *Client, want string) health.Status {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		st := c.Check(ctx)
		cancel()
		if st.Status == want || time.Now().After(deadline) {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCheckRealServer: UP against a real Redis (stats, the command
// histogram, REDIS_DB honoured), DOWN once the server is stopped, UP again
// when it is back, without reopening the client. No credentials in any
// report.
func TestCheckRealServer(t *testing.T) {
	port := testdep.FreePort(t)
	srv := startRedis(t, port)
	reg := prometheus.NewRegistry()
	c, err := Open(Config{Host: "127.0.0.1", Port: port, Password: testPassword, DB: 3}, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	st := waitStatus(t, c, health.Up)
	stats, _ := st.Details["stats"].(map[string]string)
	if st.Status != health.Up || stats["total_connections_received"] == "" {
		t.Fatalf("Check() = %+v, want UP with INFO stats", st)
	}
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got := c.Do(t.Context(), "CLIENT", "INFO").String(); !strings.Contains(got, "db=3") {
		t.Errorf("client is not on REDIS_DB 3: %s", got)
	}
	if n := testutil.CollectAndCount(reg, "app_redis_stats"); n == 0 {
		t.Error("no app_redis_stats series after commands")
	}

	srv.stop()
	if st := waitStatus(t, c, health.Down); st.Status != health.Down || st.Details["error"] == nil {
		t.Fatalf("after the server stopped: Check() = %+v, want DOWN with an error", st)
	}

	startRedis(t, port)
	if st := waitStatus(t, c, health.Up); st.Status != health.Up {
		t.Fatalf("after the server came back: Check() = %+v, want UP", st)
	}
	if st := c.Check(t.Context()); strings.Contains(fmt.Sprint(st), testPassword) {
		t.Errorf("health details leak the password: %v", st)
	}
}
