package citest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/semver"
)

// job is one CI job as the runner sees it.
type job struct {
	name string
	// needs are the jobs that must have passed first.
	needs []string
	// environment is the CI environment whose protection gates the job.
	environment string
	// manual: a person starts it (GitLab when: manual).
	manual  bool
	timeout time.Duration
	env     map[string]string
	// files are GitLab file-type variables: name → content.
	files map[string]string
	steps []step
}

// step is a run: script, or a uses: action the runner stands in for.
type step struct {
	name, run, uses string
	env, with       map[string]string
}

// result is what happened to a job.
type result string

const (
	passed  result = "passed"
	failed  result = "failed"
	skipped result = "skipped"
)

// runner runs a pipeline's jobs against a tagged origin repository.
type runner struct {
	t      *testing.T
	origin string // the repository the jobs clone
	tag    string
	// bin is the ferry that wrote the pipeline, built with the release
	// flags; pinned is the version the pipeline installs it at.
	bin, pinned string
	shim        string // directory holding the go shim
	base        map[string]string
	log         bytes.Buffer
	results     map[string]result
	ran         []string
	// between runs after each job (a test's chance to break staging).
	between func(job string)
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*(secrets|vars)\.([A-Za-z_]+)\s*\}\}`)

// newRunner makes the shared parts: the go shim and the environment every
// job starts from.
func newRunner(t *testing.T, origin, tag, bin, pinned string) *runner {
	t.Helper()
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	shim := t.TempDir()
	// The module proxy has no copy of this build, so `go install` of
	// exactly the pinned ferry with the release flags installs the ferry
	// built with them for this test; anything else is the real go.
	script := fmt.Sprintf(`#!/bin/sh
case "$*" in
*github.com/ferrydev/ferry/cmd/ferry@*)
  if [ "$*" != %q ] || [ "$CGO_ENABLED" != 0 ]; then
    echo "go shim: the pipeline installs ferry as CGO_ENABLED=$CGO_ENABLED go $*" >&2; exit 1
  fi
  gobin=$(%q env GOPATH)/bin && mkdir -p "$gobin" && cp %q "$gobin/ferry" ;;
*) exec %q "$@" ;;
esac
`, "install -trimpath -ldflags=-s -w github.com/ferrydev/ferry/cmd/ferry@"+pinned, realGo, bin, realGo)
	if err := os.WriteFile(filepath.Join(shim, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	goEnv := func(k string) string {
		out, _ := exec.Command(realGo, "env", k).Output()
		return strings.TrimSpace(string(out))
	}
	return &runner{
		t: t, origin: origin, tag: tag, bin: bin, pinned: pinned, shim: shim,
		results: map[string]result{},
		base: map[string]string{
			"CI": "true",
			// The caches setup-go and runners restore; nothing is
			// downloaded during the jobs.
			"GOMODCACHE": goEnv("GOMODCACHE"), "GOCACHE": goEnv("GOCACHE"),
			"GOPROXY": "off", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly",
			"LANG": "C.UTF-8",
		},
	}
}

// run runs the jobs in order, skipping those whose needs did not pass.
func (r *runner) run(jobs []job) {
	for _, j := range jobs {
		if slices.ContainsFunc(j.needs, func(n string) bool { return r.results[n] != passed }) {
			r.results[j.name] = skipped
			fmt.Fprintf(&r.log, "=== job %s: skipped (needs %v)\n", j.name, j.needs)
			continue
		}
		r.ran = append(r.ran, j.name)
		start := time.Now()
		if err := r.job(j); err != nil {
			r.results[j.name] = failed
			fmt.Fprintf(&r.log, "=== job %s: FAILED after %s: %v\n", j.name, time.Since(start).Round(time.Millisecond), err)
		} else {
			r.results[j.name] = passed
			fmt.Fprintf(&r.log, "=== job %s: passed in %s\n", j.name, time.Since(start).Round(time.Millisecond))
		}
		if r.between != nil {
			r.between(j.name)
		}
	}
}

// job runs one job on a fresh "runner": a new clone, HOME and temp dir.
func (r *runner) job(j job) error {
	root := r.t.TempDir()
	home, src, tmp := filepath.Join(root, "home"), filepath.Join(root, "src"), filepath.Join(root, "tmp")
	for _, d := range []string{home, tmp} {
		os.MkdirAll(d, 0o700)
	}
	if out, err := exec.Command("git", "clone", "-q", "--branch", r.tag, r.origin, src).CombinedOutput(); err != nil {
		return fmt.Errorf("clone: %v\n%s", err, out)
	}
	env := map[string]string{}
	for k, v := range r.base {
		env[k] = v
	}
	env["HOME"], env["TMPDIR"] = home, tmp
	env["PATH"] = strings.Join([]string{r.shim, filepath.Join(home, "go", "bin"), "/usr/local/bin", "/usr/bin", "/bin"}, ":")
	for k, v := range j.env {
		env[k] = v
	}
	for k, content := range j.files {
		p := filepath.Join(tmp, k)
		os.WriteFile(p, []byte(content), 0o600)
		env[k] = p
	}
	githubEnv := filepath.Join(tmp, "github_env")
	if env["GITHUB_ACTIONS"] == "true" {
		env["RUNNER_TEMP"], env["GITHUB_ENV"], env["GITHUB_WORKSPACE"] = tmp, githubEnv, src
	}
	timeout := j.timeout
	if timeout <= 0 || timeout > 5*time.Minute {
		timeout = 5 * time.Minute // the test's own bound
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	fmt.Fprintf(&r.log, "=== job %s (environment %q, manual %v)\n", j.name, j.environment, j.manual)
	for _, s := range j.steps {
		if s.uses != "" {
			if err := r.action(s, home, src); err != nil {
				return fmt.Errorf("step %s: %w", s.uses, err)
			}
			continue
		}
		fmt.Fprintf(&r.log, "--- %s\n", s.name)
		cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", s.run)
		cmd.Dir = src
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		for k, v := range s.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = &r.log, &r.log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("step %q: %v", s.name, err)
		}
		// GitHub's $GITHUB_ENV: what a step appends reaches the next.
		if data, err := os.ReadFile(githubEnv); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if k, v, ok := strings.Cut(line, "="); ok {
					env[k] = v
				}
			}
			os.Remove(githubEnv)
		}
	}
	return nil
}

// action stands in for the GitHub actions a workflow uses: the clone is
// checkout's, the host's Go (through the shim) setup-go's; the others do
// what the action would leave behind.
func (r *runner) action(s step, home, src string) error {
	name, _, _ := strings.Cut(s.uses, "@")
	switch name {
	case "actions/checkout", "actions/setup-go":
		return nil
	case "docker/login-action":
		if s.with["registry"] == "" || s.with["password"] == "" {
			return fmt.Errorf("no registry or password: %v", s.with)
		}
		auth := base64.StdEncoding.EncodeToString([]byte(s.with["username"] + ":" + s.with["password"]))
		cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, s.with["registry"], auth)
		os.MkdirAll(filepath.Join(home, ".docker"), 0o700)
		return os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(cfg), 0o600)
	case "github/codeql-action/upload-sarif":
		var sarif struct {
			Version string `json:"version"`
		}
		data, err := os.ReadFile(filepath.Join(src, s.with["sarif_file"]))
		if err != nil || json.Unmarshal(data, &sarif) != nil || sarif.Version != "2.1.0" {
			return fmt.Errorf("%s is no SARIF 2.1.0: %v", s.with["sarif_file"], err)
		}
		return nil
	}
	return fmt.Errorf("no stand-in for action %s", s.uses)
}

// githubJobs reads a GitHub workflow into jobs, in the order of needs,
// with secrets and vars from store.
func githubJobs(t *testing.T, data []byte, store map[string]string, base map[string]string) []job {
	t.Helper()
	var wf struct {
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Needs          any               `yaml:"needs"`
			Environment    string            `yaml:"environment"`
			TimeoutMinutes int               `yaml:"timeout-minutes"`
			Env            map[string]string `yaml:"env"`
			Steps          []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	expand := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = ghExpr.ReplaceAllStringFunc(v, func(e string) string {
				sm := ghExpr.FindStringSubmatch(e)
				val, ok := store[sm[1]+"."+sm[2]]
				if !ok {
					t.Errorf("the workflow reads %s.%s, which the repository's settings lack", sm[1], sm[2])
				}
				return val
			})
		}
		return out
	}
	var jobs []job
	for name, j := range wf.Jobs {
		env := expand(wf.Env)
		for k, v := range base {
			env[k] = v
		}
		for k, v := range expand(j.Env) {
			env[k] = v
		}
		nj := job{name: name, environment: j.Environment, timeout: time.Duration(j.TimeoutMinutes) * time.Minute, env: env}
		switch n := j.Needs.(type) {
		case string:
			nj.needs = []string{n}
		case []any:
			for _, x := range n {
				nj.needs = append(nj.needs, fmt.Sprint(x))
			}
		}
		if j.TimeoutMinutes == 0 {
			t.Errorf("job %s has no timeout-minutes: a stuck step would hold a runner for 6 hours", name)
		}
		for _, s := range j.Steps {
			nj.steps = append(nj.steps, step{name: s.Name, uses: s.Uses, run: s.Run, env: expand(s.Env), with: expand(s.With)})
		}
		jobs = append(jobs, nj)
	}
	return ordered(t, jobs)
}

// ordered sorts jobs so each comes after its needs (by name among equals).
func ordered(t *testing.T, jobs []job) []job {
	t.Helper()
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].name < jobs[k].name })
	var out []job
	done := map[string]bool{}
	for len(out) < len(jobs) {
		progress := false
		for _, j := range jobs {
			if !done[j.name] && !slices.ContainsFunc(j.needs, func(n string) bool { return !done[n] }) {
				out, done[j.name], progress = append(out, j), true, true
			}
		}
		if !progress {
			t.Fatalf("the jobs' needs form a cycle or name no job")
		}
	}
	return out
}

// gitlabJobs reads a .gitlab-ci.yml into jobs, stage by stage, with
// default.before_script before each job's script, the global variables,
// and the project's CI/CD variables (files written as GitLab does).
func gitlabJobs(t *testing.T, data []byte, vars, files, base map[string]string) []job {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	strs := func(v any) []string {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	}
	stages := strs(doc["stages"])
	def, _ := doc["default"].(map[string]any)
	before := strs(def["before_script"])
	var jobs []job
	for _, stage := range stages {
		var names []string
		for name, v := range doc {
			if j, ok := v.(map[string]any); ok && j["stage"] == stage {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			j := doc[name].(map[string]any)
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range doc["variables"].(map[string]any) {
				env[k] = fmt.Sprint(v)
			}
			for k, v := range vars {
				env[k] = v
			}
			nj := job{name: name, env: env, files: files, manual: j["when"] == "manual"}
			if n, ok := j["needs"]; ok {
				nj.needs = strs(n)
			} else if len(jobs) > 0 {
				nj.needs = []string{jobs[len(jobs)-1].name}
			}
			if e, ok := j["environment"].(map[string]any); ok {
				nj.environment = fmt.Sprint(e["name"])
			}
			if d, err := time.ParseDuration(fmt.Sprint(j["timeout"])); err == nil {
				nj.timeout = d
			} else {
				t.Errorf("job %s: timeout %v: %v", name, j["timeout"], err)
			}
			script := append(append([]string{}, before...), strs(j["script"])...)
			nj.steps = []step{{name: name, run: strings.Join(script, "\n")}}
			jobs = append(jobs, nj)
		}
	}
	return jobs
}

// loopbackRegistry serves an OCI registry on 127.0.0.1 for the test.
func loopbackRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// releaseBuild builds ferry as the pipeline installs it
// (CGO_ENABLED=0 -trimpath -ldflags "-s -w") and returns the binary and
// the version a pipeline it writes must pin: its module version, or its
// commit for a build from a checkout with changes or without a version.
func releaseBuild(t *testing.T) (string, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	// In go.work's workspace mode (and with -buildvcs=false) go build
	// stamps no commit; the linker flag gives it this checkout's.
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	ldflags := "-s -w -X github.com/ferrydev/ferry/internal/cli.stampCommit=" + strings.TrimSpace(string(head))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "../../cmd/ferry")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ferry: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, Commit string }
	json.Unmarshal(out, &v)
	if semver.IsValid(v.Version) && semver.Build(v.Version) == "" {
		return bin, v.Version
	}
	if v.Commit == "" {
		t.Fatalf("ferry was built with no version and no commit (%s): it cannot pin a pipeline", out)
	}
	return bin, v.Commit
}
