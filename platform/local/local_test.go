package local

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/platform"
)

func setup(t *testing.T) (*Local, *artifact.Image) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/svc")); err != nil {
		t.Fatal(err)
	}
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

func spec(img *artifact.Image, rev, port int, extra ...target.Var) target.Spec {
	vars := append([]target.Var{{Key: "HTTP_PORT", Value: strconv.Itoa(port)}, {Key: "METRICS_PORT", Value: "0"}, {Key: "SHUTDOWN_GRACE_PERIOD", Value: "1s"}}, extra...)
	return target.Spec{Env: "staging", Revision: rev, Digest: img.Digest, Vars: vars, HealthTimeout: 2 * time.Second}
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
		spec target.Spec
		want string
	}{
		{"port taken by another process", spec(img, 1, busyPort), "port " + strconv.Itoa(busyPort) + " is already in use by pid " + strconv.Itoa(os.Getpid())},
		{"crash at start", spec(img, 2, port, target.Var{Key: "CRASH", Value: "1"}), "crash requested by CRASH=1"},
		{"health hangs", spec(img, 3, port, target.Var{Key: "HANG_HEALTH", Value: "1"}), "not healthy after 2s: GET http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/health: timed out"},
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
	p2, err := l.Deploy(ctx, spec(img, 2, port, target.Var{Key: "X", Value: "y"}))
	if err != nil {
		t.Fatal(err)
	}
	if alive(p1.PID, p1.StartTick) || !alive(p2.PID, p2.StartTick) {
		t.Errorf("after a second deploy: r1 alive=%v r2 alive=%v, want only r2", alive(p1.PID, p1.StartTick), alive(p2.PID, p2.StartTick))
	}
	live, err := l.Live(ctx, target.Query{Env: "staging", Port: port})
	if err != nil || live.Revision != 2 || live.Env["X"] != "y" || live.BinaryDigest != img.BinaryDigest || live.Health != target.HealthUp {
		t.Fatalf("Live = %+v, %v, want revision 2 with X=y, healthy", live, err)
	}
	if err := l.Stop(ctx, "staging", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Live(ctx, target.Query{Env: "staging"}); !errors.Is(err, target.ErrNotRunning) {
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
		s := spec(img, 1, port, target.Var{Key: "WRITE_FILE", Value: "data.txt"}, target.Var{Key: "MARK", Value: env})
		s.Env = env
		if _, err := l.Deploy(ctx, s); err != nil {
			t.Fatalf("Deploy(%s): %v", env, err)
		}
	}
	for _, env := range []string{"staging", "prod"} {
		got, err := os.ReadFile(filepath.Join(l.RunDir, env, "work", "data.txt"))
		if err != nil || string(got) != env {
			t.Errorf("%s's data.txt = %q, %v; want its own file saying %q", env, got, err, env)
		}
	}
	if _, err := os.Stat(filepath.Join(l.RunDir, "roots")); err != nil {
		t.Fatal(err)
	}
	shared, _ := filepath.Glob(filepath.Join(l.RunDir, "roots", "*", "app", "data.txt"))
	if len(shared) != 0 {
		t.Errorf("a service wrote into the shared image root: %v", shared)
	}
}

// TestPruneRoots: a deploy removes unpacked roots that nothing runs from
// and nobody used for an hour, and keeps the one it runs.
func TestPruneRoots(t *testing.T) {
	l, img := setup(t)
	stale := filepath.Join(l.RunDir, "roots", "0123456789abcdef")
	recent := filepath.Join(l.RunDir, "roots", "fedcba9876543210")
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
	proc, err := l.Deploy(t.Context(), spec(img, 1, port))
	if err != nil {
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
