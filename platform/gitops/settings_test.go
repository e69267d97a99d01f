package gitops

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
	"go.yaml.in/yaml/v3"
)

func TestDecodeSettings(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       Settings
		err        string
	}{
		{name: "defaults", yaml: "", want: Settings{Branch: "main", Directory: "deploy/prod", Engine: Flux,
			Object: ObjectRef{"prod", "flux-system"}, Author: Author{"ferry", "ferry@localhost"}}},
		{name: "argocd namespace default", yaml: "engine: argocd\ndirectory: apps/prod/\n", want: Settings{Branch: "main", Directory: "apps/prod", Engine: ArgoCD,
			Object: ObjectRef{"prod", "argocd"}, Author: Author{"ferry", "ferry@localhost"}}},
		{name: "all set", yaml: "repository: https://git.example/deploy.git\nbranch: envs\ndirectory: prod\nobject: {name: api, namespace: ops}\nauthor: {name: bot, email: bot@example.com}\n",
			want: Settings{Repository: "https://git.example/deploy.git", Branch: "envs", Directory: "prod", Engine: Flux,
				Object: ObjectRef{"api", "ops"}, Author: Author{"bot", "bot@example.com"}}},
		{name: "pull-request mode", yaml: "pullRequest: true\n", want: Settings{Branch: "main", Directory: "deploy/prod", Engine: Flux,
			Object: ObjectRef{"prod", "flux-system"}, Author: Author{"ferry", "ferry@localhost"}, PullRequest: true}},
		{name: "pull-request mode not a boolean", yaml: "pullRequest: when asked\n", err: `ferry.yaml:10: environment "prod": gitops.pullRequest: "when asked" is neither true nor false`},
		{name: "unknown key", yaml: "branch: main\nbrnach: x\n", err: `ferry.yaml:11: environment "prod": gitops: unknown field "brnach"`},
		{name: "unknown object key", yaml: "object:\n  nmae: x\n", err: `ferry.yaml:11: environment "prod": gitops.object: unknown field "nmae"`},
		{name: "bad engine", yaml: "engine: fleet\n", err: `ferry.yaml:10: environment "prod": gitops.engine: "fleet" is neither flux nor argocd`},
		{name: "directory escapes", yaml: "directory: ../other\n", err: `ferry.yaml:10: environment "prod": gitops.directory: "../other" must be a directory inside the repository`},
		{name: "root directory", yaml: "directory: /\n", err: `gitops.directory: "/" must be a directory`},
		{name: "bad branch", yaml: "branch: 'a b'\n", err: `gitops.branch: "a b" is not a branch name`},
		{name: "not a mapping", yaml: "[1]\n", err: `ferry.yaml:10: environment "prod": gitops must be a mapping`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The block stands at line 10 of a ferry.yaml, as when read
			// from one: errors must name its lines.
			doc := strings.Repeat("\n", 9) + tt.yaml
			var n *yaml.Node
			if tt.yaml != "" {
				var root yaml.Node
				if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
					t.Fatal(err)
				}
				n = root.Content[0]
			}
			got, err := Decode("prod", n)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.line = 0
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// The block reaches the target through project, which keeps it as YAML.
func TestSettingsFromFerryYAML(t *testing.T) {
	p := exampleProject(t, "/srv/deploy.git")
	staging, _ := p.Env("staging")
	own, err := settingsOf(staging)
	if err != nil {
		t.Fatal(err)
	}
	s := own.GitOps
	if s.Directory != "clusters/staging/orders-api" || s.Object.Name != "orders-api-staging" || s.Author.Name != "ferry-bot" || s.Repository != "/srv/deploy.git" {
		t.Errorf("staging = %+v", s)
	}
	env, _ := p.Env("prod")
	if env.Target != "gitops" {
		t.Errorf("prod target = %q", env.Target)
	}
}

// A near miss in an environment's section is refused by the gitops
// decoder at its ferry.yaml line, whichever part of the section it is in.
func TestDecodeEnvRefuses(t *testing.T) {
	tests := []struct{ name, section, err string }{
		{"key beside the block", "    target: gitops\n    gitop:\n      engine: flux\n", `ferry.yaml:5: environment "prod": unknown field "gitop" for target gitops`},
		{"local key", "    target: gitops\n    secretsFile: x.env\n", `ferry.yaml:5: environment "prod": unknown field "secretsFile" for target gitops`},
		{"negative timeout", "    target: gitops\n    timeout: -5m\n", `ferry.yaml:5: environment "prod": timeout -5m0s is negative`},
		{"wrong engine", "    target: gitops\n    gitops:\n      engine: argo\n", `ferry.yaml:6: environment "prod": gitops.engine: "argo" is neither flux nor argocd`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte("path: [prod]\nenvironments:\n  prod:\n"+tt.section), &doc); err != nil {
				t.Fatal(err)
			}
			sec := doc.Content[0].Content[3].Content[1]
			e := &project.Environment{Name: "prod", Target: "gitops", Section: sec, Line: 3}
			if _, err := decodeEnv(nil, e); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}
