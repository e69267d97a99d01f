package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// unrenderedChart is a chart whose container takes a Secret whole
// (envFrom) that the chart does not render: in the cluster kubectl or an
// ExternalSecret operator makes svc-secrets; on this machine the
// environment's secretsFile stands for it.
var unrenderedChart = map[string]string{
	"chart/Chart.yaml":  "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
	"chart/values.yaml": "image:\n  repository: ghcr.io/acme/svc\n  tag: \"1.0.0\"\nmarkFile: mark.txt\n",
	"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc
spec:
  selector:
    matchLabels: {app: svc}
  template:
    metadata:
      labels: {app: svc}
    spec:
      containers:
        - name: svc
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          envFrom:
            - secretRef:
                name: svc-secrets
          env:
            - name: WRITE_FILE
              value: {{ .Values.markFile | quote }}
`,
}

// unrenderedProject copies the test service, adds unrenderedChart with
// markFile at mark, and sets staging's secretsFile (none when "").
func unrenderedProject(t *testing.T, mark, secretsFile string) (*project.Project, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/svc")); err != nil {
		t.Fatal(err)
	}
	for name, content := range unrenderedChart {
		mkdir(t, filepath.Dir(filepath.Join(dir, name)))
		writeFile(t, filepath.Join(dir, name), strings.ReplaceAll(content, "mark.txt", mark))
	}
	fy := "service: svc\nmain: .\npath: [staging, prod]\nenvironments:\n  staging:\n    soak: 1s\n"
	if secretsFile != "" {
		fy += "    secretsFile: " + secretsFile + "\n"
	}
	fy += "  prod:\n    soak: 1h\n"
	writeFile(t, filepath.Join(dir, project.FileName), fy)
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p, dir
}

// desiredStaging renders staging and asks the local target for its
// configuration.
func desiredStaging(t *testing.T, p *project.Project, l *Local) ([]platform.Var, error) {
	t.Helper()
	res, err := render.New(p).Render(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Config.Unrendered) != 1 || res.Config.Unrendered[0].Name != "svc-secrets" {
		t.Fatalf("render carries the unrendered envFrom sources %+v, want Secret svc-secrets", res.Config.Unrendered)
	}
	e, err := p.Env("staging")
	if err != nil {
		t.Fatal(err)
	}
	return l.Desired(t.Context(), e, res.Config)
}

// TestUnrenderedSecretFromSecretsFile deploys, as a real process, a
// service whose chart takes a Secret it does not render whole: the
// process gets the secrets file's keys (it writes MARK, a key only the
// file holds, where the chart's WRITE_FILE says).
func TestUnrenderedSecretFromSecretsFile(t *testing.T) {
	const canary = "canary-7f3a9c-not-printed"
	secrets := filepath.Join(t.TempDir(), "svc-staging.env")
	writeFile(t, secrets, "MARK="+canary+"\n")
	if err := os.Chmod(secrets, 0o600); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(t.TempDir(), "mark.txt")
	p, dir := unrenderedProject(t, mark, secrets)
	l, img := build(t, dir)
	vars, err := desiredStaging(t, p, l)
	if err != nil {
		t.Fatal(err)
	}
	var got *platform.Var
	for i := range vars {
		if vars[i].Key == "MARK" {
			got = &vars[i]
		}
	}
	if got == nil || !got.Secret || !strings.Contains(got.Source, "Secret svc-secrets") {
		t.Fatalf("MARK is %+v, want a secret from the secrets file standing for Secret svc-secrets", got)
	}
	if _, err := l.Deploy(t.Context(), spec(img, 1, freePort(t), vars...)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(mark)
	if err != nil || string(data) != canary {
		t.Fatalf("the process wrote %q (%v), want the secrets file's MARK", data, err)
	}
}

// TestUnrenderedSecretWithoutItsFile: without the secrets file, or with
// none set, the error is one line naming the file (or ferry.yaml) and
// the Secret, and never a value.
func TestUnrenderedSecretWithoutItsFile(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "svc-staging.env")
	tests := []struct {
		name, secretsFile string
		want              []string
	}{
		{"secrets file missing", gone, []string{"secrets file " + gone + " does not exist", "ferry.yaml:7", "the keys of Secret svc-secrets"}},
		{"no secrets file set", "", []string{`envFrom Secret svc-secrets (chart/templates/deployment.yaml) is not rendered by the chart`, "sets no secretsFile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, dir := unrenderedProject(t, "mark.txt", tt.secretsFile)
			vars, err := desiredStaging(t, p, New(dir, nil))
			if err == nil {
				t.Fatalf("Desired = %+v, want an error", vars)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") || !errors.Is(err, platform.ErrBadInput) {
				t.Errorf("error %q: want one line of bad input", msg)
			}
		})
	}
}
