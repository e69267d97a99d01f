package project

import (
	"maps"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// CircleCI: a job's steps may call reusable commands (commands:), both
// take parameters (<< parameters.env >>) that each invocation passes —
// a workflow's job with env: prod, a step calling deploy_to_live_env
// with env: "dev" — and the pipeline has parameters of its own (<<
// pipeline.parameters.x >>). The repository is checked out at the job's
// working_directory (~/project unless said) or checkout's path: (~/git),
// so paths under it are the repository's.

// circleParam matches a parameter reference: << parameters.env >>, <<
// pipeline.parameters.channel >>.
var circleParam = lazyre.New(`<<\s*(pipeline\.)?parameters\.([A-Za-z0-9_-]+)\s*>>`)

// circleConfig is what circleLines reads besides the jobs.
type circleConfig struct {
	commands  map[string]*yaml.Node // name → the command's mapping
	executors map[string]*yaml.Node
	pipeline  map[string]string // pipeline parameters' defaults
	// enums are the values an enum pipeline parameter may take
	// (deploy_target: demo, demo1, …): the one a job's name names is the
	// job's, not the default.
	enums map[string][]string
}

// circleLines reads the run: steps of a CircleCI config's jobs, as each
// workflow invokes them (a job invoked twice with other parameters is
// read twice), reusable commands expanded where a step calls them, each
// with its job's name and environment: variables; each step runs in a
// shell of its own. A step may be an alias of one under references:.
func circleLines(data []byte) []shellLine {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	jobs := mapValue(root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil
	}
	cfg := circleConfig{commands: mapOf(mapValue(root, "commands")), executors: mapOf(mapValue(root, "executors")), pipeline: paramDefaults(mapValue(root, "parameters"), nil), enums: paramEnums(mapValue(root, "parameters"), "enum", "")}
	invoked := workflowJobs(mapValue(root, "workflows"))
	var out []shellLine
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		name, job := jobs.Content[i].Value, merged(jobs.Content[i+1])
		calls := invoked[name]
		if len(calls) == 0 {
			calls = []circleCall{{name: name}}
		}
		for _, call := range calls {
			params := paramDefaults(mapValue(job, "parameters"), call.params)
			wd := scalarOf(mapValue(job, "working_directory"))
			if wd == "" {
				wd = scalarOf(mapValue(cfg.executors[scalarOf(mapValue(job, "executor"))], "working_directory"))
			}
			if wd == "" {
				wd = "~/project"
			}
			ctx := circleCtx{cfg: &cfg, fixed: call.pipeline, hint: call.name, vars: yamlVars(mapValue(job, "environment")), wd: wd, checkout: wd}
			ctx.steps(mapValue(job, "steps"), params, &out, 0)
		}
	}
	return out
}

// circleCall is one invocation of a job by a workflow: the name it runs
// under, the parameters it passes, and the pipeline parameters the
// workflow's when: condition fixes for it.
type circleCall struct {
	name     string
	params   map[string]string
	pipeline map[string]string
}

// workflowJobs are the invocations of each job in the workflows.
func workflowJobs(wfs *yaml.Node) map[string][]circleCall {
	out := map[string][]circleCall{}
	if wfs == nil || wfs.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(wfs.Content); i += 2 {
		js := mapValue(wfs.Content[i+1], "jobs")
		if js == nil || js.Kind != yaml.SequenceNode {
			continue
		}
		// A workflow that runs when deploy_target is demo1, demo2, …
		// runs each of its jobs once per value.
		runs := []map[string]string{nil}
		if param, values := whenEquals(mapValue(wfs.Content[i+1], "when")); len(values) > 0 {
			runs = runs[:0]
			for _, v := range values {
				runs = append(runs, map[string]string{param: v})
			}
		}
		for _, j := range js.Content {
			job, call, ok := workflowCall(j)
			if !ok {
				continue
			}
			for _, run := range runs {
				call := call
				call.pipeline = run
				if len(runs) > 1 {
					// One job run per value: the value, not the job's one
					// name (demo1-deploy for demo1…demo4), names its run.
					for _, v := range run {
						call.name = v
					}
				}
				out[job] = append(out[job], call)
			}
		}
	}
	return out
}

// whenEquals reads a workflow's when: condition for the values it allows
// one pipeline parameter: equal: [demo1, << pipeline.parameters.deploy_target >>],
// alone or under and/or (values under an or are alternatives; a second
// parameter is not followed).
func whenEquals(n *yaml.Node) (param string, values []string) {
	if n == nil {
		return "", nil
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if k == "equal" && v.Kind == yaml.SequenceNode && len(v.Content) == 2 {
					val, ref := scalarOf(v.Content[0]), scalarOf(v.Content[1])
					if sm := circleParam.Get().FindStringSubmatch(ref); sm != nil && sm[1] != "" && !strings.Contains(val, "<<") {
						if param == "" || param == sm[2] {
							param = sm[2]
							values = append(values, val)
						}
					}
					continue
				}
				if k == "and" || k == "or" {
					walk(v)
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	walk(n)
	return param, values
}

// workflowCall reads one item of a workflow's jobs: list, the job it
// invokes and how.
func workflowCall(j *yaml.Node) (job string, call circleCall, ok bool) {
	switch {
	case j.Kind == yaml.ScalarNode:
		return j.Value, circleCall{name: j.Value}, true
	case j.Kind == yaml.MappingNode && len(j.Content) == 2:
		job, args := j.Content[0].Value, merged(j.Content[1])
		call := circleCall{name: job, params: map[string]string{}}
		for k := 0; k+1 < len(args.Content); k += 2 {
			if v := args.Content[k+1]; v.Kind == yaml.ScalarNode {
				call.params[args.Content[k].Value] = v.Value
			}
		}
		if n := call.params["name"]; n != "" {
			call.name = n
		}
		return job, call, true
	}
	return "", circleCall{}, false
}

// paramDefaults are a parameters: block's defaults, overridden by what
// the invocation passes.
func paramDefaults(decl *yaml.Node, passed map[string]string) map[string]string {
	out := map[string]string{}
	if decl != nil && decl.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(decl.Content); i += 2 {
			if d := mapValue(decl.Content[i+1], "default"); d != nil && d.Kind == yaml.ScalarNode {
				out[decl.Content[i].Value] = d.Value
			}
		}
	}
	maps.Copy(out, passed)
	return out
}

// paramEnums are the values each enum parameter of a parameters: block
// may take (key "enum"; a GitHub workflow_dispatch input's are its
// "options"), by prefix and name.
func paramEnums(decl *yaml.Node, key, prefix string) map[string][]string {
	out := map[string][]string{}
	if decl == nil || decl.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(decl.Content); i += 2 {
		if e := mapValue(decl.Content[i+1], key); e != nil && e.Kind == yaml.SequenceNode {
			for _, v := range e.Content {
				out[prefix+decl.Content[i].Value] = append(out[prefix+decl.Content[i].Value], v.Value)
			}
		}
	}
	return out
}

func mapOf(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = merged(n.Content[i+1])
	}
	return out
}

// circleCtx is the job being read: its config, name, variables, working
// directory, and where its checkout put the repository.
type circleCtx struct {
	cfg *circleConfig
	// fixed are the pipeline parameters the workflow's when: fixes for
	// this run of the job (deploy_target: demo2).
	fixed    map[string]string
	hint     string
	vars     map[string]string
	wd       string
	checkout string
}

// fill puts the parameters into s and the repository's checkout path
// out of it: ~/git/helm_deploy/values-<< parameters.env >>.yaml is
// helm_deploy/values-dev.yaml.
func (c *circleCtx) fill(s string, params map[string]string) string {
	if strings.Contains(s, "<<") {
		s = circleParam.Get().ReplaceAllStringFunc(s, func(m string) string {
			sm := circleParam.Get().FindStringSubmatch(m)
			src := params
			if sm[1] != "" {
				if v, ok := c.fixed[sm[2]]; ok {
					return v
				}
				src = c.cfg.pipeline
				if w := stageIn(c.hint); w != "" && slices.Contains(c.cfg.enums[sm[2]], w) {
					return w // the demo1-deploy job runs for deploy_target demo1
				}
			}
			if v, ok := src[sm[2]]; ok {
				return v
			}
			return m
		})
	}
	for _, p := range []string{c.checkout, "~/project", "/home/circleci/project"} {
		s = repoPath(s, p)
	}
	return s
}

// repoPath rewrites the repository's checkout path p in s to paths
// relative to the repository: p/x is x, p alone is ".".
func repoPath(s, p string) string {
	if p == "" || p == "." || !strings.Contains(s, p) {
		return s
	}
	s = strings.ReplaceAll(s, p+"/", "")
	var b strings.Builder
	for {
		i := strings.Index(s, p)
		if i < 0 {
			return b.String() + s
		}
		end := i + len(p)
		b.WriteString(s[:i])
		if end == len(s) || strings.ContainsRune(" \t\n\"';", rune(s[end])) {
			b.WriteString(".") // the checkout itself
		} else {
			b.WriteString(p) // ~/git-old: another directory
		}
		s = s[end:]
	}
}

// steps reads a steps: list into out: run (or deploy) steps as shell
// lines, a call of a reusable command as its steps with the parameters
// it passes, when:/unless: steps as theirs.
func (c *circleCtx) steps(steps *yaml.Node, params map[string]string, out *[]shellLine, depth int) {
	for steps != nil && steps.Kind == yaml.AliasNode {
		steps = steps.Alias
	}
	if steps == nil || steps.Kind != yaml.SequenceNode || depth > 4 {
		return
	}
	for _, st := range steps.Content {
		for st != nil && st.Kind == yaml.AliasNode {
			st = st.Alias
		}
		if st == nil || st.Kind != yaml.MappingNode || len(st.Content) < 2 {
			continue
		}
		key, arg := st.Content[0].Value, st.Content[1]
		for arg != nil && arg.Kind == yaml.AliasNode {
			arg = arg.Alias
		}
		switch {
		case key == "checkout":
			if p := scalarOf(mapValue(arg, "path")); p != "" {
				c.checkout = path.Clean(p)
			}
		case key == "run" || key == "deploy": // deploy: CircleCI's older name for a run step
			c.run(arg, params, out)
		case key == "when" || key == "unless":
			c.steps(mapValue(arg, "steps"), params, out, depth+1)
		case strings.HasSuffix(key, "/upgrade-helm-chart") || strings.HasSuffix(key, "/install-helm-chart"):
			c.helmOrb(st.Content[0].Line, strings.HasSuffix(key, "/install-helm-chart"), arg, params, out)
		case c.cfg.commands[key] != nil:
			passed := map[string]string{}
			if arg != nil && arg.Kind == yaml.MappingNode {
				for k := 0; k+1 < len(arg.Content); k += 2 {
					passed[arg.Content[k].Value] = c.fill(scalarOf(arg.Content[k+1]), params)
				}
			}
			cmd := c.cfg.commands[key]
			c.steps(mapValue(cmd, "steps"), paramDefaults(mapValue(cmd, "parameters"), passed), out, depth+1)
		}
	}
}

// run reads one run step: a command line or {command, environment,
// working_directory}.
func (c *circleCtx) run(run *yaml.Node, params map[string]string, out *[]shellLine) {
	sv, wd := c.vars, c.wd
	if run != nil && run.Kind == yaml.MappingNode {
		if se := yamlVars(mapValue(run, "environment")); len(se) > 0 {
			sv = maps.Clone(c.vars)
			maps.Copy(sv, se)
		}
		if w := scalarOf(mapValue(run, "working_directory")); w != "" {
			wd = w
		}
		run = mapValue(run, "command")
	}
	if run == nil || run.Kind != yaml.ScalarNode {
		return
	}
	filled := *run
	filled.Value = c.fill(run.Value, params)
	workdir := ""
	if w := c.fill(wd, params); w != wd && w != "." && !strings.HasPrefix(w, "~") && !strings.HasPrefix(w, "/") {
		workdir = w // a directory inside the repository
	}
	*out = append(*out, blockLines(&filled, shellLine{hint: c.hint, vars: sv, workdir: workdir, shell: len(*out) + 1})...)
}

// helmOrb reads a step of CircleCI's helm orb (helm/upgrade-helm-chart,
// helm/install-helm-chart) as the helm command the orb runs: its
// parameters are the command's flags, values-to-override its --set (a
// comma-separated list, which helm splits as it does any --set).
func (c *circleCtx) helmOrb(line int, install bool, arg *yaml.Node, params map[string]string, out *[]shellLine) {
	p := func(k string) string { return c.fill(scalarOf(mapValue(arg, k)), params) }
	chart := p("chart")
	if chart == "" {
		return
	}
	words := []string{"helm", "upgrade", "--install"}
	if install {
		words = []string{"helm", "install"}
	}
	if r := p("release-name"); r != "" {
		words = append(words, shellWord(r))
	} else if install {
		words = append(words, "--generate-name")
	}
	words = append(words, shellWord(chart))
	for _, f := range []struct{ param, flag string }{{"namespace", "--namespace"}, {"values", "--values"}, {"version", "--version"}} {
		if v := p(f.param); v != "" {
			words = append(words, f.flag, shellWord(v))
		}
	}
	if v := strings.Trim(p("values-to-override"), ", "); v != "" {
		words = append(words, "--set", shellWord(v))
	}
	cmd := &yaml.Node{Kind: yaml.ScalarNode, Value: strings.Join(words, " "), Line: line}
	*out = append(*out, blockLines(cmd, shellLine{hint: c.hint, vars: c.vars, shell: len(*out) + 1})...)
}

// shellWord quotes a parameter's value for the command line helmOrb
// writes, leaving its $VARIABLES to expand as the orb's shell would.
func shellWord(s string) string {
	if !strings.ContainsAny(s, " \t'\"&;|<>()") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
