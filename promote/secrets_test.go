package promote

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/local"
)

// TestSecretsNeverStored plants secrets where a local environment gets
// them — ferry.yaml env: by a sensitive name and as a DSN's password, the
// secrets file — and has the service log one and fail. Neither the state
// file, nor the history, nor the error, nor the stored log lines show
// them; state hashes them with the project's key (0600), logs are 0600.
func TestSecretsNeverStored(t *testing.T) {
	c, _ := newProject(t, "")
	ctx := t.Context()
	env, _ := c.Project.Env("staging")
	canaries := []string{"AKIAQ7CANARYKEY00001", "dsn-canary-pw-4711", "s3cret-value"}
	local.Of(env).Env["AWS_ACCESS_KEY"] = canaries[0]
	local.Of(env).Env["REPORTS_URL"] = "postgres://reports:" + canaries[1] + "@db.internal:5432/reports"
	rev := deploy(t, c, "staging", "1.0.0")

	// The service fails after logging its connection string.
	local.Of(env).Env["LOG_SECRET"], local.Of(env).Env["CRASH"] = "REPORTS_URL", "1"
	_, err := NewDeploy(c).Run(ctx, "staging")
	var de *platform.DeployError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "connecting with <redacted>") {
		t.Fatalf("failed deploy = %v, want a DeployError with the (scrubbed) log line", err)
	}
	deployErr := err.Error()
	delete(local.Of(env).Env, "CRASH")
	delete(local.Of(env).Env, "LOG_SECRET")

	h, err := NewHistory(c).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	hist, _ := json.Marshal(h)
	db, err := os.ReadFile(filepath.Join(c.Project.Dir, ".ferry", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, where := range []struct {
		name string
		text []byte
	}{{"state.db", db}, {"history -o json", hist}, {"the deploy error", []byte(deployErr)}} {
		for _, c := range canaries {
			if bytes.Contains(where.text, []byte(c)) {
				t.Errorf("%s holds the secret %q", where.name, c)
			}
		}
	}
	for _, field := range []string{`"pid"`, `"startTick"`, `"log"`, `"root"`, `"private"`} {
		if bytes.Contains(hist, []byte(field)) {
			t.Errorf("history -o json dumps the stored record: %s in %s", field, hist)
		}
	}
	for _, e := range rev.Config {
		switch e.Key {
		case "AWS_ACCESS_KEY", "REPORTS_URL", "DB_PASSWORD":
			if !e.Secret || !strings.HasPrefix(e.Value, "hmac-sha256:") {
				t.Errorf("stored %s = %q (secret %v), want its keyed hash", e.Key, e.Value, e.Secret)
			}
		}
	}
	for _, f := range []string{".ferry/secret.key", ".ferry/run/staging/r1/log", ".ferry/run/staging/r2/log", ".ferry/run/staging/r1/process.json"} {
		st, err := os.Stat(filepath.Join(c.Project.Dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, st.Mode().Perm(), err)
		}
	}
	// The running process has its secrets, and verify sees them equal.
	rep, err := NewVerify(c).Run(ctx, "staging")
	if err != nil || !rep.OK() {
		t.Errorf("verify = %s, %v, want ok", rep.Summary(), err)
	}
}
