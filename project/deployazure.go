package project

import (
	"bytes"
	"maps"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Azure Pipelines: a HelmDeploy@0/@1 task is a helm command written as
// inputs (command, releaseName, chartPath, namespace, valueFile,
// overrideValues, arguments); bash: and script: steps are shell. Stages,
// jobs and deployment jobs (strategy: runOnce: deploy: steps:) name the
// environment; variables: (a mapping or a list of name/value) fill in
// $(var).

// isAzurePipeline reports whether a YAML file is an Azure Pipelines
// definition with something ferry reads in it.
func isAzurePipeline(data []byte) bool {
	has := func(s string) bool { return bytes.Contains(data, []byte(s)) }
	pipeline := (has("vmImage") || has("pool:") || has("trigger:")) && (has("steps:") || has("stages:") || has("jobs:"))
	return has("HelmDeploy@") && (pipeline || has("task:")) || pipeline && has("helm")
}

// azureCtx is what encloses a step: the job's name and environment and
// the variables in scope.
type azureCtx struct {
	hint string
	vars map[string]string
}

// azureLines reads an Azure Pipelines file: its bash:/script: steps as
// shell lines, and each HelmDeploy task as one shell line holding the
// helm command it runs (the line of its task:), with where each input
// stands so that its flags cite their own lines.
func azureLines(data []byte) (lines []shellLine, inputs map[int]map[string]int) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil, nil
	}
	inputs = map[int]map[string]int{}
	var walk func(n *yaml.Node, ctx azureCtx, depth int)
	walk = func(n *yaml.Node, ctx azureCtx, depth int) {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || depth > 12 {
			return
		}
		switch n.Kind {
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, ctx, depth+1)
			}
			return
		case yaml.MappingNode:
		default:
			return
		}
		if v := mapValue(n, "variables"); v != nil {
			ctx.vars = maps.Clone(ctx.vars)
			maps.Copy(ctx.vars, azureVars(v))
		}
		for _, k := range []string{"stage", "job", "deployment"} {
			if name := scalarOf(mapValue(n, k)); name != "" {
				ctx.hint = name
			}
		}
		if e := jobEnvironment(mapValue(n, "environment")); e != "" {
			// An Azure DevOps environment resource, named for the stage
			// and often the application (production-payments): a name
			// that holds the stage, as a job's name does.
			ctx.hint = (shellLine{vars: ctx.vars}).expand(e)
		}
		if task := scalarOf(mapValue(n, "task")); strings.HasPrefix(task, "HelmDeploy@") {
			if l, at, ok := helmDeployLine(n, ctx); ok {
				lines = append(lines, l)
				inputs[l.line] = at
			}
			return
		}
		for _, k := range []string{"bash", "script"} {
			if s := mapValue(n, k); s != nil && s.Kind == yaml.ScalarNode {
				lines = append(lines, blockLines(s, shellLine{hint: ctx.hint, vars: ctx.vars, shell: len(lines) + 1})...)
				return
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "variables" && k != "parameters" {
				walk(n.Content[i+1], ctx, depth+1)
			}
		}
	}
	walk(doc.Content[0], azureCtx{vars: map[string]string{}}, 0)
	return lines, inputs
}

// azureVars reads variables: as a mapping or as a list of {name, value}
// (a group: entry holds what the library gives, unknown here).
func azureVars(n *yaml.Node) map[string]string {
	if n.Kind != yaml.SequenceNode {
		return yamlVars(n)
	}
	out := map[string]string{}
	for _, it := range n.Content {
		if name := scalarOf(mapValue(it, "name")); name != "" {
			out[name] = scalarOf(mapValue(it, "value"))
		}
	}
	return out
}

// helmDeployLine writes a HelmDeploy task as the helm command it runs,
// and the line of each input it reads: -n, -f and each --set key.
func helmDeployLine(task *yaml.Node, ctx azureCtx) (shellLine, map[string]int, bool) {
	in := mapValue(task, "inputs")
	if in == nil || in.Kind != yaml.MappingNode {
		return shellLine{}, nil, false
	}
	get := func(k string) (string, int) {
		v := mapValue(in, k)
		if v == nil || v.Kind != yaml.ScalarNode {
			return "", 0
		}
		return strings.TrimSpace(v.Value), v.Line
	}
	cmd, _ := get("command")
	if cmd == "" {
		cmd = "upgrade" // the task's default
	}
	if cmd != "upgrade" && cmd != "install" {
		return shellLine{}, nil, false // login, package, save, …: no deploy
	}
	chart, _ := get("chartPath")
	if ct, _ := get("chartType"); strings.EqualFold(ct, "Name") || chart == "" {
		chart, _ = get("chartName")
	}
	release, _ := get("releaseName")
	if chart == "" {
		return shellLine{}, nil, false
	}
	at := map[string]int{}
	words := []string{"helm", cmd}
	if release != "" {
		words = append(words, shellQuote(release))
	}
	words = append(words, shellQuote(chart))
	if ns, n := get("namespace"); ns != "" {
		words = append(words, "--namespace", shellQuote(ns))
		at["-n\x00"+ns] = n
	}
	for _, k := range []string{"valueFile", "valueFiles"} {
		if vf, n := get(k); vf != "" {
			for i, f := range strings.Split(vf, "\n") {
				if f = strings.TrimSpace(f); f != "" {
					words = append(words, "-f", shellQuote(f))
					at["-f\x00"+f] = n + i
				}
			}
		}
	}
	if ov, n := get("overrideValues"); ov != "" {
		for i, kv := range strings.Split(ov, "\n") {
			if kv = strings.TrimSpace(kv); kv != "" {
				words = append(words, "--set", shellQuote(kv))
				for _, one := range splitSet(kv) {
					k, _, _ := strings.Cut(one, "=")
					at["--set\x00"+k] = n + i
				}
			}
		}
	}
	if args, _ := get("arguments"); args != "" {
		words = append(words, strings.ReplaceAll(args, "\n", " "))
	}
	return shellLine{text: strings.Join(words, " "), line: task.Line, hint: ctx.hint, vars: ctx.vars, last: -1}, at, true
}

// shellQuote quotes s as one shell word, $(var) and all.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// azureFlagLines puts the lines of a HelmDeploy task's inputs on its
// deploy: where its namespace, values files and --set keys are written.
func azureFlagLines(d *Deploy, at map[string]int) {
	if at == nil {
		return
	}
	for _, f := range d.flags {
		if n := at[f.kind+"\x00"+f.raw]; n > 0 {
			if d.flagLines == nil {
				d.flagLines = map[string]int{}
			}
			d.flagLines[f.kind+"\x00"+f.val] = n
		}
	}
	for i := range d.Set {
		if n := at["--set\x00"+d.Set[i].Path]; n > 0 && n != d.Line {
			d.Set[i].Line = n
		}
	}
}
