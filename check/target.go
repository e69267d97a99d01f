package check

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/project"
)

// Target rules: environments on Kubernetes are kept apart by context and
// namespace.

func init() {
	register(Rule{
		ID: "FERRY060", Name: "shared-namespace", Severity: Error,
		Summary: "Two environments deploy to the same cluster context and namespace",
		Help: "Two kube environments in one namespace of one cluster install over each other's " +
			"release, ConfigMaps and Secrets. Give each environment its own namespace (the " +
			"default is the environment's name) or context in ferry.yaml.",
		Check: checkSharedNamespace,
	})
}

func checkSharedNamespace(in *Input) []Finding {
	g := groupBy(in.Envs, func(e *Env) (string, bool) {
		if e.Spec == nil || e.Spec.Target != "kube" {
			return "", false
		}
		return e.Spec.Context + "\x00" + e.Spec.Namespace, true
	})
	var lines map[string]map[string]int
	var out []Finding
	for _, envs := range g.groups() {
		if lines == nil && in.Project != nil {
			lines = envLines(in.Project.Dir)
		}
		ctx, ns := envs[0].Spec.Context, envs[0].Spec.Namespace
		if ctx == "" {
			ctx = "the current context"
		} else {
			ctx = fmt.Sprintf("context %q", ctx)
		}
		var ls []Location
		for _, e := range envs {
			l := Location{Environment: e.Name, Key: "namespace", Value: ns, Source: "default (the environment's name)"}
			if n := lines[e.Name]["namespace"]; n > 0 {
				l.Source, l.File, l.Line = fmt.Sprintf("%s:%d", project.FileName, n), project.FileName, n
			} else if n := lines[e.Name][""]; n > 0 {
				l.File, l.Line = project.FileName, n
			}
			ls = append(ls, l)
		}
		out = append(out, Finding{
			Environments: names(envs), Key: "namespace", Locations: ls,
			Message: fmt.Sprintf("%s deploy to namespace %q in %s: give each environment its own namespace in %s.",
				andList(names(envs)), ns, ctx, project.FileName),
		})
	}
	return out
}

// envLines maps environment → field → line in ferry.yaml ("" is the
// environment's own line).
func envLines(dir string) map[string]map[string]int {
	out := map[string]map[string]int{}
	data, err := os.ReadFile(filepath.Join(dir, project.FileName))
	if err != nil {
		return out
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "environments" {
			continue
		}
		envs := root.Content[i+1]
		for j := 0; j+1 < len(envs.Content); j += 2 {
			name := envs.Content[j].Value
			out[name] = map[string]int{"": envs.Content[j].Line}
			spec := envs.Content[j+1]
			for k := 0; k+1 < len(spec.Content); k += 2 {
				out[name][strings.TrimSpace(spec.Content[k].Value)] = spec.Content[k].Line
			}
		}
	}
	return out
}
