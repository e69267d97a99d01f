package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/check"
	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/platform/local"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/sign"
)

// initService copies scaffold's testdata service name into a temporary
// directory (a service on kit gets absolute replace directives) and runs
// ferry init in it.
func initService(t *testing.T, name string, extra string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", name))); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "go.mod")); strings.Contains(string(data), "ferry/kit") {
		root, _ := filepath.Abs("../..")
		mod := regexp.MustCompile(`=> \.\./\.\./\.\./`).ReplaceAllString(string(data), "=> "+root+"/")
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644)
	}
	out, errOut, code := run(t, "-C "+dir+" init "+extra)
	if code != 0 {
		t.Fatalf("ferry init = %d\n%s%s", code, out, errOut)
	}
	return dir
}

// placeholders returns REPLACE_WITH_* → file:line in the project's files.
func placeholders(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	re := regexp.MustCompile(`REPLACE_WITH_[A-Z0-9_]+`)
	files, _ := filepath.Glob(filepath.Join(dir, "values-*.yaml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range re.FindAllString(line, -1) {
				out[m] = fmt.Sprintf("%s:%d", filepath.Base(f), i+1)
			}
		}
	}
	return out
}

// fill replaces every placeholder with what a team would write there.
func fill(t *testing.T, dir string, values map[string]string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "values-*.yaml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		s := string(data)
		for k, v := range values {
			s = strings.ReplaceAll(s, k, v)
		}
		os.WriteFile(f, []byte(s), 0o644)
	}
	if left := placeholders(t, dir); len(left) > 0 {
		t.Fatalf("placeholders left after filling: %v", left)
	}
}

// unexpected returns the findings check should not report on an init'ed
// project: anything but FERRY082 on a placeholder.
func unexpected(t *testing.T, dir string) []check.Finding {
	t.Helper()
	rep, err := check.Project(t.Context(), dir)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var bad []check.Finding
	for _, f := range rep.Findings {
		switch {
		case f.Accepted, f.Rule == "FERRY082":
		default:
			bad = append(bad, f)
		}
	}
	return bad
}

// localLoop gives the project free ports, a 1s soak in its first
// environment and a secrets file, then builds, deploys staging and
// promotes to prod; both must end up running the same digest.
func localLoop(t *testing.T, dir string) {
	t.Helper()
	localize(t, dir)
	c := "-C " + dir + " "
	for _, args := range []string{"build --tag 0.1.0", "deploy staging --artifact 0.1.0"} {
		if out, errOut, code := run(t, c+args); code != 0 {
			t.Fatalf("ferry %s = %d\n%s%s", args, code, out, errOut)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	if out, errOut, code := run(t, c+"promote staging prod"); code != 0 {
		t.Fatalf("ferry promote staging prod = %d\n%s%s", code, out, errOut)
	}
	sameDigestUp(t, dir)
}

// sameDigestUp asserts that staging and prod run one digest, prod UP.
func sameDigestUp(t *testing.T, dir string) {
	t.Helper()
	out, _, _ := run(t, "-C "+dir+" status -o json")
	var st struct {
		Environments []struct{ Name, Digest, Health string } `json:"environments"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Environments) != 2 ||
		st.Environments[0].Digest == "" || st.Environments[0].Digest != st.Environments[1].Digest || st.Environments[1].Health != "UP" {
		t.Errorf("status after the loop: %v\n%s", err, out)
	}
}

// localize gives an init'ed project free ports, a 1s soak in its first
// environment and secrets files in a temporary directory, and stops its
// environments when the test ends.
func localize(t *testing.T, dir string) {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	yaml := string(data)
	// Every port init chose (in env: and the health and smoke URLs) gets
	// a port free now, the same one wherever it appears.
	free := map[string]string{}
	yaml = regexp.MustCompile(`("|http://127\.0\.0\.1:)(\d{4,5})\b`).ReplaceAllStringFunc(yaml, func(m string) string {
		i := strings.LastIndexAny(m, `":`) + 1
		if free[m[i:]] == "" {
			free[m[i:]] = fmt.Sprint(freePort(t))
		}
		return m[:i] + free[m[i:]]
	})
	yaml = strings.Replace(yaml, "soak: 1m", "soak: 1s", 1)
	secrets := t.TempDir()
	for _, env := range []string{"staging", "prod"} {
		os.WriteFile(filepath.Join(secrets, env+".env"), []byte("STRIPE_API_KEY=sk_test_not_real\n"), 0o600)
	}
	yaml = regexp.MustCompile(`~/\.config/ferry/[a-z-]+`).ReplaceAllString(yaml, secrets)
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(yaml), 0o644)
	t.Cleanup(func() {
		run(t, "-C "+dir+" down staging")
		run(t, "-C "+dir+" down prod")
	})
}

// TestInitThreeServices: ferry init on a GoFr-style service on kit, a
// plain net/http service and a service with its own chart gives projects
// whose only findings are the placeholders init left (FERRY082), none
// once they are filled, and that build, deploy and promote locally.
func TestInitThreeServices(t *testing.T) {
	_, has082 := check.RuleByID("FERRY082")
	tests := []struct {
		name string
		want []string          // placeholders init writes
		fill map[string]string // what the team writes there
	}{
		{
			name: "inventory",
			want: []string{"REPLACE_WITH_PROD_DB_HOST", "REPLACE_WITH_PROD_DB_NAME", "REPLACE_WITH_STAGING_DB_HOST", "REPLACE_WITH_STAGING_DB_NAME"},
			fill: map[string]string{
				"REPLACE_WITH_STAGING_DB_HOST": "inventory-db.staging.svc.cluster.local", "REPLACE_WITH_STAGING_DB_NAME": "inventory_staging",
				"REPLACE_WITH_PROD_DB_HOST": "inventory-db.prod.svc.cluster.local", "REPLACE_WITH_PROD_DB_NAME": "inventory_prod",
			},
		},
		{
			name: "billing",
			want: []string{"REPLACE_WITH_PROD_DATABASE_URL", "REPLACE_WITH_STAGING_DATABASE_URL"},
			fill: map[string]string{
				"REPLACE_WITH_STAGING_DATABASE_URL": "postgres://billing@billing-db.staging.internal:5432/billing",
				"REPLACE_WITH_PROD_DATABASE_URL":    "postgres://billing@billing-db.prod.internal:5432/billing",
			},
		},
		{name: "ledger"}, // its chart and values are kept: nothing to fill
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := initService(t, tt.name, "")
			ph := placeholders(t, dir)
			var got []string
			for k := range ph {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("placeholders = %v, want %v", got, tt.want)
			}
			bad := unexpected(t, dir)
			for _, f := range bad {
				t.Errorf("check on the fresh project: %s %v %s (%s:%d)", f.Rule, f.Environments, f.Message, f.File, f.Line)
			}
			if has082 {
				rep, _ := check.Project(t.Context(), dir)
				for k, at := range ph {
					found := false
					for _, f := range rep.Findings {
						found = found || (f.Rule == "FERRY082" && fmt.Sprintf("%s:%d", f.File, f.Line) == at)
					}
					if !found {
						t.Errorf("no FERRY082 finding at %s for %s", at, k)
					}
				}
			} else {
				t.Errorf("FERRY082 is not in check's catalogue")
			}
			fill(t, dir, tt.fill)
			for _, f := range unexpected(t, dir) {
				t.Errorf("check once filled: %s %v %s (%s:%d)", f.Rule, f.Environments, f.Message, f.File, f.Line)
			}
			rep, _ := check.Project(t.Context(), dir)
			for _, f := range rep.Findings {
				if f.Rule == "FERRY082" {
					t.Errorf("FERRY082 once filled: %s:%d", f.File, f.Line)
				}
			}
			localLoop(t, dir)
		})
	}
}

// TestInitKeepsAndRefuses: init on an existing chart plans around it and
// names what it kept; init with no module or two mains is bad input.
func TestInitKeepsAndRefuses(t *testing.T) {
	dir := testtree.Write(t, map[string]string{"README.md": "no Go here\n"})
	if _, errOut, code := run(t, "-C "+dir+" init"); code != 2 || !strings.Contains(errOut, "has no go.mod") {
		t.Errorf("init without a module = %d %q, want 2", code, errOut)
	}
	two := filepath.Join("..", "..", "scaffold", "testdata", "twomains")
	if _, errOut, code := run(t, "-C "+two+" init --dry-run"); code != 2 || !strings.Contains(errOut, "./cmd/api, ./cmd/worker") {
		t.Errorf("init with two mains = %d %q, want 2 naming both", code, errOut)
	}
	out, _, code := run(t, "-C "+filepath.Join("..", "..", "scaffold", "testdata", "ledger")+" init --dry-run -o json")
	var plan struct {
		Files []struct{ Path, Action, Why string } `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 {
		t.Fatalf("init --dry-run -o json = %d %v\n%s", code, err, out)
	}
	kept := false
	for _, f := range plan.Files {
		kept = kept || (f.Path == "deploy/helm/ledger/" && f.Action == "keep" && strings.Contains(f.Why, "existing chart"))
		if strings.HasPrefix(f.Path, "chart/") || strings.HasPrefix(f.Path, "values-") {
			t.Errorf("init plans %s %s beside an existing chart", f.Action, f.Path)
		}
	}
	if !kept {
		t.Errorf("the plan does not name the existing chart as kept: %s", out)
	}
	if _, err := os.Stat(filepath.Join(two, "ferry.yaml")); err == nil {
		t.Errorf("--dry-run wrote ferry.yaml")
	}
}

// goBuild builds the ferry binary for tests that run it as CI would.
func goBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/ferry")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ferry: %v\n%s", err, out)
	}
	return filepath.Dir(bin)
}

// envPorts reads the local ports init gave each environment.
func envPorts(t *testing.T, dir string) map[string]string {
	t.Helper()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range p.Environments {
		for _, k := range []string{"PORT", "HTTP_PORT", "METRICS_PORT"} {
			if v, ok := local.Of(e).Env[k]; ok {
				out[e.Name+"."+k] = v
			}
		}
	}
	return out
}

// TestInitFirstContact: two services get ports of their own, derived from
// their own configuration, never the demo's 18080/18090; a port in use is
// skipped and its holder named; .ferry/ and keys are ignored by git, in a
// new .gitignore or appended to the team's.
func TestInitFirstContact(t *testing.T) {
	// Hold billing's first candidate (its PORT 8081 + 10000), as a
	// running service would.
	l, lerr := net.Listen("tcp", "127.0.0.1:18081")
	if lerr == nil {
		defer l.Close()
	}
	billing := filepath.Join(t.TempDir(), "billing")
	os.CopyFS(billing, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", "billing")))
	os.WriteFile(filepath.Join(billing, ".gitignore"), []byte("/bin\n*.out"), 0o644)
	out, errOut, code := run(t, "-C "+billing+" init")
	if code != 0 {
		t.Fatalf("init = %d\n%s%s", code, out, errOut)
	}
	holder := "(in use by "
	if lerr == nil {
		comm, _ := os.ReadFile("/proc/self/comm")
		holder = fmt.Sprintf("(in use by %s (pid %d))", strings.TrimSpace(string(comm)), os.Getpid())
	}
	if !strings.Contains(out, "skipped port 18081 "+holder) {
		t.Errorf("init does not name the holder of port 18081 (want %q):\n%s", holder, out)
	}
	if !strings.Contains(out, "update   .gitignore") {
		t.Errorf("init does not plan to update .gitignore:\n%s", out)
	}
	gi, _ := os.ReadFile(filepath.Join(billing, ".gitignore"))
	if !strings.HasPrefix(string(gi), "/bin\n*.out\n") || !strings.Contains(string(gi), "\n.ferry/\n") || !strings.Contains(string(gi), "\n*.key\n") {
		t.Errorf(".gitignore after init:\n%s", gi)
	}

	inventory := initService(t, "inventory", "")
	if gi, _ := os.ReadFile(filepath.Join(inventory, ".gitignore")); !strings.Contains(string(gi), ".ferry/\n") {
		t.Errorf("new .gitignore: %q", gi)
	}
	seen := map[string]string{}
	for _, dir := range []string{billing, inventory} {
		for k, v := range envPorts(t, dir) {
			if v == "18080" || v == "18090" || v == "18081" && lerr == nil {
				t.Errorf("%s %s = %s: a port every project (or the holder) has", filepath.Base(dir), k, v)
			}
			if other, ok := seen[v]; ok {
				t.Errorf("%s %s = %s, as %s", filepath.Base(dir), k, v, other)
			}
			seen[v] = filepath.Base(dir) + " " + k
		}
	}
	if got := envPorts(t, inventory); got["staging.HTTP_PORT"] != "19000" || got["prod.METRICS_PORT"] != "12132" {
		t.Errorf("inventory (HTTP_PORT 9000, METRICS_PORT 2122) ports = %v, want HTTP 19000… and metrics …12132", got)
	}

	// Twice: nothing more is appended.
	run(t, "-C "+billing+" init")
	if again, _ := os.ReadFile(filepath.Join(billing, ".gitignore")); string(again) != string(gi) {
		t.Errorf("a second init changed .gitignore:\n%s", again)
	}
}

// gitRepo makes dir a git work tree (its files not committed).
func gitRepo(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
}

// TestKeysGenerateOutsideRepository: by default the private key goes
// under the user's config directory and only ferry.pub into the project;
// --out into the work tree is refused unless git ignores the path.
func TestKeysGenerateOutsideRepository(t *testing.T) {
	conf := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", conf)
	t.Setenv("HOME", t.TempDir())
	t.Setenv(sign.EnvPassword, "correct horse battery")
	dir := initService(t, "billing", "")
	gitRepo(t, dir)

	out, errOut, code := run(t, "-C "+dir+" keys generate")
	if code != 0 {
		t.Fatalf("keys generate = %d\n%s%s", code, out, errOut)
	}
	priv := filepath.Join(conf, "ferry", "billing", "ferry.key")
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key %s: %v", priv, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ferry.pub")); err != nil {
		t.Errorf("no ferry.pub in the project: %v", err)
	}
	keys, _ := filepath.Glob(filepath.Join(dir, "*.key"))
	if len(keys) > 0 {
		t.Errorf("private key in the repository: %v", keys)
	}
	if !strings.Contains(out, priv) {
		t.Errorf("keys generate does not say where the private key is:\n%s", out)
	}

	// Into the work tree, not ignored: refused, nothing written.
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(".ferry/\n"), 0o644)
	if _, errOut, code := run(t, "-C "+dir+" keys generate --out signing"); code != 2 || !strings.Contains(errOut, "git would commit the private key") {
		t.Errorf("keys generate --out signing in a work tree = %d %q, want 2", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "signing.key")); err == nil {
		t.Errorf("a refused keys generate wrote signing.key")
	}
	// Ignored: allowed.
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(".ferry/\n*.key\n"), 0o644)
	if out, errOut, code := run(t, "-C "+dir+" keys generate --out signing"); code != 0 {
		t.Errorf("keys generate --out signing, ignored = %d\n%s%s", code, out, errOut)
	}
}

// TestInitCIRefusesLocal: a pipeline for local environments is refused
// (each job's fresh runner has no process and no state), as is one
// without a registry to push the one build to.
func TestInitCIRefusesLocal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "billing")
	os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", "billing")))
	for _, tt := range []struct{ args, want string }{
		{"init --ci github", "add --target kube"},
		{"init --ci gitlab --target local", "add --target kube"},
		{"init --ci github --target kube", "needs --image <registry host>/<repository>"},
		{"init --ci jenkins --target kube --image r.example/x", `--ci "jenkins": github or gitlab`},
	} {
		if _, errOut, code := run(t, "-C "+dir+" "+tt.args); code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s = %d %q, want 2 with %q", tt.args, code, errOut, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ferry.yaml")); err == nil {
		t.Errorf("a refused init wrote ferry.yaml")
	}
	// A kept ferry.yaml on the local target is refused for a pipeline too.
	run(t, "-C "+dir+" init")
	if _, errOut, code := run(t, "-C "+dir+" init --ci github --target kube --image r.example/acme/billing"); code != 2 || !strings.Contains(errOut, "ferry.yaml (kept) runs staging on the local target") {
		t.Errorf("init --ci over a local ferry.yaml = %d %q", code, errOut)
	}
}

// TestInitCheckStrict: ferry check --strict passes on everything init
// writes, on either target, once the team has filled the placeholders.
func TestInitCheckStrict(t *testing.T) {
	pinBuild(t, "v0.4.0", "")
	for _, tt := range []struct{ name, args string }{
		{"billing", ""},
		{"inventory", ""},
		{"ledger", ""},
		{"billing", "--target kube --image registry.acme.internal/acme/billing --ci github"},
		{"inventory", "--target kube --image registry.acme.internal/shop/inventory --ci gitlab --env dev,staging,prod"},
	} {
		t.Run(tt.name+strings.ReplaceAll(tt.args, " ", "_"), func(t *testing.T) {
			dir := initService(t, tt.name, tt.args)
			values := map[string]string{}
			for k := range placeholders(t, dir) {
				values[k] = strings.ToLower(strings.TrimPrefix(k, "REPLACE_WITH_")) + ".db.internal"
			}
			fill(t, dir, values)
			if out, errOut, code := run(t, "-C "+dir+" check --strict"); code != 0 {
				t.Errorf("check --strict = %d\n%s%s", code, out, errOut)
			}
			// Nothing init writes is a value no template reads.
			if out, _, _ := run(t, "-C "+dir+" render staging"); strings.Contains(out, "no template reads") {
				t.Errorf("render staging of init's chart names unread values:\n%s", out)
			}
		})
	}
}

// pinBuild makes this test's ferry a build of version (or, with version
// "(devel)", of commit).
func pinBuild(t *testing.T, version, commit string) {
	t.Helper()
	saved := readBuildInfo
	t.Cleanup(func() { readBuildInfo = saved })
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/ferrydev/ferry", Version: version}}
		if commit != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "vcs.revision", Value: commit}, debug.BuildSetting{Key: "vcs.modified", Value: "true"})
		}
		return bi, true
	}
}

// TestInitPinsFerry: the pipeline installs the ferry that wrote it: the
// module version of a release, the commit of a checkout build (with a
// warning when it had local changes).
func TestInitPinsFerry(t *testing.T) {
	for _, tt := range []struct{ version, commit, want, warn string }{
		{"v0.4.0", "", "FERRY_VERSION: v0.4.0", ""},
		{"v0.0.0-20261207071516-04d0f54aa1b2+dirty", "04d0f54aa1b2c3d4e5f60718293a4b5c6d7e8f90", "FERRY_VERSION: 04d0f54aa1b2c3d4e5f60718293a4b5c6d7e8f90", "built from commit 04d0f54aa1b2 with local changes"},
		{"(devel)", "04d0f54aa1b2c3d4e5f60718293a4b5c6d7e8f90", "FERRY_VERSION: 04d0f54aa1b2c3d4e5f60718293a4b5c6d7e8f90", "local changes"},
	} {
		pinBuild(t, tt.version, tt.commit)
		dir := filepath.Join(t.TempDir(), "billing")
		os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", "billing")))
		out, errOut, code := run(t, "-C "+dir+" init --target kube --image registry.acme.internal/acme/billing --ci github")
		wf, _ := os.ReadFile(filepath.Join(dir, ".github", "workflows", "ferry.yaml"))
		if code != 0 || !strings.Contains(string(wf), tt.want) || !strings.Contains(errOut, tt.warn) {
			t.Errorf("init of build %s/%s = %d\n%s%s\nworkflow lacks %q or stderr %q", tt.version, tt.commit, code, out, errOut, tt.want, tt.warn)
		}
		if strings.Contains(string(wf), "@latest") {
			t.Errorf("the workflow installs ferry @latest")
		}
	}
	pinBuild(t, "(devel)", "")
	dir := filepath.Join(t.TempDir(), "billing")
	os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", "billing")))
	if _, errOut, code := run(t, "-C "+dir+" init --target kube --image registry.acme.internal/acme/billing --ci github"); code != 2 || !strings.Contains(errOut, "no module version or commit") {
		t.Errorf("init --ci from a build with no version = %d %q, want 2", code, errOut)
	}
}

// TestInitTakesTheChartsEnvironments: a kept chart's values-<env>.yaml
// files (ledger's deploy/helm/values-staging.yaml and values-prod.yaml,
// and a values-dev.yaml added here) name its environments; init neither
// invents others nor drops one, unless --env says so.
func TestInitTakesTheChartsEnvironments(t *testing.T) {
	for _, tt := range []struct{ flags, path string }{
		{"", "path: [dev, staging, prod]"},
		{" --env qa,prod", "path: [qa, prod]"},
	} {
		dir := filepath.Join(t.TempDir(), "ledger")
		os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "scaffold", "testdata", "ledger")))
		os.WriteFile(filepath.Join(dir, "deploy", "helm", "values-dev.yaml"), []byte("replicaCount: 1\n"), 0o644)
		if out, errOut, code := run(t, "-C "+dir+" init"+tt.flags); code != 0 {
			t.Fatalf("init%s = %d\n%s%s", tt.flags, code, out, errOut)
		}
		y, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
		if !strings.Contains(string(y), tt.path) {
			t.Errorf("init%s wrote ferry.yaml without %q:\n%s", tt.flags, tt.path, y)
		}
	}
}
