package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/state"
)

// svcProject copies the stand-in service with free loopback ports per
// environment and returns its directory; every environment is stopped
// when the test ends.
func svcProject(t *testing.T, soak string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(t.TempDir(), "prod.env")
	os.WriteFile(secrets, []byte("API_TOKEN=tok-very-secret\n"), 0o600)
	yaml := fmt.Sprintf(`service: svc
path: [staging, prod]
environments:
  staging:
    soak: %s
    env: {HTTP_PORT: "%d", METRICS_PORT: "0"}
  prod:
    soak: 1h
    env: {HTTP_PORT: "%d", METRICS_PORT: "0", API_TOKEN: "from-yaml"}
`, soak, freePort(t), freePort(t))
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(yaml), 0o644)
	t.Cleanup(func() {
		run(t, "-C "+dir+" down staging")
		run(t, "-C "+dir+" down prod")
	})
	return dir
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestPromoteLoopCLI(t *testing.T) {
	dir := svcProject(t, "1s")
	c := "-C " + dir + " "
	d1, _, code := run(t, c+"build --tag 1.0.0")
	d2, _, code2 := run(t, c+"build --tag 1.0.0")
	if code != 0 || code2 != 0 || d1 != d2 || !strings.HasPrefix(d1, "sha256:") {
		t.Fatalf("build twice = %q (%d), %q (%d), want one digest twice", d1, code, d2, code2)
	}
	digest := strings.TrimSpace(d1)

	steps := []struct {
		args     string
		wantCode int
		wantOut  string // substring of stdout, or of stderr when the code is not 0
	}{
		{"status", 0, "staging      local   -"},
		{"status prod", 0, "prod         local   -"},
		{"status qa", 2, `unknown environment "qa"`},
		{"promote --resume prod", 2, "its target local hands nothing to review"},
		{"promote --resume staging prod", 2, "promote takes 1 argument(s), got 2"},
		{"promote --resume prod --dry-run", 2, "--resume takes no --dry-run"},
		{"verify staging", 1, "not running"},
		{"deploy staging --artifact nope", 2, `unknown artifact "nope"`},
		{"deploy qa", 2, `unknown environment "qa"`},
		{"deploy staging --artifact 1.0.0", 0, "staging: revision 1 runs " + digest},
		{"verify staging", 0, "staging: ok: pid"},
		{"promote staging prod", 1, "soaked 1s"},
		{"promote prod staging", 2, `"staging" is not the next step after "prod"`},
		{"drift staging", 0, "no drift since revision 1"},
	}
	for _, s := range steps {
		out, errOut, code := run(t, c+s.args)
		where := out
		if code != 0 {
			where = out + errOut
		}
		if code != s.wantCode || !strings.Contains(where, s.wantOut) {
			t.Fatalf("ferry %s = %d\nstdout: %s\nstderr: %s\nwant exit %d and %q", s.args, code, out, errOut, s.wantCode, s.wantOut)
		}
	}
	time.Sleep(time.Second)
	out, errOut, code := run(t, c+"promote staging prod --dry-run -o json")
	var plan struct {
		Digest string `json:"digest"`
		DryRun bool   `json:"dryRun"`
		Gates  []struct {
			Passed bool `json:"passed"`
		} `json:"gates"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 || plan.Digest != digest || !plan.DryRun || len(plan.Gates) != 3 {
		t.Fatalf("promote --dry-run -o json = %d %v\n%s%s", code, err, out, errOut)
	}
	// --artifact names what the user means to promote: a gate.
	for _, s := range []struct {
		args     string
		wantCode int
		want     string
	}{
		{"--artifact 1.0.0", 0, "artifact 1.0.0 is what soaked"},
		{"--artifact nope", 1, "cannot resolve nope"},
	} {
		out, errOut, code := run(t, c+"promote staging prod --dry-run "+s.args)
		if code != s.wantCode || !strings.Contains(out+errOut, s.want) {
			t.Errorf("promote --dry-run %s = %d\n%s%s\nwant exit %d and %q", s.args, code, out, errOut, s.wantCode, s.want)
		}
	}
	if out, errOut, code = run(t, c+"promote staging prod"); code != 0 {
		t.Fatalf("promote = %d\n%s%s", code, out, errOut)
	}
	out, _, _ = run(t, c+"status -o json")
	var st struct {
		Environments []struct {
			Name, Digest, Health string
			Revision             int
		} `json:"environments"`
	}
	json.Unmarshal([]byte(out), &st)
	type row struct{ Name, Digest, Health string }
	var got []row
	for _, e := range st.Environments {
		got = append(got, row{e.Name, e.Digest, e.Health})
	}
	want := []row{{"staging", digest, "UP"}, {"prod", digest, "UP"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status after promote (-want +got):\n%s", diff)
	}
	// The secret-named key never shows, in any output.
	for _, args := range []string{"verify prod", "verify prod -o json", "history prod", "history prod -o json", "drift prod -o json", "status -o json"} {
		out, errOut, _ := run(t, c+args)
		if strings.Contains(out+errOut, "from-yaml") {
			t.Errorf("ferry %s printed a secret value:\n%s%s", args, out, errOut)
		}
	}
	_, errOut, code = run(t, c+"rollback prod")
	if code != 2 || !strings.Contains(errOut, `"prod" has no earlier revision`) {
		t.Errorf("rollback prod with one revision = %d %q, want 2", code, errOut)
	}
	if out, _, code = run(t, c+"down staging"); code != 0 || out != "staging: stopped\n" {
		t.Errorf("down staging = %d %q", code, out)
	}
	if _, errOut, code = run(t, c+"promote staging prod"); code != 1 || !strings.Contains(errOut, "nothing is deployed in \"staging\"") {
		t.Errorf("promote from a stopped env = %d %s, want 1", code, errOut)
	}
}

func TestEngineRefusals(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	// Another ferry holds prod: refused naming the holder, exit 1.
	l, err := boltstore.Acquire(filepath.Join(dir, ".ferry", "locks"), "staging", state.Holder{Command: "ferry promote dev staging"})
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, c+"deploy staging")
	l.Release()
	if code != 1 || !strings.Contains(errOut, `environment "staging" is locked by "ferry promote dev staging"`) {
		t.Errorf("deploy of a locked env = %d %q, want 1 naming the holder", code, errOut)
	}
	// A corrupted state file is refused, and left as it was.
	db := filepath.Join(dir, ".ferry", "state.db")
	junk := []byte(strings.Repeat("garbage!", 1024))
	os.WriteFile(db, junk, 0o600)
	for _, args := range []string{"status", "deploy staging", "history staging"} {
		_, errOut, code := run(t, c+args)
		if code != 2 || !strings.Contains(errOut, "state file is corrupted") {
			t.Errorf("ferry %s on a corrupt state = %d %q, want 2 and a clear message", args, code, errOut)
		}
	}
	if after, _ := os.ReadFile(db); string(after) != string(junk) {
		t.Error("the corrupt state file was modified")
	}
}

func TestDeployFaultsCLI(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	yaml, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	port := strings.Split(strings.Split(string(yaml), `HTTP_PORT: "`)[1], `"`)[0]

	// A port held by someone else: the target failed, exit 3.
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, c+"deploy staging")
	l.Close()
	if code != 3 || !strings.Contains(errOut, "port "+port+" is already in use") {
		t.Errorf("deploy onto a taken port = %d %q, want 3", code, errOut)
	}

	// A binary that crashes at start: exit 1 with its last log lines.
	crashing := strings.Replace(string(yaml), `METRICS_PORT: "0"}`, `METRICS_PORT: "0", CRASH: "1"}`, 1)
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(crashing), 0o644)
	_, errOut, code = run(t, c+"deploy staging")
	if code != 1 || !strings.Contains(errOut, "exited before it became healthy") || !strings.Contains(errOut, "fatal: crash requested by CRASH=1") {
		t.Errorf("deploy of a crashing binary = %d %q, want 1 with the log line", code, errOut)
	}
	out, _, _ := run(t, c+"history staging")
	if !strings.Contains(out, "failed") {
		t.Errorf("history after a failed deploy:\n%s", out)
	}

	// Drift names a key the repository changed since the deploy, and
	// rollback restores the snapshot, not today's configuration.
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), yaml, 0o644)
	if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
		t.Fatalf("deploy: %s", errOut)
	}
	changed := strings.Replace(string(yaml), `METRICS_PORT: "0"}`, `METRICS_PORT: "0", FEATURE: "on"}`, 1)
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(changed), 0o644)
	out, _, code = run(t, c+"drift staging")
	if code != 1 || !strings.Contains(out, "FEATURE") || !strings.Contains(out, "added") {
		t.Errorf("drift after adding FEATURE = %d\n%s", code, out)
	}
	if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
		t.Fatalf("deploy: %s", errOut)
	}
	if out, errOut, code := run(t, c+"rollback staging"); code != 0 || !strings.Contains(out, "revision 5") {
		t.Fatalf("rollback = %d %s%s", code, out, errOut)
	}
	// The live process runs the snapshot it was deployed with: identity
	// holds, and today's FEATURE is drift (exit 0; 1 with --strict).
	out, _, code = run(t, c+"verify staging -o json")
	var rep struct {
		OK          bool `json:"ok"`
		Drifted     bool `json:"drifted"`
		Differences []struct{ Key, Change string }
		Drift       []struct{ Key, Change string }
	}
	json.Unmarshal([]byte(out), &rep)
	if code != 0 || !rep.OK || len(rep.Differences) != 0 || !rep.Drifted || len(rep.Drift) != 1 || rep.Drift[0].Key != "FEATURE" || rep.Drift[0].Change != "added" {
		t.Errorf("after rollback the live process runs the snapshot and FEATURE is drift: exit %d %s", code, out)
	}
	if out, _, code = run(t, c+"verify staging --strict"); code != 1 || !strings.Contains(out, "FEATURE  added") {
		t.Errorf("verify --strict with drift = %d\n%s\nwant 1 naming FEATURE", code, out)
	}
}

func TestBuildPushCLI(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/svc:1.0.0"
	out, errOut, code := run(t, c+"build --tag 1.0.0 --push "+ref)
	if code != 0 || !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("build --push = %d %s%s", code, out, errOut)
	}
	os.WriteFile(filepath.Join(dir, "configs", ".env"), []byte("APP_NAME=changed\n"), 0o644)
	tests := []struct {
		args     string
		wantCode int
		want     string
	}{
		{"build --tag 1.0.0", 2, `tag "1.0.0": tag already points to another digest ` + strings.TrimSpace(out)},
		{"build --push " + ref, 2, "tag already points to another digest " + strings.TrimSpace(out)},
		{"build --tag 1.0.0 --force --push " + ref + " --force", 0, "sha256:"},
	}
	for _, tt := range tests {
		out, errOut, code := run(t, c+tt.args)
		if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("ferry %s = %d %s%s, want %d and %q", tt.args, code, out, errOut, tt.wantCode, tt.want)
		}
	}
}

// A promotion whose new process dies before it answers health must not
// print that the revision runs: only the failure, exit 1.
func TestPromoteNeverClaimsAFailedRevisionRuns(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build --tag 1.0.0"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	if _, errOut, code := run(t, c+"deploy staging --artifact 1.0.0"); code != 0 {
		t.Fatalf("deploy staging: %s", errOut)
	}
	yaml, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	prod := strings.SplitN(string(yaml), "  prod:", 2)
	crashing := prod[0] + "  prod:" + strings.Replace(prod[1], `METRICS_PORT: "0",`, `METRICS_PORT: "0", CRASH: "1",`, 1)
	if crashing == string(yaml) {
		t.Fatalf("could not make prod crash; ferry.yaml:\n%s", yaml)
	}
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(crashing), 0o644)
	out, errOut, code := run(t, c+"promote staging prod")
	if code != 1 || !strings.Contains(errOut, "exited before it became healthy") {
		t.Fatalf("promote into a crashing prod = %d\nstdout: %s\nstderr: %s\nwant 1 and the failure", code, out, errOut)
	}
	if strings.Contains(out, "prod: revision 1 runs") || !strings.Contains(out, "gates:") {
		t.Errorf("promote printed the gates and then claimed the failed revision runs:\n%s", out)
	}
}
