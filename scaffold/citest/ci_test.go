package citest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/sign"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

// project is a service repository after the team's one-time set-up:
// ferry init --ci, placeholders filled, a signing key, the tag pushed.
type project struct {
	dir, image, staging, prod string
	// store is the CI's secret store and settings.
	pem, password, kubeconfig string
}

// ferryAt runs the release-built ferry in dir with env on top of a
// laptop's environment (its own HOME), failing the test on error.
func ferryAt(t *testing.T, bin, home, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ferry %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// setUp does what a team does once: init with a pipeline for ci, fill the
// datasource placeholders, put the environments in their namespaces (with
// the Secret the chart reads) and shorten staging's soak for the test,
// generate a signing key and trust it for prod, commit and tag.
func setUp(t *testing.T, c *testcluster.Cluster, bin, ci string) *project {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "billing")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "testdata", "billing"))); err != nil {
		t.Fatal(err)
	}
	p := &project{dir: dir, image: loopbackRegistry(t) + "/acme/billing", password: "ci-passphrase-never-printed"}
	laptop := t.TempDir()
	ferryAt(t, bin, laptop, dir, nil, "init", "--target", "kube", "--image", p.image, "--ci", ci)

	p.staging, p.prod = c.Namespace(t), c.Namespace(t)
	for _, ns := range []string{p.staging, p.prod} {
		_, err := c.Client.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "billing-secrets"},
			StringData: map[string]string{"STRIPE_API_KEY": "sk_test_" + ns},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	edit(t, filepath.Join(dir, "values-staging.yaml"), "REPLACE_WITH_STAGING_DATABASE_URL", "postgres://billing@billing-db.staging.internal:5432/billing")
	edit(t, filepath.Join(dir, "values-prod.yaml"), "REPLACE_WITH_PROD_DATABASE_URL", "postgres://billing@billing-db.prod.internal:5432/billing")
	y := filepath.Join(dir, "ferry.yaml")
	edit(t, y, "  staging:\n    target: kube\n    soak: 1m\n", "  staging:\n    target: kube\n    namespace: "+p.staging+"\n    soak: 4s\n")
	edit(t, y, "  prod:\n    target: kube\n", "  prod:\n    target: kube\n    namespace: "+p.prod+"\n")
	edit(t, y, "# trust:\n#   keys: [ferry.pub]\n#   require: [prod]\n", "trust:\n  keys: [ferry.pub]\n  require: [prod]\n")

	out := ferryAt(t, bin, laptop, dir, []string{sign.EnvPassword + "=" + p.password}, "keys", "generate")
	priv := filepath.Join(laptop, ".config", "ferry", "billing", "ferry.key")
	if !strings.Contains(out, priv) {
		t.Fatalf("keys generate did not write the private key to %s:\n%s", priv, out)
	}
	pem, err := os.ReadFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	p.pem = string(pem)
	kc, err := os.ReadFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	p.kubeconfig = string(kc)

	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=ci", "-c", "user.email=ci@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "ferry init")
	git("tag", "v0.1.0")
	if out, _ := exec.Command("git", "-C", dir, "ls-files").Output(); strings.Contains(string(out), ".key") || strings.Contains(string(out), ".ferry/") {
		t.Fatalf("the commit holds a private key or .ferry/:\n%s", out)
	}
	return p
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q (%v):\n%s", path, old, err, data)
	}
	os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}

// pipeline reads the pipeline init wrote and returns its jobs as the CI
// would run them for tag v0.1.0.
func (p *project) pipeline(t *testing.T, ci string) []job {
	t.Helper()
	switch ci {
	case "github":
		data, err := os.ReadFile(filepath.Join(p.dir, ".github", "workflows", "ferry.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		store := map[string]string{
			"secrets.KUBECONFIG": p.kubeconfig, "secrets.FERRY_SIGNING_KEY": p.pem,
			"secrets.FERRY_SIGNING_PASSWORD": p.password, "secrets.REGISTRY_PASSWORD": "token-unused-on-loopback",
			"vars.REGISTRY_USERNAME": "ci",
		}
		return githubJobs(t, data, store, map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "v0.1.0", "GITHUB_REF": "refs/tags/v0.1.0",
			"GITHUB_REPOSITORY": "acme/billing", "GITHUB_WORKFLOW": "ferry", "GITHUB_RUN_ID": "42",
		})
	case "gitlab":
		data, err := os.ReadFile(filepath.Join(p.dir, ".gitlab-ci.yml"))
		if err != nil {
			t.Fatal(err)
		}
		return gitlabJobs(t, data,
			map[string]string{"FERRY_SIGNING_PASSWORD": p.password, "REGISTRY_USERNAME": "ci", "REGISTRY_PASSWORD": "token-unused-on-loopback"},
			map[string]string{"KUBECONFIG": p.kubeconfig, "FERRY_SIGNING_KEY": p.pem},
			map[string]string{"GITLAB_CI": "true", "CI_COMMIT_TAG": "v0.1.0", "CI_PROJECT_PATH": "acme/billing", "CI_PIPELINE_ID": "42"})
	}
	t.Fatalf("no CI %q", ci)
	return nil
}

// ferryJSON runs a read command of the release-built ferry from a fresh
// clone and HOME against the cluster, and decodes its -o json.
func (p *project) ferryJSON(t *testing.T, bin string, v any, args ...string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	if out, err := exec.Command("git", "clone", "-q", p.dir, dir).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(p.kubeconfig), 0o600)
	cmd := exec.Command(bin, append([]string{"-C", dir}, append(args, "-o", "json")...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "KUBECONFIG="+kc)
	out, _ := cmd.Output()
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("ferry %v -o json: %v\n%s", args, err, out)
	}
}

// status says what each environment runs.
func (p *project) status(t *testing.T, bin string) map[string]string {
	t.Helper()
	var st struct {
		Environments []struct{ Name, Digest string } `json:"environments"`
	}
	p.ferryJSON(t, bin, &st, "status")
	got := map[string]string{}
	for _, e := range st.Environments {
		got[e.Name] = e.Digest
	}
	return got
}

// TestPipelineOnFreshRunners runs the pipeline ferry init writes, for
// GitHub and for GitLab, job by job on fresh runners against the test
// cluster and a loopback registry, from a v0.1.0 tag: the one digest the
// build job pushed and signed runs in staging and then in prod, installed
// by the ferry that wrote the pipeline; no secret is printed. With a
// container restart in staging during its soak, the soak job fails and
// the prod job never starts.
func TestPipelineOnFreshRunners(t *testing.T) {
	c := testcluster.Get(t)
	bin, pinned := releaseBuild(t)
	for _, tt := range []struct {
		ci      string
		restart bool // staging's container restarts during the soak
	}{
		{"github", false},
		{"gitlab", false},
		{"github", true},
		{"gitlab", true},
	} {
		label := tt.ci
		if tt.restart {
			label += "/soak-fails"
		}
		t.Run(label, func(t *testing.T) {
			p := setUp(t, c, bin, tt.ci)
			r := newRunner(t, p.dir, "v0.1.0", bin, pinned)
			jobs := p.pipeline(t, tt.ci)
			var names []string
			for _, j := range jobs {
				names = append(names, j.name)
			}
			if want := "build deploy-staging soak-staging promote-prod"; strings.Join(names, " ") != want {
				t.Fatalf("jobs %v, want %s", names, want)
			}
			for _, j := range jobs {
				builds := 0
				for _, s := range j.steps {
					builds += strings.Count(s.run, "ferry build ")
				}
				if want := map[bool]int{true: 1}[j.name == "build"]; builds != want {
					t.Errorf("job %s runs ferry build %d times, want %d: build once, in the build job", j.name, builds, want)
				}
			}
			last := jobs[len(jobs)-1]
			if last.environment != "prod" || (tt.ci == "gitlab" && !last.manual) {
				t.Errorf("promote-prod is not gated by the prod environment's protection: environment %q, manual %v", last.environment, last.manual)
			}
			if tt.restart {
				r.between = func(job string) {
					if job != "deploy-staging" {
						return
					}
					pods, err := c.Client.CoreV1().Pods(p.staging).List(context.Background(), metav1.ListOptions{})
					if err != nil || len(pods.Items) == 0 {
						t.Errorf("no staging pod to restart: %v", err)
						return
					}
					if err := c.SetContainerStatus(context.Background(), p.staging, pods.Items[0].Name, "billing", func(s *corev1.ContainerStatus) { s.RestartCount = 2 }); err != nil {
						t.Errorf("restart the staging container: %v", err)
					}
				}
			}
			r.run(jobs)
			logText := r.log.String()
			t.Cleanup(func() {
				if t.Failed() || testing.Verbose() {
					t.Logf("pipeline log:\n%s", logText)
				}
			})
			for _, s := range []string{p.password, "PRIVATE KEY", "sk_test_"} {
				if strings.Contains(logText, s) {
					t.Errorf("a job printed a secret (%.8q…)", s)
				}
			}
			st := p.status(t, bin)
			if tt.restart {
				if r.results["build"] != passed || r.results["deploy-staging"] != passed || r.results["soak-staging"] != failed || r.results["promote-prod"] != skipped {
					t.Fatalf("results %v: want the soak to fail and prod to be skipped", r.results)
				}
				if !regexp.MustCompile(`restarted`).MatchString(logText) {
					t.Errorf("the soak job does not say the container restarted")
				}
				if st["prod"] != "" {
					t.Errorf("prod runs %s after a failed soak", st["prod"])
				}
				return
			}
			for _, j := range names {
				if r.results[j] != passed {
					t.Fatalf("job %s %s (results %v)", j, r.results[j], r.results)
				}
			}
			ref, _ := name.NewTag(p.image + ":0.1.0")
			desc, err := remote.Head(ref)
			if err != nil {
				t.Fatalf("the registry has no 0.1.0: %v", err)
			}
			digest := desc.Digest.String()
			if st["staging"] != digest || st["prod"] != digest {
				t.Errorf("staging runs %q, prod %q; the build pushed %s", st["staging"], st["prod"], digest)
			}
			if sigs, err := sign.Remote(context.Background(), ref.Repository, digest); err != nil || len(sigs) != 1 {
				t.Errorf("signatures of %s in the registry: %d, %v; want 1", digest, len(sigs), err)
			}
			var h struct {
				Revisions []struct {
					Digest    string
					Signature *struct{ Signer string }
				} `json:"revisions"`
			}
			p.ferryJSON(t, bin, &h, "history", "prod")
			signer := map[string]string{"github": "github-actions:acme/billing/ferry#42", "gitlab": "gitlab-ci:acme/billing#42"}[tt.ci]
			if len(h.Revisions) != 1 || h.Revisions[0].Signature == nil || h.Revisions[0].Signature.Signer != signer {
				t.Errorf("prod's history does not record the CI job's signature (%s): %+v", signer, h.Revisions)
			}
		})
	}
}
