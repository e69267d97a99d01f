package scaffold

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// GitLab's keywords (docs.gitlab.com/ci/yaml): what the GitLab CI JSON
// schema allows at the top level, under default: and in a job. The schema
// itself is neither a Go module nor in this repository, so this test makes
// the structural checks it would: known keys only, value types, stages
// that exist, needs that name earlier jobs, when and environment forms,
// durations GitLab parses.
var (
	glTop = []string{"default", "include", "stages", "variables", "workflow", "spec",
		"image", "services", "cache", "before_script", "after_script"}
	glDefault = []string{"after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens",
		"image", "interruptible", "retry", "services", "tags", "timeout"}
	glJob = []string{"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
		"dast_configuration", "dependencies", "environment", "extends", "hooks", "id_tokens", "identity",
		"image", "inherit", "interruptible", "manual_confirmation", "needs", "only", "except", "pages",
		"parallel", "release", "resource_group", "retry", "rules", "script", "run", "secrets", "services",
		"stage", "start_in", "tags", "timeout", "trigger", "variables", "when"}
	glWhen     = []string{"on_success", "on_failure", "always", "manual", "delayed", "never"}
	glDuration = regexp.MustCompile(`^\d+\s*(?:s|m|h|d|w|mo|y|sec|min|hr|hour|hours|minutes|seconds)(?:\s+\d+\s*(?:s|m|h|min|sec))*$`)
)

// lintGitLab returns what GitLab's schema and pipeline validation would
// refuse in a .gitlab-ci.yml.
func lintGitLab(data []byte) []string {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []string{"yaml: " + err.Error()}
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	strs := func(where string, v any) []string {
		list, ok := v.([]any)
		if !ok {
			bad("%s: want a list of strings, got %T", where, v)
			return nil
		}
		var out []string
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				bad("%s: item %v is not a string", where, x)
			}
			out = append(out, s)
		}
		return out
	}
	stages := []string{".pre", "build", "test", "deploy", ".post"}
	if v, ok := doc["stages"]; ok {
		stages = append([]string{".pre"}, append(strs("stages", v), ".post")...)
	}
	if v, ok := doc["variables"].(map[string]any); ok {
		for k, x := range v {
			if _, ok := x.(string); !ok {
				bad("variables.%s: want a string, got %T", k, x)
			}
		}
	}
	if d, ok := doc["default"].(map[string]any); ok {
		for k := range d {
			if !slices.Contains(glDefault, k) {
				bad("default.%s: not a keyword of default", k)
			}
		}
		if v, ok := d["before_script"]; ok {
			strs("default.before_script", v)
		}
	}
	if w, ok := doc["workflow"].(map[string]any); ok {
		for _, r := range w["rules"].([]any) {
			if _, ok := r.(map[string]any)["if"].(string); !ok {
				bad("workflow.rules: a rule without if")
			}
		}
	}
	jobs := map[string]map[string]any{}
	for name, v := range doc {
		if slices.Contains(glTop, name) || strings.HasPrefix(name, ".") {
			continue
		}
		job, ok := v.(map[string]any)
		if !ok {
			bad("%s: a job must be a mapping", name)
			continue
		}
		jobs[name] = job
	}
	order := map[string]int{}
	for i, s := range stages {
		order[s] = i
	}
	for name, job := range jobs {
		for k := range job {
			if !slices.Contains(glJob, k) {
				bad("%s.%s: not a job keyword", name, k)
			}
		}
		if _, ok := job["script"]; !ok && job["trigger"] == nil && job["extends"] == nil {
			bad("%s: a job needs script", name)
		} else if s, ok := job["script"]; ok {
			if list := strs(name+".script", s); len(list) == 0 {
				bad("%s.script: empty", name)
			}
		}
		stage, _ := job["stage"].(string)
		if stage == "" {
			stage = "test"
		}
		if _, ok := order[stage]; !ok {
			bad("%s.stage %q: not in stages", name, stage)
		}
		if n, ok := job["needs"]; ok {
			for _, need := range strs(name+".needs", n) {
				other, ok := jobs[need]
				if !ok {
					bad("%s.needs: no job %q", name, need)
					continue
				}
				os, _ := other["stage"].(string)
				if order[os] > order[stage] {
					bad("%s.needs: %s is in a later stage", name, need)
				}
			}
		}
		if w, ok := job["when"]; ok && !slices.Contains(glWhen, fmt.Sprint(w)) {
			bad("%s.when %v: not one of %v", name, w, glWhen)
		}
		if af, ok := job["allow_failure"]; ok {
			if _, ok := af.(bool); !ok {
				bad("%s.allow_failure: want a boolean", name)
			}
		}
		if t, ok := job["timeout"]; ok && !glDuration.MatchString(fmt.Sprint(t)) {
			bad("%s.timeout %v: not a duration GitLab reads", name, t)
		}
		switch env := job["environment"].(type) {
		case nil, string:
		case map[string]any:
			if _, ok := env["name"].(string); !ok {
				bad("%s.environment: needs name", name)
			}
			for k := range env {
				if !slices.Contains([]string{"name", "url", "on_stop", "action", "auto_stop_in", "kubernetes", "deployment_tier"}, k) {
					bad("%s.environment.%s: not an environment keyword", name, k)
				}
			}
		default:
			bad("%s.environment: want a name or a mapping", name)
		}
	}
	return errs
}

// TestGitLabPipelineValid: the .gitlab-ci.yml init writes passes the
// schema's structural checks; a near miss of each kind does not.
func TestGitLabPipelineValid(t *testing.T) {
	for _, envs := range [][]string{nil, {"dev", "staging", "production"}, {"qa", "prod"}} {
		svc, err := Detect(filepath.Join("testdata", "inventory"), "", "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(svc, Options{CI: "gitlab", Envs: envs, Target: "kube", Image: "registry.acme.internal/shop/inventory", Install: "v0.4.0"})
		if err != nil {
			t.Fatal(err)
		}
		var ci []byte
		for _, f := range p.Files {
			if f.Path == ".gitlab-ci.yml" {
				ci = f.Data
			}
		}
		if ci == nil {
			t.Fatal("no .gitlab-ci.yml planned")
		}
		for _, e := range lintGitLab(ci) {
			t.Errorf("%v: %s", envs, e)
		}
		var doc map[string]any
		yaml.Unmarshal(ci, &doc)
		last := "prod"
		if len(envs) > 0 {
			last = envs[len(envs)-1]
		}
		job, _ := doc["promote-"+last].(map[string]any)
		if env, _ := job["environment"].(map[string]any); job["when"] != "manual" || job["allow_failure"] != false || env["name"] != last {
			t.Errorf("%v: promote-%s is not a manual, blocking job in environment %s: %v", envs, last, last, job)
		}
	}
	for _, tt := range []struct{ name, doc, want string }{
		{"unknown key", "stages: [build]\nb:\n  stage: build\n  scripts: [x]\n  script: [x]\n", "b.scripts: not a job keyword"},
		{"no script", "stages: [build]\nb:\n  stage: build\n", "b: a job needs script"},
		{"bad stage", "stages: [build]\nb:\n  stage: deploy\n  script: [x]\n", `b.stage "deploy": not in stages`},
		{"bad when", "b:\n  script: [x]\n  when: manually\n", "b.when manually"},
		{"needs a later job", "stages: [a, b]\nx:\n  stage: a\n  needs: [y]\n  script: [x]\ny:\n  stage: b\n  script: [x]\n", "x.needs: y is in a later stage"},
		{"bad timeout", "b:\n  script: [x]\n  timeout: soon\n", "b.timeout soon"},
		{"environment without name", "b:\n  script: [x]\n  environment: {url: x}\n", "b.environment: needs name"},
	} {
		errs := lintGitLab([]byte(tt.doc))
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
			t.Errorf("%s: lint = %q, want %q", tt.name, errs, tt.want)
		}
	}
}
