package promote

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/local"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// orders is how many orders staging's service holds (POST /orders adds
// one): a count of the requests that changed it.
func orders(t *testing.T, c *Config, env string) int {
	t.Helper()
	cur, err := c.current(mustEnv(t, c, env))
	if err != nil || cur == nil {
		t.Fatalf("%s has no live revision: %v", env, err)
	}
	resp, err := http.Get(cur.URL + "/orders")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		Data struct {
			Count int `json:"count"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET /orders: %s: %v", body, err)
	}
	return doc.Data.Count
}

func mustEnv(t *testing.T, c *Config, name string) *project.Environment {
	t.Helper()
	e, err := c.Project.Env(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDryRunSendsNoPost: a dry run runs staging's GET smoke step and
// lists the POST as "would run" without sending it; the real promotion
// sends it. Before, the dry run created an order in staging.
func TestDryRunSendsNoPost(t *testing.T) {
	c, clk := newProject(t, "")
	ctx := t.Context()
	deploy(t, c, "staging", "1.0.0")
	clk.Advance(3 * time.Second)
	before := orders(t, c, "staging")
	pr := NewPromote(c)
	pr.DryRun = true
	plan, err := pr.Run(ctx, "staging", "prod")
	if err != nil || !plan.Passed() {
		t.Fatalf("dry run = %+v, %v", plan, err)
	}
	if got := orders(t, c, "staging"); got != before {
		t.Errorf("the dry run sent %d POST /orders to staging, want none", got-before)
	}
	gates := plan.View(true, nil).Gates
	var post, get *view.Gate
	for i, g := range gates {
		switch {
		case strings.Contains(g.Name, "POST /orders"):
			post = &gates[i]
		case strings.Contains(g.Name, "GET /orders"):
			get = &gates[i]
		}
	}
	if post == nil || !post.WouldRun || !strings.HasPrefix(post.Detail, "would run: a POST request") {
		t.Errorf("the POST step in the dry run = %+v, want listed as would run", post)
	}
	if get == nil || get.WouldRun || get.Detail != "200" {
		t.Errorf("the GET step in the dry run = %+v, want run (200)", get)
	}
	pr.DryRun = false
	if _, err := pr.Run(ctx, "staging", "prod"); err != nil {
		t.Fatal(err)
	}
	if got := orders(t, c, "staging"); got != before+1 {
		t.Errorf("the promotion sent %d POST /orders, want 1", got-before)
	}
}

// TestConfigsOnlyRebuild: two artifacts that differ only in configs/
// share one executable. Each environment is identified by the digest it
// was deployed with — verify, the dry-run plan (with the tag pointing at
// that digest) and promote after a rollback. Before, the running
// executable was mapped to the newest artifact holding it.
func TestConfigsOnlyRebuild(t *testing.T) {
	c, clk := newProject(t, "")
	ctx := t.Context()
	// 2.0.0 (the source as it is now) to staging, promoted to prod.
	deploy(t, c, "staging", "2.0.0")
	clk.Advance(3 * time.Second)
	if _, err := NewPromote(c).Run(ctx, "staging", "prod"); err != nil {
		t.Fatal(err)
	}
	// A rebuild that only adds a key to configs/.env.
	dir := c.Project.Dir
	if err := os.MkdirAll(filepath.Join(dir, "configs"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(dir, "configs", ".env"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	f.WriteString("KEY=1\n")
	f.Close()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Project = p
	img, err := artifact.Build(ctx, p, c.Images, artifact.BuildOptions{Tag: "1.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Images.Resolve("2.0.0")
	if img.BinaryDigest != a.BinaryDigest || img.Digest == a.Digest {
		t.Fatalf("the rebuild is %s with executable %s; want a new digest with 2.0.0's executable %s", img.Digest, img.BinaryDigest, a.BinaryDigest)
	}
	deploy(t, c, "staging", "1.1.0")

	rep, err := NewVerify(c).Run(ctx, "prod")
	if err != nil || !rep.OK() || rep.Digest != a.Digest || rep.Configs == "" || rep.Configs != rep.WantConfigs {
		t.Errorf("verify prod (untouched) = %s, %v; want ok running 2.0.0's %s with its configs", rep.Summary(), err, a.Digest)
	}
	rep, err = NewVerify(c).Run(ctx, "staging")
	if err != nil || !rep.OK() || rep.Digest != img.Digest {
		t.Errorf("verify staging = %s, %v; want ok running 1.1.0's %s", rep.Summary(), err, img.Digest)
	}
	clk.Advance(3 * time.Second)
	pr := NewPromote(c)
	pr.DryRun = true
	plan, err := pr.Run(ctx, "staging", "prod")
	if err != nil || plan.Digest != img.Digest || plan.Tag != "1.1.0" {
		t.Errorf("dry run = digest %s tag %q, %v; want 1.1.0's %s named 1.1.0", plan.Digest, plan.Tag, err, img.Digest)
	}
	// Back to 2.0.0 in staging: what runs is 2.0.0, and it promotes.
	if _, err := NewRollback(c).Run(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Second)
	pr.DryRun = false
	plan, err = pr.Run(ctx, "staging", "prod")
	if err != nil || plan.Digest != a.Digest || plan.Tag != "2.0.0" {
		t.Errorf("promote after the rollback = %+v, %v; want 2.0.0's %s", plan, err, a.Digest)
	}
}

// TestVerifyDriftIsNotFailure: a change in the repository after the
// deploy is drift — reported, exit 0 — while a process that does not run
// what was deployed fails identity.
func TestVerifyDriftIsNotFailure(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	deploy(t, c, "staging", "1.0.0")
	yaml := filepath.Join(c.Project.Dir, "ferry.yaml")
	data, _ := os.ReadFile(yaml)
	os.WriteFile(yaml, []byte(strings.Replace(string(data), "DB_NAME: staging.db", "DB_NAME: staging2.db", 1)), 0o644)
	p, err := project.Load(c.Project.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Project = p
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !rep.HealthOK() || !rep.IdentityOK() || !rep.Drifted() || rep.Strict() {
		t.Errorf("verify after a repository change = %s: ok=%v health=%v identity=%v drifted=%v strict=%v; want ok, drifted, not strict-ok",
			rep.Summary(), rep.OK(), rep.HealthOK(), rep.IdentityOK(), rep.Drifted(), rep.Strict())
	}
	if len(rep.Drift) != 1 || rep.Drift[0].Key != "DB_NAME" || rep.Drift[0].Deployed != "staging.db" || rep.Drift[0].Desired != "staging2.db" {
		t.Errorf("drift = %+v, want DB_NAME staging.db → staging2.db", rep.Drift)
	}
	js, _ := json.Marshal(rep)
	for _, w := range []string{`"ok":true`, `"healthOk":true`, `"identityOk":true`, `"drifted":true`} {
		if !strings.Contains(string(js), w) {
			t.Errorf("verify JSON lacks %s: %s", w, js)
		}
	}
}

// TestDriftInImage: a key changed in configs/ travels in the image, so
// verify says a build is needed, not a redeploy; a key changed in
// ferry.yaml still says that a deploy applies it.
func TestDriftInImage(t *testing.T) {
	c, _ := newProject(t, "")
	deploy(t, c, "staging", "1.0.0")
	overlay := filepath.Join(c.Project.Dir, "configs", ".staging.env")
	data, err := os.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(overlay, append(data, "ORDERS_PAGE_SIZE=50\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	renameStagingDB(t, c)
	rep, err := NewVerify(c).Run(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, ch := range rep.Drift {
		in[ch.Key] = ch.InImage
	}
	if want := map[string]bool{"ORDERS_PAGE_SIZE": true, "DB_NAME": false}; !maps.Equal(in, want) {
		t.Errorf("drift keys → in image = %v, want %v", in, want)
	}
	line := rep.DriftLine()
	for _, w := range []string{"DB_NAME changed (ferry deploy applies them)", "ORDERS_PAGE_SIZE added (they travel in the image: ferry build, then deploy the new artifact)"} {
		if !strings.Contains(line, w) {
			t.Errorf("drift line %q lacks %q", line, w)
		}
	}
}

// TestMissingSecretsFile: read commands work without the environment's
// secrets file, showing its keys as missing; a deploy names the file's
// full path, the ferry.yaml line that points at it and the keys it must
// hold.
func TestMissingSecretsFile(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	deploy(t, c, "staging", "1.0.0")
	env := mustEnv(t, c, "staging")
	if err := os.Remove(local.Of(env).SecretsFile); err != nil {
		t.Fatal(err)
	}
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil || !rep.OK() {
		t.Fatalf("verify without the secrets file = %v, %v; want it to run, ok", rep, err)
	}
	placeholder := "(secret file missing: " + local.Of(env).SecretsFile + ")"
	if len(rep.Drift) != 1 || rep.Drift[0].Key != "DB_PASSWORD" || rep.Drift[0].Change != "unknown" || rep.Drift[0].Desired != placeholder || rep.Drifted() {
		t.Errorf("verify's drift = %+v, want DB_PASSWORD unknown, shown as %s", rep.Drift, placeholder)
	}
	if _, err := NewDrift(c).Run(ctx, "staging"); err != nil {
		t.Errorf("drift without the secrets file: %v", err)
	}
	_, err = NewDeploy(c).Run(ctx, "staging")
	for _, w := range []string{local.Of(env).SecretsFile + " does not exist", "ferry.yaml:6", "DB_PASSWORD"} {
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), w) {
			t.Errorf("deploy without the secrets file = %v; want bad input saying %q", err, w)
		}
	}
	if !filepath.IsAbs(local.Of(env).SecretsFile) {
		t.Fatalf("the test's secrets file %s is not absolute", local.Of(env).SecretsFile)
	}
	_ = secret.Redacted
}

// TestRestartedRevisionKeepsPromotable: when the old revision had to stop
// for the new one (its port cannot be shared) and the new one fails, the
// old one is started again and recorded: its soak starts over, and it can
// be promoted once that is done. Before, its new process was "not what the
// revision started" for ever.
func TestRestartedRevisionKeepsPromotable(t *testing.T) {
	c, clk := newProject(t, "")
	ctx := t.Context()
	env := mustEnv(t, c, "staging")
	local.Of(env).Env["NO_REUSEPORT"] = "1"
	r1 := deploy(t, c, "staging", "1.0.0")
	local.Of(env).Env["CRASH"] = "1"
	_, err := NewDeploy(c).Run(ctx, "staging")
	var de *platform.DeployError
	if !errors.As(err, &de) || len(de.Restarted) != 1 || !strings.Contains(err.Error(), "its soak of 2s starts over now") {
		t.Fatalf("failed deploy = %v, want revision 1 restarted and said so", err)
	}
	delete(local.Of(env).Env, "CRASH")
	cur, _ := c.current(env)
	if cur.Number != r1.Number || cur.Instances[0].Name == r1.Instances[0].Name {
		t.Fatalf("live revision %d %s, want revision %d with its new process", cur.Number, cur.Instances[0].Name, r1.Number)
	}
	clk.Advance(3 * time.Second)
	if _, err := NewPromote(c).Run(ctx, "staging", "prod"); err != nil {
		t.Errorf("promote after the restart and its soak: %v", err)
	}
	_ = state.Live
}
