package project

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// A workflow step may run a composite action kept in the repository
// (uses: ./.github/actions/helm-release): its run: steps are the
// caller's, with ${{ inputs.x }} what the step passes in with: (itself
// often ${{ env.X }}, the caller's variables) or the input's default.

// actionReader reads the local action a step uses, called at the step's
// line: the action file's text, its path relative to the project and
// where it was called from ("" when there is none).
type actionReader func(uses string, line int) (data []byte, file, via string)

// localActions reads local actions from the repository at root for the
// CI file rel of the project at dir.
func localActions(dir, root, rel string) actionReader {
	return func(uses string, line int) ([]byte, string, string) {
		p := path.Clean(strings.TrimPrefix(uses, "./"))
		if strings.HasPrefix(p, "..") {
			return nil, "", ""
		}
		for _, name := range []string{"action.yml", "action.yaml"} {
			f := filepath.Join(root, filepath.FromSlash(p), name)
			data, err := readCIFile(f)
			if err != nil {
				continue
			}
			r, err := filepath.Rel(dir, f)
			if err != nil || strings.HasPrefix(r, "..") {
				return nil, "", ""
			}
			return data, filepath.ToSlash(r), rel + ":" + strconv.Itoa(line)
		}
		return nil, "", ""
	}
}

// actionExpr matches what a composite action's step reads from its
// caller: ${{ inputs.x }} and the workspace's path.
var actionExpr = lazyre.New(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}|\$\{\{\s*github\.workspace\s*\}\}/?`).Get

// compositeLines are the shell lines of the composite action a step
// uses, read as the calling step's (its job, environment and
// variables), each at its own line of the action file.
func compositeLines(read actionReader, uses string, with *yaml.Node, line int, ctx shellLine) []shellLine {
	if read == nil {
		return nil
	}
	data, file, via := read(uses, line)
	var doc yaml.Node
	if data == nil || yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	runs := mapValue(root, "runs")
	if scalarOf(mapValue(runs, "using")) != "composite" {
		return nil
	}
	inputs := map[string]string{}
	if decl := mapValue(root, "inputs"); decl != nil && decl.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(decl.Content); i += 2 {
			inputs[decl.Content[i].Value] = scalarOf(mapValue(decl.Content[i+1], "default"))
		}
	}
	for k, v := range yamlVars(with) {
		inputs[k] = v
	}
	fill := func(s string) string {
		return actionExpr().ReplaceAllStringFunc(s, func(m string) string {
			sm := actionExpr().FindStringSubmatch(m)
			if sm[1] == "" {
				return "" // the workspace is the repository's root
			}
			if v, ok := inputs[sm[1]]; ok {
				return v
			}
			return m
		})
	}
	steps := mapValue(runs, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return nil
	}
	var out []shellLine
	for _, st := range steps.Content {
		run := mapValue(st, "run")
		if run == nil || run.Kind != yaml.ScalarNode {
			continue
		}
		sv := ctx.vars
		if se := yamlVars(mapValue(st, "env")); len(se) > 0 {
			sv = map[string]string{}
			for k, v := range ctx.vars {
				sv[k] = v
			}
			for k, v := range se {
				sv[k] = fill(v)
			}
		}
		filled := *run
		filled.Value = fill(run.Value)
		sctx := ctx
		sctx.vars = sv
		if w := scalarOf(mapValue(st, "working-directory")); w != "" {
			sctx.workdir = fill(w)
		}
		lines := blockLines(&filled, sctx)
		for i := range lines {
			lines[i].file, lines[i].via = file, via
		}
		out = append(out, lines...)
	}
	return out
}
