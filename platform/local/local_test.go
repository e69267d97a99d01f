package local

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

func setup(t testing.TB) (*Local, *artifact.Image) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/svc")); err != nil {
		t.Fatal(err)
	}
	return build(t, dir)
}

// build builds the project in dir and returns a local target for it
// whose staging is stopped when the test ends.
func build(t testing.TB, dir string) (*Local, *artifact.Image) {
	t.Helper()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := artifact.NewStore(dir)
	img, err := artifact.Build(t.Context(), p, s, artifact.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := New(dir, s)
	t.Cleanup(func() { _ = l.Stop(context.Background(), "staging", 0) })
	return l, img
}

func spec(img *artifact.Image, rev, port int, extra ...platform.Var) platform.Spec {
	vars := append([]platform.Var{{Key: "HTTP_PORT", Value: strconv.Itoa(port)}, {Key: "METRICS_PORT", Value: "0"}, {Key: "SHUTDOWN_GRACE_PERIOD", Value: "1s"}}, extra...)
	return platform.Spec{Env: "staging", Revision: rev, Digest: img.Digest, Vars: vars, HealthTimeout: 2 * time.Second}
}

func TestDeployFaults(t *testing.T) {
	l, img := setup(t)
	ctx := t.Context()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()

	tests := []struct {
		name string
		spec platform.Spec
		want string
	}{
		{"port taken by another process", spec(img, 1, busyPort), "port " + strconv.Itoa(busyPort) + " is already in use by pid " + strconv.Itoa(os.Getpid())},
		{"crash at start", spec(img, 2, port, platform.Var{Key: "CRASH", Value: "1"}), "crash requested by CRASH=1"},
		{"health hangs", spec(img, 3, port, platform.Var{Key: "HANG_HEALTH", Value: "1"}), "not healthy after 2s: GET http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/health: timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := l.Deploy(ctx, tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Deploy = %v, want an error containing %q", err, tt.want)
			}
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("Deploy took %s: a timeout is missing", d)
			}
			// Nothing half-done is left running.
			if revs, _ := l.Revisions(ctx, "staging"); len(revs) != 0 {
				t.Errorf("revisions still running after a failed deploy: %v", revs)
			}
		})
	}
}

func TestDeployReplacesPrevious(t *testing.T) {
	l, img := setup(t)
	ctx := t.Context()
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	p1, err := l.Deploy(ctx, spec(img, 1, port))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := l.Deploy(ctx, spec(img, 2, port, platform.Var{Key: "X", Value: "y"}))
	if err != nil {
		t.Fatal(err)
	}
	if alive1, alive2 := aliveInst(p1.Instances[0]), aliveInst(p2.Instances[0]); alive1 || !alive2 {
		t.Errorf("after a second deploy: r1 alive=%v r2 alive=%v, want only r2", alive1, alive2)
	}
	live, err := l.Live(ctx, platform.Query{Env: "staging", Vars: map[string]string{"HTTP_PORT": strconv.Itoa(port)}})
	if err != nil || live.Revision != 2 || live.Instances[0].Env["X"] != "y" || live.Instances[0].Details[platform.DetailExecutable] != img.BinaryDigest ||
		live.Digest != img.Digest || live.Health != platform.HealthUp {
		t.Fatalf("Live = %+v, %v, want revision 2 with X=y, healthy", live, err)
	}
	if err := l.Stop(ctx, "staging", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Live(ctx, platform.Query{Env: "staging"}); !errors.Is(err, platform.ErrNotRunning) {
		t.Errorf("Live after Stop = %v, want ErrNotRunning", err)
	}
}

// TestSameDigestOwnWorkDir deploys one digest to two environments whose
// service writes a file by a relative path (as DB_NAME=orders does for
// SQLite): each environment must get its own file, and still find the
// image's configs/ from its working directory.
func TestSameDigestOwnWorkDir(t *testing.T) {
	l, img := setup(t)
	ctx := t.Context()
	t.Cleanup(func() { _ = l.Stop(context.Background(), "prod", 0) })
	for _, env := range []string{"staging", "prod"} {
		free, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := free.Addr().(*net.TCPAddr).Port
		free.Close()
		s := spec(img, 1, port, platform.Var{Key: "WRITE_FILE", Value: "data.txt"}, platform.Var{Key: "MARK", Value: env})
		s.Env = env
		if _, err := l.Deploy(ctx, s); err != nil {
			t.Fatalf("Deploy(%s): %v", env, err)
		}
	}
	for _, env := range []string{"staging", "prod"} {
		got, err := os.ReadFile(filepath.Join(runDir(l), env, "work", "data.txt"))
		if err != nil || string(got) != env {
			t.Errorf("%s's data.txt = %q, %v; want its own file saying %q", env, got, err, env)
		}
	}
	if _, err := os.Stat(filepath.Join(runDir(l), "roots")); err != nil {
		t.Fatal(err)
	}
	shared, _ := filepath.Glob(filepath.Join(runDir(l), "roots", "*", "app", "data.txt"))
	if len(shared) != 0 {
		t.Errorf("a service wrote into the shared image root: %v", shared)
	}
}

// TestPruneRoots: a deploy removes unpacked roots that nothing runs from
// and nobody used for an hour, and keeps the one it runs.
func TestPruneRoots(t *testing.T) {
	l, img := setup(t)
	stale := filepath.Join(runDir(l), "roots", "0123456789abcdef")
	recent := filepath.Join(runDir(l), "roots", "fedcba9876543210")
	for _, d := range []string{stale, recent} {
		if err := os.MkdirAll(filepath.Join(d, "app"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	ro, err := l.Deploy(t.Context(), spec(img, 1, port))
	if err != nil {
		t.Fatal(err)
	}
	var proc record
	if err := json.Unmarshal(ro.Instances[0].Private, &proc); err != nil {
		t.Fatal(err)
	}
	// The running root is old by its mtime too: only use protects it.
	if err := os.Chtimes(proc.Root, old, old); err != nil {
		t.Fatal(err)
	}
	if err := l.PruneRoots(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{stale: false, recent: true, proc.Root: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", path, err == nil, want)
		}
	}
}

// aliveInst says whether the process of a deployed instance still runs.
func aliveInst(in platform.Instance) bool {
	var p record
	if err := json.Unmarshal(in.Private, &p); err != nil {
		return false
	}
	return alive(p.PID, p.StartTick)
}

func runDir(l *Local) string { return filepath.Join(l.ProjectDir, ".ferry", "run") }
