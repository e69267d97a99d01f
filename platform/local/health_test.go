package local

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// livePID is the pid of the environment's only live instance.
func livePID(t *testing.T, l *Local, port int) (int, int) {
	t.Helper()
	live, err := l.Live(t.Context(), platform.Query{Env: "staging", Vars: map[string]string{"HTTP_PORT": strconv.Itoa(port)}})
	if err != nil {
		t.Fatalf("Live: %v", err)
	}
	if live.Health != platform.HealthUp {
		t.Fatalf("staging is %s (%s), want UP", live.Health, live.HealthDetail)
	}
	return live.Revision, platform.DetailPIDOf(live.Instances[0].Details)
}

// TestNewRevisionMustProveItself: a new revision that is not healthy
// itself fails its deploy however the port answers, and the revision it
// was to replace keeps serving — the same process, never stopped, so its
// soak goes on. Before, ferry stopped the old revision as soon as the new
// one listened and took the first healthy answer, even one the new
// process gave just before it crashed.
func TestNewRevisionMustProveItself(t *testing.T) {
	l, img := setup(t)
	l.Settle = time.Second
	port := freePort(t)
	if _, err := l.Deploy(t.Context(), spec(img, 1, port, platform.Var{Key: "NO_STEER", Value: "1"})); err != nil {
		t.Fatal(err)
	}
	_, pid := livePID(t, l, port)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/health"
	tests := []struct {
		name string
		vars []platform.Var
		want []string
	}{
		{"crashes 300ms after it starts", []platform.Var{{Key: "CRASH_AFTER", Value: "300ms"}},
			[]string{"exited within 1s of its first healthy answer at " + url, "panic: nil map write (CRASH_AFTER)"}},
		// Without steering the kernel hands each probe to either
		// revision: the old one's 200s must not count for the new one.
		{"never healthy while the old revision answers on the shared port", []platform.Var{{Key: "UNHEALTHY", Value: "1"}, {Key: "NO_STEER", Value: "1"}},
			[]string{"not healthy after 2s: GET " + url + ": 503 Service Unavailable"}},
		{"degraded", []platform.Var{{Key: "DEGRADED", Value: "redis"}},
			[]string{"not healthy after 2s: DEGRADED: redis DOWN (connection refused)"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Deploy(t.Context(), spec(img, 2+i, port, tt.vars...))
			var de *platform.DeployError
			if !errors.As(err, &de) {
				t.Fatalf("Deploy = %v, want a DeployError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Deploy error %q does not say %q", err, w)
				}
			}
			if !de.Restored || len(de.Restarted) != 0 {
				t.Errorf("Restored = %v, Restarted = %v; want the old revision serving, never restarted", de.Restored, de.Restarted)
			}
			rev, now := livePID(t, l, port)
			if rev != 1 || now != pid {
				t.Errorf("after the failed deploy staging runs revision %d pid %d, want revision 1's pid %d untouched", rev, now, pid)
			}
		})
	}
}

// TestPortFromConfiguration: the local target finds the service's port
// wherever the configuration or ferry.yaml says it, or learns it from
// what the new process listens on; the rollout names the real URL.
func TestPortFromConfiguration(t *testing.T) {
	l, img := setup(t)
	l.Settle = 100 * time.Millisecond
	for i, key := range []string{"PORT", "SERVER_PORT", "APP_PORT", "port:", "LISTEN"} {
		t.Run(key, func(t *testing.T) {
			port := freePort(t)
			s := spec(img, i+1, 0)
			s.Vars = []platform.Var{{Key: "SHUTDOWN_GRACE_PERIOD", Value: "1s"}}
			switch key {
			case "port:":
				s.Environment = &project.Environment{Name: "staging", Settings: &Settings{Port: port}}
				s.Vars = append(s.Vars, platform.Var{Key: "LISTEN", Value: strconv.Itoa(port)})
			default:
				s.Vars = append(s.Vars, platform.Var{Key: key, Value: strconv.Itoa(port)})
			}
			ro, err := l.Deploy(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			if want := "http://127.0.0.1:" + strconv.Itoa(port); ro.URL != want {
				t.Errorf("URL = %q, want %q", ro.URL, want)
			}
			h, detail := l.Health(t.Context(), platform.Query{Env: "staging", Environment: s.Environment, Vars: map[string]string{"SHUTDOWN_GRACE_PERIOD": "1s"}})
			if h != platform.HealthUp {
				t.Errorf("Health = %s %s, want UP", h, detail)
			}
		})
	}
}

// TestInterruptedDeploy: a deploy cancelled (Ctrl-C) while it waits for
// the new revision says so (context.Canceled, for exit 130), stops the
// new process and leaves the old one serving, untouched.
func TestInterruptedDeploy(t *testing.T) {
	l, img := setup(t)
	l.Settle = 100 * time.Millisecond
	port := freePort(t)
	if _, err := l.Deploy(t.Context(), spec(img, 1, port)); err != nil {
		t.Fatal(err)
	}
	_, pid := livePID(t, l, port)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	_, err := l.Deploy(ctx, spec(img, 2, port, platform.Var{Key: "HANG_HEALTH", Value: "1"}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Deploy = %v, want context.Canceled", err)
	}
	if rev, now := livePID(t, l, port); rev != 1 || now != pid {
		t.Errorf("after the interrupt staging runs revision %d pid %d, want revision 1's pid %d", rev, now, pid)
	}
	if revs, _ := l.Revisions(t.Context(), "staging"); len(revs) != 1 {
		t.Errorf("running revisions %v, want [1]", revs)
	}
}

// TestZombieLeaderIsAlive: a process whose main thread has exited while
// its other threads still serve (as a multi-threaded process is for a
// moment while it exits) holds its port: ferry must not take it for gone.
// Before, it did — so the next revision, started as soon as the old one
// "exited", now and then died with "bind: address already in use".
func TestZombieLeaderIsAlive(t *testing.T) {
	l, img := setup(t)
	l.Settle = 100 * time.Millisecond
	port := freePort(t)
	noShare := platform.Var{Key: "NO_REUSEPORT", Value: "1"}
	if _, err := l.Deploy(t.Context(), spec(img, 1, port, noShare, platform.Var{Key: "LEADER_EXIT", Value: "1"})); err != nil {
		t.Fatalf("deploy of a process whose leader thread exits: %v", err)
	}
	if rev, _ := livePID(t, l, port); rev != 1 {
		t.Errorf("staging runs revision %d, want 1", rev)
	}
	if _, err := l.Deploy(t.Context(), spec(img, 2, port, noShare)); err != nil {
		t.Fatalf("the next revision on its port: %v", err)
	}
	if rev, _ := livePID(t, l, port); rev != 2 {
		t.Errorf("staging runs revision %d, want 2", rev)
	}
}

// TestLiveJudgedAtItsDeployedURL: after ferry.yaml's health: is edited,
// the running revision is still judged at the URL it was deployed with
// and answered at; the edited URL is the next deploy's. Before, status
// called a serving revision DOWN because nothing listened at the new URL.
func TestLiveJudgedAtItsDeployedURL(t *testing.T) {
	l, img := setup(t)
	l.Settle = 100 * time.Millisecond
	port := freePort(t)
	s := spec(img, 1, port)
	if _, err := l.Deploy(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	edited := &project.Environment{Name: "staging", Health: "http://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/health"}
	live, err := l.Live(t.Context(), platform.Query{Env: "staging", Environment: edited, Vars: map[string]string{"HTTP_PORT": strconv.Itoa(port)}})
	if err != nil {
		t.Fatal(err)
	}
	if live.Health != platform.HealthUp || live.URL != "http://127.0.0.1:"+strconv.Itoa(port) {
		t.Errorf("Live = %s at %s (%s), want UP at the deployed port %d", live.Health, live.URL, live.HealthDetail, port)
	}
}
