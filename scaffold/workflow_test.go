package scaffold

import (
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

// workflow is the part of a GitHub workflow the tests read.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string            `yaml:"name"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestWorkflowLint lints the workflows init writes with actionlint (its
// Go module: expressions, contexts, action inputs, job graph) and checks
// that secrets reach commands only through env:, never inline in a
// script, where a shell trace or an echo would print them.
func TestWorkflowLint(t *testing.T) {
	tests := []struct {
		name string
		envs []string
	}{
		{"billing", nil},
		{"inventory", []string{"dev", "staging", "production"}},
		{"ledger", []string{"qa", "prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := Detect(filepath.Join("testdata", tt.name), "", "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPlan(svc, Options{CI: "github", Envs: tt.envs, Target: "kube", Image: "registry.acme.internal/team/" + tt.name, Install: "v0.4.0"})
			if err != nil {
				t.Fatal(err)
			}
			var wf []byte
			for _, f := range p.Files {
				if f.Path == ".github/workflows/ferry.yaml" {
					wf = f.Data
				}
			}
			if wf == nil {
				t.Fatal("no workflow planned")
			}
			l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(".github/workflows/ferry.yaml", wf, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("actionlint: %s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
			}

			var w workflow
			if err := yaml.Unmarshal(wf, &w); err != nil {
				t.Fatal(err)
			}
			secretRef := regexp.MustCompile(`\$\{\{\s*secrets\.`)
			sawSign := false
			for job, j := range w.Jobs {
				for _, s := range j.Steps {
					if secretRef.MatchString(s.Run) {
						t.Errorf("job %s step %q puts a secret inline in its script", job, s.Name)
					}
					for _, v := range []string{"FERRY_SIGNING_KEY", "FERRY_SIGNING_PASSWORD"} {
						if strings.Contains(s.Run, v) {
							t.Errorf("job %s step %q names %s in its script", job, s.Name, v)
						}
					}
					if strings.Contains(s.Run, "ferry build") {
						sawSign = strings.Contains(s.Run, "--sign") && strings.Contains(s.Env["FERRY_SIGNING_KEY"], "secrets.FERRY_SIGNING_KEY")
					}
				}
			}
			if !sawSign {
				t.Errorf("no step builds with --sign and the key from the secret store")
			}
		})
	}
}
