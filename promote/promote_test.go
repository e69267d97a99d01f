package promote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/local"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// template is a project dir with two builds of the stand-in service,
// made once: tests copy it.
var (
	template         string
	digestA, digestB string
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("FERRY_PROMOTE_HELPER"); dir != "" {
		os.Exit(helper(dir, os.Getenv("FERRY_HELPER_OP"), os.Getenv("FERRY_KILL_AT")))
	}
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(template)
	os.Exit(code)
}

func setup() error {
	var err error
	if template, err = os.MkdirTemp("", "ferry-promote-"); err != nil {
		return err
	}
	if err := os.CopyFS(template, os.DirFS("../platform/local/testdata/svc")); err != nil {
		return err
	}
	p, err := project.Load(template)
	if err != nil {
		return err
	}
	s := artifact.NewStore(template)
	a, err := artifact.Build(context.Background(), p, s, artifact.BuildOptions{Tag: "1.0.0", Revision: "a"})
	if err != nil {
		return err
	}
	src := filepath.Join(template, "main.go")
	data, _ := os.ReadFile(src)
	os.WriteFile(src, []byte(strings.Replace(string(data), `version = "1"`, `version = "2"`, 1)), 0o644)
	b, err := artifact.Build(context.Background(), p, s, artifact.BuildOptions{Tag: "2.0.0", Revision: "b"})
	if err != nil {
		return err
	}
	digestA, digestB = a.Digest, b.Digest
	return nil
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

type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// newProject copies the template with a ferry.yaml giving each
// environment free loopback ports, a secrets file and smoke steps.
func newProject(t *testing.T, extra string) (*Config, *clock) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(template)); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(t.TempDir(), "secrets.env")
	os.WriteFile(secrets, []byte("DB_PASSWORD=s3cret-value\n"), 0o600)
	yaml := fmt.Sprintf(`service: svc
path: [staging, prod]
environments:
  staging:
    soak: 2s
    secretsFile: %s
    env: {HTTP_PORT: "%d", METRICS_PORT: "0", DB_NAME: staging.db}
    smoke:
      - http: POST /orders
        body: '{"item":"x"}'
        expect: 201
      - http: GET /orders
  prod:
    soak: 1h
    env: {HTTP_PORT: "%d", METRICS_PORT: "0", DB_NAME: prod.db}
    smoke:
      - run: test -n "$FERRY_URL" && test -z "$FERRY_TEST_SMOKE_FAIL"
%s`, secrets, freePort(t), freePort(t), extra)
	if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := New(p)
	clk := &clock{}
	c.Now = clk.Now
	c.Render = withExternalSecret
	c.HealthTimeout = 10 * time.Second
	c.Command = "test"
	t.Cleanup(func() {
		for _, e := range p.Environments {
			tg, _ := c.Target(e)
			_ = tg.Stop(context.Background(), e.Name, 0)
		}
	})
	return c, clk
}

// withExternalSecret stands in for a chart that references a Secret it
// does not render: staging's DB_PASSWORD must come from the secrets file.
func withExternalSecret(ctx context.Context, p *project.Project, env string) (*render.Config, error) {
	res, err := render.Render(ctx, p, env)
	if err != nil {
		return nil, err
	}
	entries := res.Config.Entries
	if env == "staging" {
		entries = append(entries, render.Entry{Key: "DB_PASSWORD", Secret: true, External: true,
			Source: render.Source{Kind: render.KindExternal, Detail: "Secret svc-db/password"}})
	}
	return render.NewConfig(entries), nil
}

func deploy(t *testing.T, c *Config, env, ref string) *state.Revision {
	t.Helper()
	d := NewDeploy(c)
	d.Artifact = ref
	rev, err := d.Run(t.Context(), env)
	if err != nil {
		t.Fatalf("deploy %s %s: %v", env, ref, err)
	}
	return rev
}

func TestDeployVerifyPromote(t *testing.T) {
	c, clk := newProject(t, "")
	ctx := t.Context()
	r1 := deploy(t, c, "staging", "2.0.0")
	if r1.Number != 1 || r1.Outcome != state.Live || r1.Digest != digestB {
		t.Fatalf("deploy = revision %d %s %s, want 1 live %s", r1.Number, r1.Outcome, r1.Digest, digestB)
	}
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !rep.OK() || rep.Digest != digestB {
		t.Fatalf("verify staging = %s (%+v), want ok running %s", rep.Summary(), rep, digestB)
	}

	// Soak not elapsed: refused, saying how long is left.
	pr := NewPromote(c)
	_, err = pr.Run(ctx, "staging", "prod")
	if !errors.Is(err, ErrGate) || !strings.Contains(err.Error(), "left") {
		t.Fatalf("promote before soak = %v, want a gate error with the time left", err)
	}
	// Dry run after the soak: every gate passes, nothing deployed.
	clk.Advance(3 * time.Second)
	pr.DryRun = true
	plan, err := pr.Run(ctx, "staging", "prod")
	if err != nil || !plan.Passed() || plan.Digest != digestB || plan.Revision != nil {
		t.Fatalf("dry run = %+v, %v, want every gate passed and no revision", plan, err)
	}
	if st, _ := NewStatus(c).Run(ctx); st.Environments[1].Digest != "" {
		t.Fatalf("dry run deployed prod: %+v", st.Environments[1])
	}
	pr.DryRun = false
	plan, err = pr.Run(ctx, "staging", "prod")
	if err != nil {
		t.Fatalf("promote: %v", err)
	}
	var names []string
	for _, g := range plan.Gates {
		names = append(names, g.Name)
	}
	wantGates := []string{"live is revision 1", "healthy", "soaked 2s", `smoke staging: POST /orders → 201`, "smoke staging: GET /orders → 200", `smoke prod: test -n "$FERRY_URL" && test -z "$FERRY_TEST_SMOKE_FAIL"`, "verify prod"}
	if diff := cmp.Diff(wantGates, names); diff != "" {
		t.Errorf("gates (-want +got):\n%s", diff)
	}
	// prod runs the digest staging runs, read back from the process.
	rep, err = NewVerify(c).Run(ctx, "prod")
	if err != nil || !rep.OK() || rep.Digest != digestB {
		t.Fatalf("verify prod = %+v, %v, want ok running %s", rep, err, digestB)
	}
	status, err := NewStatus(c).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := status.Environments
	for _, s := range st {
		if s.Digest != digestB || s.Health != platform.HealthUp || s.Tag != "2.0.0" {
			t.Errorf("status %s = %+v, want %s UP tag 2.0.0", s.Name, s, digestB)
		}
	}
	// The clock was advanced 3s past staging's soak.
	if left, err := time.ParseDuration(st[1].SoakRemaining); err != nil || left < 59*time.Minute || left > time.Hour {
		t.Errorf("prod soak remaining = %q, want just under 1h", st[1].SoakRemaining)
	}
	hist, _ := c.revisions("prod")
	if len(hist) != 1 || hist[0].PromotedFrom != "staging" || hist[0].FromRevision != 1 {
		t.Errorf("prod history = %+v, want one revision promoted from staging r1", hist)
	}
	// A TO off the path is refused unless --skip-path.
	if _, err := NewPromote(c).Run(ctx, "prod", "staging"); !errors.Is(err, ErrInput) {
		t.Errorf("promote prod → staging = %v, want ErrInput", err)
	}
	clk.Advance(2 * time.Hour)
	skip := NewPromote(c)
	skip.SkipPath = "restore staging from prod"
	plan, err = skip.Run(ctx, "prod", "staging")
	if err != nil || plan.Revision.SkipPath != "restore staging from prod" {
		t.Fatalf("promote --skip-path = %+v, %v, want the reason recorded", plan, err)
	}
	hist, _ = c.revisions("staging")
	if hist[0].SkipPath != "restore staging from prod" || hist[0].PromotedFrom != "prod" {
		t.Errorf("staging history[0] = %+v, want the skip-path reason stored", hist[0])
	}
}

func TestVerifyNamesChangedKey(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	deploy(t, c, "staging", "1.0.0")
	l := c.mustLocal(t)
	live, err := l.Live(ctx, platform.Query{Env: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	env := live.Instances[0].Env
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", platform.DetailPIDOf(live.Instances[0].Details)))
	if err := l.Stop(ctx, "staging", 0); err != nil {
		t.Fatal(err)
	}
	// Started by hand with another DB_NAME, on the environment's port.
	cmd := exec.Command(exe)
	cmd.Dir = filepath.Dir(exe)
	for k, v := range env {
		if k == "DB_NAME" {
			v = "other.db"
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitUp(t, "http://127.0.0.1:"+env["HTTP_PORT"]+"/.well-known/health")
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	want := []view.Difference{{Key: "DB_NAME", Change: "differs", Want: "staging.db", Live: secret.Redacted}}
	if diff := cmp.Diff(want, rep.Differences); diff != "" || rep.OK() || platform.DetailPIDOf(rep.Details) != cmd.Process.Pid {
		t.Errorf("verify of a hand-started process: ok=%v pid=%d (want %d), differences (-want +got):\n%s", rep.OK(), platform.DetailPIDOf(rep.Details), cmd.Process.Pid, diff)
	}
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	for range 100 {
		if h, _ := platform.CheckHTTP(t.Context(), client, url); h == platform.HealthUp {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never healthy", url)
}

func (c *Config) mustLocal(t *testing.T) *local.Local {
	t.Helper()
	tg, err := c.Target(c.Project.Environments[0])
	if err != nil {
		t.Fatal(err)
	}
	return tg.(*local.Local)
}

func TestBrokenRevisionRollsBack(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	r1 := deploy(t, c, "staging", "1.0.0")
	env, _ := c.Project.Env("staging")
	local.Of(env).Env["CRASH"] = "1"
	d := NewDeploy(c)
	d.Artifact = "2.0.0"
	_, err := d.Run(ctx, "staging")
	var de *platform.DeployError
	if !errors.As(err, &de) || !de.Restored || !strings.Contains(err.Error(), "crash requested") {
		t.Fatalf("deploy of a crashing revision = %v, want a DeployError with the log line, previous restored", err)
	}
	delete(local.Of(env).Env, "CRASH")
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil || !rep.OK() || rep.Digest != digestA || rep.Revision != r1.Number {
		t.Fatalf("after failed deploy verify = %+v, %v, want revision 1 (%s) ok", rep, err, digestA)
	}
	hist, _ := c.revisions("staging")
	if hist[0].Outcome != state.Failed || hist[1].Outcome != state.Live {
		t.Errorf("history outcomes = %s, %s, want failed, live", hist[0].Outcome, hist[1].Outcome)
	}
}

func TestPromoteRollsBackOnFailedSmoke(t *testing.T) {
	c, clk := newProject(t, "")
	ctx := t.Context()
	deploy(t, c, "prod", "1.0.0")
	deploy(t, c, "staging", "2.0.0")
	clk.Advance(time.Minute)
	prod, _ := c.Project.Env("prod")
	prod.Smoke = []project.SmokeStep{{HTTP: "GET /nope"}}
	plan, err := NewPromote(c).Run(ctx, "staging", "prod")
	if !errors.Is(err, ErrGate) || plan == nil || !plan.RolledBack {
		t.Fatalf("promote with failing prod smoke = %v (plan %+v), want gate error and rollback", err, plan)
	}
	rep, err := NewVerify(c).Run(ctx, "prod")
	if err != nil || rep.Digest != digestA || rep.Health != platform.HealthUp {
		t.Fatalf("prod after rollback = %+v, %v, want %s UP", rep, err, digestA)
	}
	// Manual rollback: back to the promoted digest's revision and forth.
	hist, _ := c.revisions("prod")
	if hist[0].Action != "rollback" || hist[1].Outcome != state.Failed {
		t.Errorf("prod history = %+v", hist)
	}
	rb := NewRollback(c)
	rb.To = hist[1].Number
	if _, err := rb.Run(ctx, "prod"); err != nil {
		t.Fatalf("rollback --to %d: %v", hist[1].Number, err)
	}
	if rep, _ := NewVerify(c).Run(ctx, "prod"); rep == nil || rep.Digest != digestB {
		t.Errorf("after rollback --to prod runs %+v, want %s", rep, digestB)
	}
}

func TestConcurrentPromotionsOneRefused(t *testing.T) {
	c1, clk := newProject(t, "")
	ctx := t.Context()
	deploy(t, c1, "staging", "2.0.0")
	clk.Advance(time.Minute)
	p2, err := project.Load(c1.Project.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c2 := New(p2)
	c2.Now = clk.Now
	c2.Render = withExternalSecret
	c2.Command = "second"
	inside, release := make(chan struct{}), make(chan struct{})
	c1.Command = "ferry promote staging prod"
	c1.Hook = func(point string) {
		if point == "gates" {
			close(inside)
			<-release
		}
	}
	errc := make(chan error, 1)
	go func() { _, err := NewPromote(c1).Run(ctx, "staging", "prod"); errc <- err }()
	<-inside
	_, err = NewPromote(c2).Run(ctx, "staging", "prod")
	close(release)
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder.Command != "ferry promote staging prod" {
		t.Errorf("second promotion = %v, want refused naming the first", err)
	}
	if err := <-errc; err != nil {
		t.Errorf("first promotion: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	rev := deploy(t, c, "staging", "1.0.0")
	for _, e := range rev.Config {
		if e.Key == "DB_PASSWORD" && (!c.sameSecret("s3cret-value", e.Value) || !strings.HasPrefix(e.Value, "hmac-sha256:") || !e.Secret) {
			t.Errorf("stored DB_PASSWORD = %q, want its hash", e.Value)
		}
	}
	live, err := c.mustLocal(t).Live(ctx, platform.Query{Env: "staging"})
	if err != nil || live.Instances[0].Env["DB_PASSWORD"] != "s3cret-value" {
		t.Fatalf("the process does not get the secret from the secrets file: %v", err)
	}
	env, _ := c.Project.Env("staging")
	os.WriteFile(local.Of(env).SecretsFile, []byte("DB_PASSWORD=rotated\n"), 0o600)
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	// The process runs what was deployed: the rotation is drift (the
	// next deploy applies it), not a difference of what runs.
	wantDrift := []view.Change{{Key: "DB_PASSWORD", Change: "changed", Deployed: secret.Redacted, Desired: secret.Redacted, Source: "secretsFile " + local.Of(env).SecretsFile, Secret: true}}
	if diff := cmp.Diff(wantDrift, rep.Drift); diff != "" || len(rep.Differences) != 0 || !rep.OK() || rep.Strict() {
		t.Errorf("verify after the secret changed: ok=%v strict=%v differences %+v, drift (-want +got):\n%s", rep.OK(), rep.Strict(), rep.Differences, diff)
	}
	drift, err := NewDrift(c).Run(ctx, "staging")
	if err != nil || len(drift.Changes) != 1 || drift.Changes[0].Desired != secret.Redacted {
		t.Errorf("drift = %+v, %v, want DB_PASSWORD changed, redacted", drift, err)
	}
	os.WriteFile(local.Of(env).SecretsFile, []byte("OTHER=x\n"), 0o600)
	_, err = NewDeploy(c).Run(ctx, "staging")
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "DB_PASSWORD") {
		t.Errorf("deploy without the secret = %v, want ErrInput naming DB_PASSWORD", err)
	}
	os.Remove(local.Of(env).SecretsFile)
	if _, err = NewDeploy(c).Run(ctx, "staging"); !errors.Is(err, ErrInput) {
		t.Errorf("deploy with a missing secrets file = %v, want ErrInput", err)
	}
}
