package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/sign"
)

// ghWorkflow is the part of a GitHub workflow the test runs.
type ghWorkflow struct {
	Jobs map[string]struct {
		Needs string            `yaml:"needs"`
		Env   map[string]string `yaml:"env"`
		Steps []struct {
			Name string            `yaml:"name"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*(secrets|vars)\.([A-Z_]+)\s*\}\}`)

// TestWorkflowRunsLocally runs the ferry steps of the workflow ferry init
// --ci github writes, in order, with the ferry binary, on a v* tag:
// against the local target and a real registry on loopback, with the
// signing key and passphrase handed over as a CI secret store would. The
// digest built once reaches prod, signed; no secret is printed.
func TestWorkflowRunsLocally(t *testing.T) {
	dir := initService(t, "inventory", "--ci github")
	fill(t, dir, map[string]string{
		"REPLACE_WITH_STAGING_DB_HOST": "inventory-db.staging.svc.cluster.local", "REPLACE_WITH_STAGING_DB_NAME": "inventory_staging",
		"REPLACE_WITH_PROD_DB_HOST": "inventory-db.prod.svc.cluster.local", "REPLACE_WITH_PROD_DB_NAME": "inventory_prod",
	})
	localize(t, dir)
	repo := loopbackRegistry(t) + "/shop/inventory"

	// The team's one-time set-up: a key pair, the public key trusted for
	// prod, the private key and passphrase in the CI's secret store.
	const password = "ci-passphrase-never-printed"
	t.Setenv(sign.EnvPassword, password)
	if out, errOut, code := run(t, "-C "+dir+" keys generate --out ferry"); code != 0 {
		t.Fatalf("keys generate = %d\n%s%s", code, out, errOut)
	}
	pemKey, _ := os.ReadFile(filepath.Join(dir, "ferry.key"))
	os.Remove(filepath.Join(dir, "ferry.key"))
	t.Setenv(sign.EnvPassword, "")
	f, _ := os.OpenFile(filepath.Join(dir, "ferry.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\ntrust:\n  keys: [ferry.pub]\n  require: [prod]\n")
	f.Close()
	store := map[string]string{
		"secrets.FERRY_SIGNING_KEY": string(pemKey), "secrets.FERRY_SIGNING_PASSWORD": password,
		"secrets.REGISTRY_PASSWORD": "unused-on-loopback", "vars.FERRY_IMAGE": repo,
	}

	data, err := os.ReadFile(filepath.Join(dir, ".github", "workflows", "ferry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf ghWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	if wf.Jobs["promote"].Needs != "release" {
		t.Fatalf("promote job needs %q, want release", wf.Jobs["promote"].Needs)
	}
	bin := goBuild(t)
	var ran []string
	var output strings.Builder
	for _, job := range []string{"release", "promote"} {
		j := wf.Jobs[job]
		if job == "promote" {
			time.Sleep(1100 * time.Millisecond) // staging's soak
		}
		for _, step := range j.Steps {
			if !strings.Contains(step.Run, "ferry ") || strings.Contains(step.Run, "go install") {
				continue
			}
			env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"GITHUB_REF_NAME=v0.1.0", "GITHUB_ACTIONS=true", "GITHUB_REPOSITORY=shop/inventory", "GITHUB_WORKFLOW=ferry", "GITHUB_RUN_ID=42")
			for _, vars := range []map[string]string{j.Env, step.Env} {
				for k, v := range vars {
					env = append(env, k+"="+ghExpr.ReplaceAllStringFunc(v, func(m string) string {
						sm := ghExpr.FindStringSubmatch(m)
						return store[sm[1]+"."+sm[2]]
					}))
				}
			}
			cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", step.Run)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			output.Write(out)
			if err != nil {
				t.Fatalf("step %q (%s): %v\n%s", step.Name, step.Run, err, out)
			}
			ran = append(ran, step.Name)
		}
	}
	want := []string{"Check every environment", "Build once, sign, push", "Deploy staging", "Smoke and verify staging", "Show the promotion's gates", "Promote the digest staging runs"}
	if strings.Join(ran, "|") != strings.Join(want, "|") {
		t.Errorf("ran steps %q, want %q", ran, want)
	}
	for _, s := range []string{password, "PRIVATE KEY"} {
		if strings.Contains(output.String(), s) {
			t.Errorf("a step printed a secret (%q)", s[:8])
		}
	}

	sameDigestUp(t, dir)
	out, _, _ := run(t, "-C "+dir+" history prod -o json")
	var h struct {
		Revisions []struct {
			Digest    string
			Signature *struct{ Key, Signer string }
		} `json:"revisions"`
	}
	json.Unmarshal([]byte(out), &h)
	if len(h.Revisions) != 1 || h.Revisions[0].Signature == nil || h.Revisions[0].Signature.Signer != "github-actions:shop/inventory/ferry#42" {
		t.Fatalf("prod history does not record the CI job's signature:\n%s", out)
	}
	digest := h.Revisions[0].Digest
	r, _ := name.NewRepository(repo)
	if d, err := remote.Head(r.Tag("0.1.0")); err != nil || d.Digest.String() != digest {
		t.Errorf("registry tag 0.1.0 = %v, %v; want %s", d, err, digest)
	}
	if sigs, err := sign.Remote(t.Context(), r, digest); err != nil || len(sigs) != 1 {
		t.Errorf("registry signatures of %s = %d, %v; want 1", digest, len(sigs), err)
	}
	var sarif struct {
		Version string `json:"version"`
	}
	if data, err := os.ReadFile(filepath.Join(dir, "ferry.sarif")); err != nil || json.Unmarshal(data, &sarif) != nil || sarif.Version != "2.1.0" {
		t.Errorf("ferry.sarif: %v, version %q", err, sarif.Version)
	}
}
