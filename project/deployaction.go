package project

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// A workflow step may run a composite action kept in the repository
// (uses: ./.github/actions/helm-release): its run: steps are the
// caller's, with ${{ inputs.x }} what the step passes in with: (itself
// often ${{ env.X }}, the caller's variables) or the input's default.
// Such an action may itself use another local action. A job may call a
// reusable workflow of the repository (jobs: deploy-prod: uses:
// ./.github/workflows/deploy.yml): the called workflow's jobs are the
// caller's, its ${{ inputs.x }} filled in the same way.

// maxCalls bounds how deep local actions and reusable workflows are
// followed: GitHub itself stops reusable workflows at a few levels.
const maxCalls = 4

// actionReader reads the local action or reusable workflow a step or job
// uses, called at line of file from ("" for the CI file being read): its
// text, its path relative to the project and where it was called from
// (file:line).
type actionReader func(uses, from string, line int) (data []byte, file, via string)

// localActions reads local actions and reusable workflows from the
// repository at root for the CI file rel of the project at dir, through
// read (the repository's confined reader), noting each file read in
// called.
func localActions(dir, root, rel string, read func(string) ([]byte, error), called map[string]bool) actionReader {
	return func(uses, from string, line int) ([]byte, string, string) {
		if m := ownWorkflow.Get().FindStringSubmatch(uses); m != nil {
			if !strings.EqualFold(m[1], filepath.Base(root)) {
				return nil, "", "" // another repository's workflow: not here to read
			}
			uses = m[2] // this repository's, named as another would call it
		}
		p := path.Clean(strings.TrimPrefix(uses, "./"))
		if strings.HasPrefix(p, "..") {
			return nil, "", ""
		}
		names := []string{"action.yml", "action.yaml"}
		if ext := path.Ext(p); ext == ".yml" || ext == ".yaml" {
			names = []string{""} // a reusable workflow names its file
		}
		for _, name := range names {
			f := filepath.Join(root, filepath.FromSlash(p), name)
			data, err := read(f)
			if err != nil {
				continue
			}
			r, err := filepath.Rel(dir, f) // ../../.github/…: a service's in a monorepo
			if err != nil {
				return nil, "", ""
			}
			called[filepath.ToSlash(r)] = true
			if from == "" {
				from = rel
			}
			return data, filepath.ToSlash(r), from + ":" + strconv.Itoa(line)
		}
		return nil, "", ""
	}
}

// ownWorkflow matches a reusable workflow named by repository and ref
// (acme/orders/.github/workflows/cd.yml@develop): the repository's own
// when its name is the checkout's.
var ownWorkflow = lazyre.New(`^[\w.-]+/([\w.-]+)/(\.github/workflows/[^@/]+\.ya?ml)@\S+$`)

// actionExpr matches what a composite action's step reads from its
// caller: ${{ inputs.x }} and the workspace's path.
var actionExpr = lazyre.New(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}|\$\{\{\s*github\.workspace\s*\}\}/?`)

// inputSet are the inputs an action or reusable workflow declares
// (decl, with their defaults) as the caller's with: sets them.
type inputSet map[string]string

func inputs(decl *yaml.Node, with map[string]string) inputSet {
	in := inputSet(with)
	if decl != nil && decl.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(decl.Content); i += 2 {
			if _, ok := in[decl.Content[i].Value]; !ok {
				in[decl.Content[i].Value] = scalarOf(mapValue(decl.Content[i+1], "default"))
			}
		}
	}
	return in
}

// fill replaces in s what the caller passes in: an input (one the
// caller leaves unset stays CI's expression) and the workspace, which is
// the repository's root.
func (in inputSet) fill(s string) string {
	return actionExpr.Get().ReplaceAllStringFunc(s, func(m string) string {
		sm := actionExpr.Get().FindStringSubmatch(m)
		if sm[1] == "" {
			return ""
		}
		if v, ok := in[sm[1]]; ok {
			return strings.ReplaceAll(v, "\n", " ") // a line stays at its line
		}
		return m
	})
}

// fillAll fills in every scalar of a parsed document.
func (in inputSet) fillAll(n *yaml.Node) {
	n.Value = in.fill(n.Value)
	for _, c := range n.Content {
		in.fillAll(c)
	}
}

// calledDoc reads and parses the action or workflow uses names, called
// at line of file from; nil for none, for one already in chain (the
// actions or workflows that led here: a cycle) and past maxCalls.
func calledDoc(read actionReader, uses, from string, line int, chain []string) (root *yaml.Node, file, via string) {
	if read == nil {
		return nil, "", ""
	}
	data, file, via := read(uses, from, line)
	var doc yaml.Node
	if data == nil || slices.Contains(chain, file) || len(chain) >= maxCalls || yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil, "", ""
	}
	return doc.Content[0], file, via
}

// calledWorkflow reads the reusable workflow a job (caller) of file from
// calls: its jobs' lines as the caller's, each at its own line of the
// called file and called from the caller's uses: line.
// Its steps' shells are numbered after shell, the caller's last.
func calledWorkflow(read actionReader, caller string, job *yaml.Node, from string, chain []string, shell int, m map[string]string) []shellLine {
	u := mapValue(job, "uses")
	root, file, via := calledDoc(read, u.Value, from, u.Line, chain)
	if root == nil {
		return nil
	}
	decl := root
	for _, k := range []string{"on", "workflow_call", "inputs"} {
		decl = mapValue(decl, k)
	}
	with := yamlVars(mapValue(job, "with"))
	if m != nil {
		for k, v := range with {
			with[k] = matrixExpr.Get().ReplaceAllStringFunc(v, func(e string) string {
				if v, ok := m[matrixExpr.Get().FindStringSubmatch(e)[1]]; ok {
					return v
				}
				return e // one the entry lacks stays CI's
			})
		}
		caller += fmt.Sprint(" ", m) // each entry its own job
	}
	inputs(decl, with).fillAll(root)
	lines := ciYAMLDoc(root, false, read, append(chain, file))
	for i := range lines {
		l := &lines[i]
		l.hint = caller + "/" + l.hint // each caller its own job: another environment's deploy
		l.shell += shell
		if l.file == "" {
			l.file, l.via = file, via
		}
	}
	return lines
}

// compositeLines are the shell lines of the composite action a step
// uses (called at line of file from, with the step's with:), read as the
// calling step's (its job, environment and variables), each at its own
// line of the action file. An action the action uses is read the same
// way, up to maxCalls deep; chain are the actions that led here.
func compositeLines(read actionReader, uses string, with map[string]string, from string, line int, ctx shellLine, chain []string) []shellLine {
	root, file, via := calledDoc(read, uses, from, line, chain)
	runs := mapValue(root, "runs")
	if scalarOf(mapValue(runs, "using")) != "composite" {
		return nil
	}
	fill := inputs(mapValue(root, "inputs"), with).fill
	steps := mapValue(runs, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return nil
	}
	var out []shellLine
	for _, st := range steps.Content {
		run := mapValue(st, "run")
		uses := mapValue(st, "uses")
		if run == nil && !strings.HasPrefix(scalarOf(uses), "./") {
			continue
		}
		sctx := ctx
		if se := yamlVars(mapValue(st, "env")); len(se) > 0 {
			sctx.vars, sctx.varAt = maps.Clone(ctx.vars), maps.Clone(ctx.varAt)
			if sctx.vars == nil {
				sctx.vars = map[string]string{}
			}
			for k, v := range se {
				sctx.vars[k] = fill(v)
				delete(sctx.varAt, k) // the action's, not the calling file's
			}
		}
		if w := scalarOf(mapValue(st, "working-directory")); w != "" {
			sctx.workdir = fill(w)
		}
		if run == nil {
			w := yamlVars(mapValue(st, "with"))
			for k, v := range w {
				w[k] = fill(v)
			}
			out = append(out, compositeLines(read, uses.Value, w, file, uses.Line, sctx, append(chain, file))...)
			continue
		}
		filled := *run
		filled.Value = fill(run.Value)
		lines := blockLines(&filled, sctx)
		for i := range lines {
			lines[i].file, lines[i].via = file, via
		}
		out = append(out, lines...)
	}
	return out
}

// A job's strategy.matrix: GitHub runs the job once per entry. ferry
// expands the shape deploys use, one list (environment: [staging, prod])
// with include: entries merged into the entries they match (namespace:
// per environment) or added; a product of lists, exclude: or a list CI
// computes is the job as written.

// matrixExpr is ${{ matrix.x }}.
var matrixExpr = lazyre.New(`\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}`)

// maxMatrix bounds the entries a matrix fans out to (GitHub's is 256).
const maxMatrix = 64

// matrixEntries are the runs of a matrix, each its variables; one
// without when n is no matrix or one ferry does not expand.
func matrixEntries(n *yaml.Node) []map[string]string {
	var out []map[string]string
	var include []*yaml.Node
	key := ""
	for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if v.Kind != yaml.SequenceNode || len(v.Content) > maxMatrix || k == "exclude" || (key != "" && k != "include") {
			return []map[string]string{nil}
		}
		if k == "include" {
			include = v.Content
			continue
		}
		key = k
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode {
				return []map[string]string{nil}
			}
			out = append(out, map[string]string{k: it.Value})
		}
	}
	base := len(out)
	for _, inc := range include {
		add, merged := yamlVars(inc), false
		for _, e := range out[:base] {
			if v, ok := add[key]; !ok || v == e[key] {
				maps.Copy(e, add)
				merged = true
			}
		}
		if !merged {
			out = append(out, add)
		}
	}
	if len(out) == 0 || len(out) > maxMatrix {
		return []map[string]string{nil}
	}
	return out
}
