// Package promotebench measures ferry's own cost around a promotion, on
// the real example service: everything but the soak wait and the
// service's own start and stop.
//
//	go test -run '^$' -bench . -benchtime 10x ./bench/promote
package promotebench

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/local"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
)

// timed records the service's own time in each deploy.
type timed struct {
	platform.Target
	own time.Duration
}

func (t *timed) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	p, err := t.Target.Deploy(ctx, s)
	if p != nil {
		t.own += p.Startup + p.StopWait
	}
	return p, err
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// exampleCopy copies examples/orders-api next to links to kit and envfile
// (its go.mod replaces them by relative path), with free ports.
func exampleCopy(b *testing.B) *project.Project {
	root := b.TempDir()
	repo, _ := filepath.Abs("../..")
	for _, m := range []string{"kit", "envfile"} {
		if err := os.Symlink(filepath.Join(repo, m), filepath.Join(root, m)); err != nil {
			b.Fatal(err)
		}
	}
	dir := filepath.Join(root, "examples", "orders-api")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repo, "examples", "orders-api"))); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, ".ferry"))
	// The example requires kit and envfile at their release versions;
	// a workspace beside the copy builds it against the working trees,
	// as the repository's go.work does.
	work := "go 1.26.0\n\nuse (\n\t./envfile\n\t./examples/orders-api\n\t./kit\n)\n\nreplace (\n" +
		"\tgithub.com/ferrydev/ferry/envfile v0.1.0 => ./envfile\n\tgithub.com/ferrydev/ferry/kit v0.1.0 => ./kit\n)\n"
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte(work), 0o644); err != nil {
		b.Fatal(err)
	}
	secrets := filepath.Join(root, "secrets.env")
	os.WriteFile(secrets, []byte("DB_PASSWORD=bench\n"), 0o600)
	data, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	y := string(data)
	for old, nw := range map[string]string{
		`"18080"`: fmt.Sprintf(`"%d"`, freePort(b)), `"18081"`: fmt.Sprintf(`"%d"`, freePort(b)),
		`"18090"`: fmt.Sprintf(`"%d"`, freePort(b)), `"18091"`: fmt.Sprintf(`"%d"`, freePort(b)),
		"~/.config/ferry/orders-api/staging.env": secrets, "~/.config/ferry/orders-api/prod.env": secrets,
	} {
		y = strings.ReplaceAll(y, old, nw)
	}
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(y), 0o644)
	p, err := project.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkPromoteOverhead promotes staging → prod on the example,
// replacing prod's running revision each time, and reports the wall time
// minus the service's own start (exec to first healthy answer) and the
// old revision's graceful exit.
func BenchmarkPromoteOverhead(b *testing.B) {
	p := exampleCopy(b)
	ctx := context.Background()
	c := promote.New(p)
	if _, err := artifact.Build(ctx, p, c.Images, artifact.BuildOptions{}); err != nil {
		b.Fatal(err)
	}
	base := c.Target
	tt := &timed{}
	c.Target = func(e *project.Environment) (platform.Target, error) {
		t, err := base(e)
		tt.Target = t
		return tt, err
	}
	defer func() {
		for _, e := range p.Environments {
			_ = promote.NewDown(c).Run(ctx, e.Name)
		}
	}()
	if _, err := promote.NewDeploy(c).Run(ctx, "staging"); err != nil {
		b.Fatal(err)
	}
	// Staging's soak has elapsed: the clock runs an hour ahead of its
	// deploy.
	c.Now = func() time.Time { return time.Now().Add(time.Hour) }
	if _, err := promote.NewPromote(c).Run(ctx, "staging", "prod"); err != nil {
		b.Fatal(err)
	}
	var overheads []time.Duration
	for b.Loop() {
		tt.own = 0
		start := time.Now()
		if _, err := promote.NewPromote(c).Run(ctx, "staging", "prod"); err != nil {
			b.Fatal(err)
		}
		overheads = append(overheads, time.Since(start)-tt.own)
	}
	sort.Slice(overheads, func(i, j int) bool { return overheads[i] < overheads[j] })
	b.ReportMetric(float64(overheads[len(overheads)/2].Microseconds())/1000, "overhead-median-ms")
	b.ReportMetric(float64(overheads[len(overheads)-1].Microseconds())/1000, "overhead-max-ms")
}

// BenchmarkStatus3 is `ferry status` of three running environments,
// in-process.
func BenchmarkStatus3(b *testing.B) {
	p := exampleCopy(b)
	ctx := context.Background()
	c := promote.New(p)
	if _, err := artifact.Build(ctx, p, c.Images, artifact.BuildOptions{}); err != nil {
		b.Fatal(err)
	}
	// A third environment on its own ports.
	qa := *p.Environments[0]
	qa.Name = "qa"
	own := *local.Of(p.Environments[0])
	own.Env = maps.Clone(own.Env)
	own.Env["HTTP_PORT"], own.Env["METRICS_PORT"] = fmt.Sprint(freePort(b)), fmt.Sprint(freePort(b))
	qa.Settings = &own
	p.Environments = append(p.Environments, &qa)
	defer func() {
		for _, e := range p.Environments {
			_ = promote.NewDown(c).Run(ctx, e.Name)
		}
	}()
	for _, e := range p.Environments {
		if _, err := promote.NewDeploy(c).Run(ctx, e.Name); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		st, err := promote.NewStatus(c).Run(ctx)
		if err != nil || len(st.Environments) != 3 || st.Environments[2].Health != platform.HealthUp {
			b.Fatalf("status = %+v, %v", st, err)
		}
	}
}
