package serve

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	_ "github.com/ferrydev/ferry/platform/local" // the local target
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
)

// pipeline is a running local pipeline of the stand-in service, with a
// ferry serve over it on a free loopback port.
type pipeline struct {
	dir   string
	srv   *Server
	url   string
	token string
	cfg   func() *promote.Config
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newPipeline copies the stand-in service with envs environments on
// free ports, builds it once and deploys the first environment.
func newPipeline(t *testing.T, envs []string, soak string) *pipeline {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	yaml := "service: svc\npath: ["
	for i, e := range envs {
		if i > 0 {
			yaml += ", "
		}
		yaml += e
	}
	yaml += "]\nenvironments:\n"
	for _, e := range envs {
		yaml += fmt.Sprintf("  %s:\n    soak: %s\n    env: {HTTP_PORT: \"%d\", METRICS_PORT: \"0\"}\n", e, soak, freePort(t))
	}
	pl := build(t, dir, yaml, envs)
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), envs[0]); err != nil {
		t.Fatal(err)
	}
	return pl
}

// build writes ferry.yaml into the project at dir, builds it once as tag
// 1.0.0, and stops envs when the test ends.
func build(t *testing.T, dir, yaml string, envs []string) *pipeline {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := func() *promote.Config {
		c := promote.New(p)
		c.User = "test"
		return c
	}
	if _, err := artifact.Build(t.Context(), p, artifact.NewStore(dir), artifact.BuildOptions{Tag: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, e := range envs {
			_ = promote.NewDown(cfg()).Run(context.Background(), e)
		}
	})
	return &pipeline{dir: dir, cfg: cfg}
}

// serve starts ferry serve over the pipeline until the test ends.
func (pl *pipeline) serve(t *testing.T, opts Options) {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	opts.Config = pl.cfg
	if opts.Interval == 0 {
		opts.Interval = 200 * time.Millisecond
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(a string) { ready <- a }) }()
	select {
	case a := <-ready:
		pl.url = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	pl.srv, pl.token = srv, srv.Token()
}
