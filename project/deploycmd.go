package project

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/shlex"
	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/lazyre"
)

// The deploy command: what the repository's CI really runs. Release
// name, namespace, values files and --set keys live in workflow files,
// Makefiles and scripts; ferry reads them so that it checks what CI
// deploys rather than what it would guess from the chart.

// Deploy is one `helm upgrade --install`, `helm install` or `helm
// template` found in the repository's CI files or scripts.
type Deploy struct {
	// File and Line locate the command, File relative to the project
	// directory (.github/workflows/deploy.yml:42).
	File string
	Line int
	// Env is the environment the command deploys: from the CI job's
	// environment:, the target or script name, or the values file.
	Env string
	// Command is upgrade, install, template, lint or "dependency build"
	// (or update).
	Command string
	// Release, Chart and Namespace as written; Namespace "" when the
	// command sets none. A part CI fills in keeps its expression.
	Release, Chart, Namespace string
	// NamespaceDefault is the expression whose default Namespace is
	// (${NS:-payments}, NS set nowhere in the repository), "" when the
	// namespace is as written.
	NamespaceDefault string
	// NamespaceAt is where the job chose the namespace when the command
	// sets none (kubectl config set-context --current --namespace=X);
	// "" otherwise.
	NamespaceAt string
	// Values are the -f files, relative to the project directory.
	Values []string
	// Set are the --set/--set-string keys.
	Set []SetFlag
	// Missing is a values file the command names for this environment
	// that does not exist (a variable's value with no values-<env>.yaml):
	// the environment has the chart's values and the command's --set.
	Missing string
	// Cluster is the cluster or kubeconfig context the command deploys
	// to, as its job chose it (aws eks update-kubeconfig --name X, gcloud
	// container clusters get-credentials X, az aks get-credentials --name
	// X, kubectl config use-context X, helm --kube-context X): "EKS
	// cluster X", "context X"; "" when the job does not say or CI fills it
	// in. ClusterAt is where it was chosen (file:line).
	Cluster, ClusterAt string
	// argo is set for an Argo CD Application, not a command; argoRepo
	// is the repository its source names.
	argo     bool
	argoRepo string
	// Creates are the ConfigMaps and Secrets the command's job makes
	// itself before it deploys (kubectl create secret generic app-db …):
	// objects the chart's pods may read that the chart does not render.
	Creates []Created
	// Via is where a wrapper script holding the command was called from
	// (.github/workflows/cd.yml:24), "" when the command stands there.
	Via string
	// Chosen says why this command defines its environment when the
	// environment has several ("the main deploy: cd.yml:127 deploys the
	// canary"), "" when it has one.
	Chosen string
	// Throwaway is set for a command that installs into a cluster its own
	// job makes and discards (kind, k3d, minikube in a CI test job): a
	// test of the chart, not an environment's deploy.
	Throwaway bool
	// Lint is set for helm lint and helm dependency build (Command
	// "dependency build"), and for a helm template whose output nothing
	// applies (> /dev/null, a schema validator, a lint job): a
	// check of the chart, not an environment's deploy.
	Lint bool
	// Tokens are the token-replacing steps of the command's CI file
	// (Azure's replacetokens): what they fill in is CI's (see tokens.go).
	Tokens []Token
	// choices are the values the script may give each variable the
	// command uses (ENVIRON=qa, then ENVIRON=prod under a condition).
	choices map[string][]string
	// domain are the values a workflow names for its inputs and matrix
	// ("inputs.environment": a workflow_dispatch choice's options,
	// "matrix.env": the job's matrix list).
	domain map[string][]string
	// arms are the branches of the if/elif before the command that each
	// assign its variables together (NAMESPACE=stage, VALUES_FILE=…).
	arms []branchArm
	// job names the CI job, target or script the command runs in, and
	// dryRun marks a --dry-run: what prefer weighs between two commands.
	job    string
	dryRun bool
	// spans are the line ranges besides the command's own that hold its
	// flags (a bash array expanded into it).
	spans [][2]int
	// last is the command's last line when known (0: it may run on for
	// up to maxCommandLines).
	last int
	// guard are the conditions of the script's branches the command runs
	// under (if [[ "$ENVIRONMENT" == "uat" ]]); envVar is the variable
	// whose value names the environment when a pattern filled it in.
	guard  []cond
	envVar string
	// envByName is set when Env is a stage word in the job's or script's
	// name (deploy-production), not an environment the job declares.
	envByName bool
	// fn and fnLine are the shell function the command runs in and the
	// line of the file that called it: two calls with other arguments
	// are two deploys.
	fn     string
	fnLine int
	// flags are the -n, -f and --kube-context words as written, and
	// flagLines the line each sits on, by kind and value as read ("-f"
	// and "deploy/values-prod.yaml"), for a command over several lines.
	flags     []flagWord
	flagLines map[string]int
	// nsVar says where the variable -n names is defined (", NAMESPACE at
	// Jenkinsfile:17"), "" when it names none or that is not known.
	nsVar string
	// origin is the file read to find the command: File itself, or the
	// CI file whose job calls the script, action or workflow File.
	origin string
	// Uncertain says why the command may not be the one that deploys
	// its environment: it stands in a branch ferry cannot decide, and
	// another command deploys the environment in another ("" when sure).
	Uncertain string
}

// flagWord is one flag of a command: its kind (-n, -f, --kube-context),
// the word as written and the value as read.
type flagWord struct{ kind, raw, val string }

// FlagLine is the line of the file that holds the command's flag kind
// (-n, -f, --kube-context) with value val: the command's own line unless
// the flag stands on one of its continuation lines.
func (d *Deploy) FlagLine(kind, val string) int {
	if n := d.flagLines[kind+"\x00"+val]; n > 0 {
		return n
	}
	return d.Line
}

// FlagLoc is FlagLine as "file:line".
func (d *Deploy) FlagLoc(kind, val string) string {
	return d.File + ":" + strconv.Itoa(d.FlagLine(kind, val))
}

// ValuesLoc is where the command names its values files: "file:line",
// or "file:line1, line2" when they stand on several lines.
func (d *Deploy) ValuesLoc() string {
	var ns []string
	for _, v := range d.Values {
		if v == "-" {
			continue // what CI pipes in: not among the environment's files
		}
		if n := strconv.Itoa(d.FlagLine("-f", v)); !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return d.Loc()
	}
	return d.File + ":" + strings.Join(ns, ", ")
}

// SetFlag is one key a deploy command sets with --set or --set-string.
type SetFlag struct {
	Path  string // the values path, image.tag
	Value string // as written; a CI expression stays one
	// String is set for --set-string.
	String bool
	// ByCI is set when CI fills the value in (${{ … }}, $VAR).
	ByCI bool
	// Line is the line of the file that holds the flag, when the
	// command spans several (0: the command's own line stands).
	Line int
	// Written is the values file the job writes with the key in it
	// (cat > values-dev-custom.yaml <<EOF), "" for a flag.
	Written string
	// Var is the variable the flag's value is (--set image.tag=$VERSION),
	// ValueLine the line of the command's file that defines it: the job's
	// variables:, a workflow's env:, an environment { } block, an export
	// VERSION=… before the command (0: not known there).
	Var       string
	ValueLine int
}

// ValueSource is where the flag's value comes from, for a command at
// line cmdLine: the line defining its variable when known, else the
// flag's own line; and what that line is.
func (s *SetFlag) ValueSource(cmdLine int) (int, string) {
	if s.ValueLine > 0 {
		return s.ValueLine, s.Var + ", for " + s.Flag()
	}
	if s.Line > 0 {
		cmdLine = s.Line // the flag's own line in a command continued over several
	}
	return cmdLine, s.Flag()
}

// Flag says how the command sets the key: "--set image.tag", or
// "s3.secretKey in values-ci.yaml, which the job writes".
func (s SetFlag) Flag() string {
	switch {
	case s.Written != "":
		return s.Path + " in " + s.Written + ", which the job writes"
	case s.String:
		return "--set-string " + s.Path
	}
	return "--set " + s.Path
}

// Loc is "file:line".
func (d *Deploy) Loc() string { return d.File + ":" + strconv.Itoa(d.Line) }

// kindLoc is Loc after what holds the deploy: "CI .gitlab-ci.yml:42",
// "Argo CD Application argocd/app-dev.yaml:1".
func (d *Deploy) kindLoc() string {
	if d.argo {
		return "Argo CD Application " + d.Loc()
	}
	return "CI " + d.Loc()
}

// ciExpr matches what CI substitutes before the command runs.
var ciExpr = lazyre.New("`[^`]*`" + `|\$\([^()]*\)|\{\{[^}]*\}\}|\$\{\{[^}]*\}\}|\$\{[A-Za-z_][A-Za-z0-9_.]*\}|\$\{(?:[A-Za-z_][A-Za-z0-9_]*|[1-9])[:\-=?+/#%^,][^{}]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\$(?:\{[1-9]\}|[1-9])`)

// wordExpr matches what holds spaces but is one shell word to CI: ${{ x }},
// $(command substitution) and `backticks`.
var wordExpr = lazyre.New("`[^`]*`" + `|\$\([^()]*\)|\$\{\{[^}]*\}\}`)

// IsCIExpr reports whether s holds something CI substitutes (${{ X }},
// $VAR, ${VAR}, $(VAR)).
func IsCIExpr(s string) bool { return ciExpr.Get().MatchString(s) }

// MaskCIExprs returns s with every CI expression in it replaced by as
// many x's: the shape of what is written around them ("repo:$(shell git
// rev-parse origin/dev)" has its tag after the last ':' of the mask).
func MaskCIExprs(s string) string {
	b := []byte(s)
	for _, sp := range ciExpr.Get().FindAllStringIndex(s, -1) {
		for i := sp[0]; i < sp[1]; i++ {
			b[i] = 'x'
		}
	}
	return string(b)
}

// findDeploys reads the deploy commands of the repository holding dir:
// GitHub Actions workflows, .gitlab-ci.yml, Makefiles and shell scripts,
// in dir and (for a service inside a repository) at the repository root.
func findDeploys(dir string) []Deploy {
	ds, _ := findDeploysWarn(dir)
	return ds
}

// yamlErrLine is the line yaml's error names.
var yamlErrLine = lazyre.New(`^line (\d+)`)

// findDeploysWarn is findDeploys with what it could not read: a CI file
// that is not valid YAML (its CI will not run it either), by file:line.
func findDeploysWarn(dir string) (out []Deploy, warnings []string) {
	seen := map[string]bool{}
	called := map[string]bool{} // wrapper scripts followed from a CI job
	// actions and reusable workflows a job uses: a reusable workflow is
	// its callers', what it deploys read as a file of its own (its
	// inputs unset, or set by a workflow itself called) would be a guess
	calledYAML := map[string]bool{}
	for _, root := range ciRoots(dir) {
		cr, err := confine.Open(root)
		if err != nil {
			continue
		}
		readCIFile := confinedRead(cr)
		var files []string
		for _, hf := range []string{"helmfile.yaml", "helmfile.yml"} {
			f := filepath.Join(root, hf)
			if seen[f] {
				continue
			}
			seen[f] = true
			if data, err := readCIFile(f); err == nil {
				rel, _ := filepath.Rel(dir, f)
				out = append(out, helmfileDeploys(data, filepath.ToSlash(rel), dir, root)...)
			}
		}
		lst := &listing{FS: cr.FS(), dirs: map[string][]fs.DirEntry{}}
		for _, f := range argoFiles(lst, root) {
			if seen[f] {
				continue
			}
			if data, err := readCIFile(f); err == nil {
				rel, _ := filepath.Rel(dir, f)
				if ds := argoDeploys(data, filepath.ToSlash(rel), dir, root); len(ds) > 0 {
					seen[f] = true // an Application, not a CI file
					out = append(out, ds...)
				}
			}
		}
		for _, pat := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", ".gitlab/ci/*.yml", ".circleci/config.yml", "Makefile", "makefile", "GNUmakefile", "Makefile.*", "*.mk", "Jenkinsfile*", "*.jenkinsfile", "*/Jenkinsfile*", "*/*.jenkinsfile", "*/*/Jenkinsfile*", "*/*/*.jenkinsfile", "*.yml", "*.yaml", ".azure-pipelines/*.yml", ".azure-pipelines/*.yaml", ".azuredevops/*.yml", ".pipelines/*.yml", "pipelines/*.yml"} {
			files = append(files, globIn(lst, root, pat)...)
		}
		files = append(files, scriptsIn(lst, root)...)
		for _, d := range []string{"bin", "scripts", "deploy", "ci"} {
			// Extension-less scripts (bin/deploy, scripts/release): only
			// the ones whose first line says a shell runs them.
			for _, f := range globIn(lst, root, d+"/*") {
				if !strings.Contains(filepath.Base(f), ".") {
					files = append(files, f)
				}
			}
		}
		// what dependencies ship (node_modules/x/Jenkinsfile) is not this repository's CI
		files = slices.DeleteFunc(files, func(f string) bool {
			return strings.Contains(f, "/node_modules/") || strings.Contains(f, "/vendor/")
		})
		sort.Strings(files)
		for _, f := range files {
			if seen[f] {
				continue
			}
			seen[f] = true
			data, err := readCIFile(f)
			if err != nil {
				continue
			}
			rel, _ := filepath.Rel(dir, f)
			rel = filepath.ToSlash(rel)
			var cmds []shellLine
			var tasks map[int]map[string]int // Azure HelmDeploy tasks' inputs, by the task's line
			switch base := filepath.Base(f); {
			case (strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml")) && !strings.HasPrefix(rel, ".github/") && !strings.Contains(rel, "/.github/") && !strings.Contains(rel, ".gitlab") && !strings.HasPrefix(rel, ".circleci/") && !strings.Contains(rel, "/.circleci/"):
				if base == "okteto.yml" || base == "okteto.yaml" {
					cmds = withAssignments(oktetoLines(data))
					break
				}
				if !isAzurePipeline(data) {
					continue // docker-compose.yml, mkdocs.yml: no CI file
				}
				cmds, tasks = azureLines(data)
				cmds = withAssignments(cmds)
			case jenkinsFile(base):
				cmds = withAssignments(jenkinsLines(data))
			case base == "Makefile" || base == "makefile" || base == "GNUmakefile" || strings.HasPrefix(base, "Makefile.") || strings.HasSuffix(base, ".mk"):
				cmds = makeFileLines(data, f, rel, readCIFile) // each recipe line is a shell of its own
			case shellName(base) || !strings.Contains(base, "."):
				if !shellName(base) && !shellShebang.Get().Match(data) {
					continue // bin/rails: a Ruby script, not a shell one
				}
				cmds = scriptLines(data, 1, strings.TrimSuffix(strings.TrimSuffix(base, ".sh"), ".bash"))
				for i := range cmds {
					cmds[i].dir = filepath.Dir(f)
				}
				cmds = withAssignments(cmds)
			case strings.HasPrefix(rel, ".circleci/") || strings.Contains(rel, "/.circleci/"):
				cmds = withAssignments(circleLines(data))
			default:
				gitlab := strings.HasPrefix(rel, ".gitlab") || strings.HasSuffix(rel, ".gitlab-ci.yml")
				if err := yaml.Unmarshal(data, &yaml.Node{}); err != nil {
					at, why := rel, strings.TrimPrefix(err.Error(), "yaml: ")
					if m := yamlErrLine.Get().FindStringSubmatch(why); m != nil {
						at, why = at+":"+m[1], strings.TrimPrefix(why, m[0]+": ")
					}
					warnings = append(warnings, fmt.Sprintf("%s: not valid YAML (%s), so CI will not run it and ferry reads no deploy command from it", at, why))
					continue
				}
				cmds = withAssignments(ciYAMLLinesWith(data, gitlab, localActions(dir, root, rel, readCIFile, calledYAML)))
			}
			cmds = flagArms(followCalls(cmds, dir, filepath.Dir(f), rel, called, readCIFile))
			markThrowaway(cmds, shellName(f))
			lines := map[string][]string{rel: strings.Split(string(data), "\n")}
			tokens := tokensIn(data, rel)            // what the file's steps fill in before they deploy
			clusters := map[string]clusterChoice{}   // by job: the cluster its kubeconfig points at
			namespaces := map[string]clusterChoice{} // by job: the namespace its context was set to
			creates := map[string][]Created{}        // by job: the ConfigMaps and Secrets it makes itself
			// by job and path: files the job writes, each with the SOPS
			// file it decrypts into it ("" for any other write)
			written := map[string]string{}
			heres := map[string]shellLine{} // by job and path: the here-document written there
			for _, c := range cmds {
				for _, w := range c.writes() {
					written[c.hint+"\x00"+w] = c.decrypts(w)
					if len(c.here) > 0 {
						heres[c.hint+"\x00"+w] = c
					}
				}
				file := rel
				if c.file != "" {
					file = c.file
				}
				if cc, ok := c.cluster(file, rel); ok {
					clusters[c.hint] = cc
				}
				if m := contextNamespace.Get().FindStringSubmatch(c.text); m != nil {
					namespaces[c.hint] = clusterChoice{c.expand(strings.Trim(m[1], `"'`)), file + ":" + strconv.Itoa(c.line)}
				}
				if o, ok := c.creates(file); ok {
					creates[c.hint] = append(creates[c.hint], o)
				}
				fileDir := filepath.Dir(f)
				if c.dir != "" {
					fileDir = c.dir
				}
				d, ok := parseHelm(c, dir, fileDir)
				if !ok {
					continue
				}
				d.File, d.origin = file, rel
				d.Tokens = tokens
				d.Throwaway = c.throwaway || throwawayContext.Get().MatchString(c.text)
				d.Lint = d.Command == "lint" || strings.HasPrefix(d.Command, "dependency") || (d.Command == "template" && (lintOutput.Get().MatchString(c.text) || lintName.Get().MatchString(c.hint) || lintName.Get().MatchString(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))))
				decrypted := map[string]string{} // a file the job decrypts: its SOPS source
				d.Values = jobValues(d.Values, dir, func(v string) (string, bool) {
					src, ok := written[c.hint+"\x00"+path.Clean(v)]
					if h, ok := heres[c.hint+"\x00"+path.Clean(v)]; ok {
						sets := h.hereSets(path.Clean(v))
						if h.file != c.file {
							// the job wrote it (a workflow's heredoc), the
							// Makefile or script it called deploys it: its
							// lines are not the deploy file's
							for i := range sets {
								sets[i].Line = 0
							}
						}
						d.Set = append(d.Set, sets...)
					}
					if src != "" {
						decrypted[v] = src
					}
					return src, ok
				})
				for i, f := range d.flags {
					if src, ok := decrypted[f.val]; ok && f.kind == "-f" && slices.Contains(d.Values, src) {
						d.flags[i].val = src // the -f that names the decrypted file names its source
					}
				}
				if _, ok := lines[file]; !ok {
					data, _ := readCIFile(filepath.Join(dir, filepath.FromSlash(file)))
					lines[file] = strings.Split(string(data), "\n")
				}
				if at, ok := tasks[c.line]; ok && c.file == "" {
					azureFlagLines(&d, at)
				} else {
					setLines(&d, lines[file])
				}
				for _, f := range d.flags {
					if c.armAt > 0 && f.kind == "-f" && !strings.Contains(c.text, f.raw) {
						if d.flagLines == nil {
							d.flagLines = map[string]int{}
						}
						d.flagLines["-f\x00"+f.val] = c.armAt // named by the arm's $GITHUB_ENV line
					}
				}
				for i := range d.Set {
					if s := &d.Set[i]; s.Var != "" {
						s.ValueLine = c.defined(s.Var, file == rel)
					}
				}
				for _, f := range d.flags {
					if m := loneVar.Get().FindStringSubmatch(f.raw); f.kind == "-n" && m != nil {
						if n := c.defined(strings.Trim(m[1], "{}"), file == rel); n > 0 {
							d.nsVar = ", " + strings.Trim(m[1], "{}") + " at " + file + ":" + strconv.Itoa(n)
						}
					}
				}
				if cn, ok := namespaces[c.hint]; ok && d.Namespace == "" && !strings.ContainsAny(cn.name, "${}") {
					d.Namespace, d.NamespaceAt = cn.name, cn.at
				}
				d.Creates = creates[c.hint]
				if d.Cluster == "" {
					cc, chosen := clusters[c.hint]
					if !chosen {
						cc = c.clusterFromVars(rel)
					}
					d.Cluster, d.ClusterAt = cc.name, cc.at
				} else {
					d.ClusterAt = d.FlagLoc("--kube-context", strings.TrimPrefix(d.Cluster, "context ")) + " (--kube-context" + c.varNote(kubeContextFlag.Get().FindStringSubmatch(c.text), rel) + ")"
				}
				out = append(out, d)
			}
		}
		cr.Close()
	}
	// A script a CI job calls is that job's: its commands as a file of
	// their own (no arguments, no job) would be a guess.
	return slices.DeleteFunc(out, func(d Deploy) bool { return d.Via == "" && called[d.File] || calledYAML[d.origin] }), warnings
}

// shellName reports whether a file's name says a shell runs it:
// deploy.sh, helm-deploy.bash.
func shellName(f string) bool { return strings.HasSuffix(f, ".sh") || strings.HasSuffix(f, ".bash") }

// shellShebang matches the first line of a script a shell runs.
var shellShebang = lazyre.New(`^#!\s*\S*(?:/|env\s+)(?:ba|z|da|k)?sh\b`)

// setLines finds the line of each --set flag of a command that spans
// several lines (continued with a backslash, or a YAML block, or a bash
// array expanded into it): the one line among the command's next few
// (and the array's) that sets that path with --set. Where none or
// several do, the flag keeps the command's line, which is where the
// command that sets it starts.
func setLines(d *Deploy, lines []string) {
	end := d.Line + maxCommandLines
	if d.last >= d.Line {
		end = d.last // the command's own lines: not the next job's same flag
	} else {
		end = yamlBlockEnd(lines, d.Line, end)
	}
	spans := append([][2]int{{d.Line, end}}, d.spans...)
	for i := range d.Set {
		s := &d.Set[i]
		if s.Written != "" {
			continue // its line is the here-document's
		}
		flag := "--set"
		if s.String {
			flag = "--set-string"
		}
		found := 0
		for _, sp := range spans {
			for n := sp[0]; n <= min(sp[1], len(lines)) && n > 0; n++ {
				l := lines[n-1]
				if at := strings.Index(l, flag); at >= 0 && setsPath(l[at:], s.Path) {
					if found != 0 && found != n {
						found = -1
						break
					}
					found = n
				}
			}
		}
		if found > 0 && found != d.Line {
			s.Line = found
		}
	}
	for _, f := range d.flags {
		names := flagNames[f.kind]
		found := 0
		for _, sp := range spans {
			for n := sp[0]; n <= min(sp[1], len(lines)) && n > 0 && found >= 0; n++ {
				l := unquote.Replace(lines[n-1])
				if !strings.Contains(l, f.raw) || !slices.ContainsFunc(names, func(fl string) bool { return hasFlag(l, fl) }) {
					continue
				}
				if found != 0 && found != n {
					found = -1
				} else {
					found = n
				}
			}
		}
		if found <= 0 && len(spans) == 1 {
			found = nthFlagLine(d, f, spans[0], lines)
		}
		if found > 0 {
			if d.flagLines == nil {
				d.flagLines = map[string]int{}
			}
			d.flagLines[f.kind+"\x00"+f.val] = found
		}
	}
}

// nthFlagLine finds flag f by its place among the command's flags of its
// kind, for a command whose words are not as the file writes them (a
// Makefile macro's $(2) filled in): the k-th --values is on the k-th
// line with one, when there are as many such lines as flags. 0 when
// they do not pair up.
func nthFlagLine(d *Deploy, f flagWord, sp [2]int, lines []string) int {
	k, n := -1, 0
	for _, o := range d.flags {
		if o.kind == f.kind {
			if o == f {
				k = n
			}
			n++
		}
	}
	var at []int
	for i := sp[0]; i <= min(sp[1], len(lines)) && i > 0; i++ {
		if slices.ContainsFunc(flagNames[f.kind], func(fl string) bool { return hasFlag(lines[i-1], fl) }) {
			at = append(at, i)
		}
	}
	if k < 0 || len(at) != n {
		return 0
	}
	return at[k]
}

// unquote drops the quotes a shell removes, for finding a word on its line.
var unquote = strings.NewReplacer(`"`, "", `'`, "")

// flagNames are the spellings of each flag kind.
var flagNames = map[string][]string{"-n": {"-n", "--namespace"}, "-f": {"-f", "--values"}, "--kube-context": {"--kube-context"}}

// hasFlag reports whether line l holds flag fl as a word of its own
// (-n, -nprod, --namespace=prod), not inside another (--no-hooks).
func hasFlag(l, fl string) bool {
	for i := 0; ; {
		j := strings.Index(l[i:], fl)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || l[j-1] == ' ' || l[j-1] == '\t'
		after := j+len(fl) >= len(l) || l[j+len(fl)] == ' ' || l[j+len(fl)] == '=' || (len(fl) == 2 && l[j+len(fl)] != '-')
		if before && after {
			return true
		}
		i = j + 1
	}
}

// yamlBlockEnd is the last line of a folded or plain YAML scalar that
// starts at line first, at most end: the scalar ends before a line
// indented less than its first, or as much and starting a new item or
// key (- name:, deploy-prod:).
func yamlBlockEnd(lines []string, first, end int) int {
	if first < 1 || first > len(lines) {
		return end
	}
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " \t")) }
	base := indent(lines[first-1])
	for n := first + 1; n <= min(end, len(lines)); n++ {
		l := lines[n-1]
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if in := indent(l); in < base || in == base && (strings.HasPrefix(t, "- ") || yamlKey.Get().MatchString(t)) {
			return n - 1
		}
	}
	return end
}

// yamlKey matches a line that starts a YAML mapping key.
var yamlKey = lazyre.New(`^[A-Za-z0-9_.-]+:(\s|$)`)

// setsPath reports whether l sets path p (image.tag=), not a path
// ending in it (nginx.image.tag=).
func setsPath(l, p string) bool {
	for i := 0; ; {
		j := strings.Index(l[i:], p+"=")
		if j < 0 {
			return false
		}
		j += i
		if j == 0 || strings.ContainsRune(" \t=,\"'", rune(l[j-1])) {
			return true
		}
		i = j + 1
	}
}

// maxCommandLines bounds how far below its first line a continued
// command is searched for its flags.
const maxCommandLines = 40

// ciRoots are dir and, when dir lies inside a repository, the repository
// root (at most four levels up), where .github/ lives.
func ciRoots(dir string) []string {
	out := []string{dir}
	d := dir
	for range 4 {
		if gitRoot(d) {
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
		if gitRoot(d) {
			out = append(out, d)
			break
		}
	}
	return out
}

// shellLine is one logical shell command line with where it stands and
// what names the context it runs in (a CI job's environment, a Makefile
// target, a script's name).
type shellLine struct {
	text string
	line int
	// env is the CI job's declared environment, "" when none.
	env string
	// hint is a job, target or script name that may name the environment.
	hint string
	// vars are the variables the job or target defines; varAt the line of
	// the CI file read (not a called workflow's) defining each one, for
	// provenance.
	vars  map[string]string
	varAt map[string]int
	// workdir is the directory the job runs in (working-directory:).
	workdir string
	// assigned are the variables the script assigned literally before
	// this line (ENVIRON=prod), their values expanded as far as known;
	// choices the ones it assigns one of several values
	// (ENVIRON=qa, then [[ … ]] && ENVIRON=prod).
	assigned map[string]string
	choices  map[string][]string
	// domain are the values the workflow allows its inputs and the job's
	// matrix (see Deploy.domain).
	domain map[string][]string
	// assignedAt is the line of each certain assignment before this line,
	// its value known (in assigned) or not (none for what an earlier step
	// exported, or a caller's argument).
	assignedAt map[string]int
	// shell numbers the shell the line runs in: a workflow's steps each
	// run in their own, so one step's variables are not the next one's.
	shell int
	// dir is the directory of the script holding the line ("" for a CI
	// file's): where "$(dirname "$0")" points. file is the script's path
	// when a CI job called it (relative to the project), via where it was
	// called from, args the arguments it was given ($1, $2).
	dir, file, via string
	args           []string
	// last is the line a continued line ends on.
	last int
	// arrays are the bash arrays the script assigned before this line
	// (HELM_SET=(--set a=b …)).
	arrays map[string]shellArray
	// overridable are a Makefile's NAMESPACE ?= test: defaults the caller
	// overrides (make deploy NAMESPACE=prod). keep leaves them as
	// written, for a command whose values file they name.
	overridable map[string]bool
	keep        bool
	// throwaway is set for the lines of a job, target or script that makes
	// its own throwaway cluster (kind create cluster, a kind action).
	throwaway bool
	// guard are the conditions of the if and case branches the line
	// stands in, its function's call's included.
	guard []cond
	// fn is the shell function the line runs in, fnLine the line that
	// called it (0: not in a function, or one nobody calls).
	fn     string
	fnLine int
	// arms are the branches of the shell's last if/elif/else before the
	// line, each with what it assigns (see branchArm).
	arms []branchArm
	// armAt is the line of the arm a command was split for (flagArms).
	armAt int
	// here is the here-document the line feeds its command (cat > f
	// <<EOF …), its first line numbered hereLine.
	here     []string
	hereLine int
}

// shellArray is a bash array's words as written, and the lines it spans.
type shellArray struct {
	words string
	spans [][2]int
}

// shellAssign matches a variable assignment at the start of a command
// (after export, local, readonly, then, else); shellSeparator splits a
// line into its commands.
var (
	shellAssign    = lazyre.New(`^\s*(?:(?:then|else|do|export|local|readonly|declare)\s+)*([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|]*)`)
	shellSeparator = lazyre.New(`&&|\|\||;`)
)

// lineAssignments returns the assignments of a line, name and value,
// and whether each starts the line.
func lineAssignments(t string) (out []struct {
	name, val string
	first     bool
}) {
	if !strings.Contains(t, "=") {
		return nil
	}
	cmds := []string{t}
	if strings.ContainsAny(t, "&|;") {
		cmds = shellSeparator.Get().Split(t, -1)
	}
	for i, c := range cmds {
		if strings.Contains(c, ")") {
			c = strings.TrimPrefix(c, casePattern.Get().FindString(c)) // prod) ENV=production ;;
		}
		if strings.Contains(c, "_ENV") {
			if m := ciEnvExport.Get().FindStringSubmatch(c); m != nil {
				n, v, _ := strings.Cut(m[1], "=")
				c = n + `="` + v + `"` // echo "export X=Y" >> $BASH_ENV sets X for the job's later steps
			}
		}
		if strings.Contains(c, "_OUTPUT") {
			if m := ciOutput.Get().FindStringSubmatch(c); m != nil {
				// echo "stage=prod" >> $GITHUB_OUTPUT: a value of the
				// step's output, ${{ steps.<id>.outputs.stage }}
				out = append(out, struct {
					name, val string
					first     bool
				}{"outputs." + m[1], m[2], i == 0 && !strings.HasPrefix(strings.TrimSpace(c), "then") && !strings.HasPrefix(strings.TrimSpace(c), "else")})
				continue
			}
		}
		if m := shellAssign.Get().FindStringSubmatch(c); m != nil {
			out = append(out, struct {
				name, val string
				first     bool
			}{m[1], m[2], i == 0 && !strings.HasPrefix(strings.TrimSpace(c), "then") && !strings.HasPrefix(strings.TrimSpace(c), "else")})
		}
	}
	return out
}

// casePattern matches the pattern opening a case arm: prod|production) .
var casePattern = lazyre.New(`^\s*\(?[A-Za-z0-9_*./|@"'\[\]-]+\)\s*`)

// ciEnvExport matches a step writing a variable into the file CI sources
// before each later step: CircleCI's $BASH_ENV, GitHub's $GITHUB_ENV.
var ciOutput = lazyre.New(`^\s*(?:then\s+|else\s+)?echo\s+(?:-e\s+)?["']?([A-Za-z_][A-Za-z0-9_-]*)=([a-z0-9-]*)["']?\s*>>\s*["']?\$\{?GITHUB_OUTPUT\}?["']?\s*$`)

var ciEnvExport = lazyre.New(`^\s*echo\s+(?:-e\s+)?["']?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*=[^"'>]*?)["']?\s*>>\s*["']?\$\{?(?:BASH_ENV|GITHUB_ENV)\}?["']?\s*$`)

// simpleRef is a plain reference to a variable: $ENV, ${ENV}, $1.
var simpleRef = lazyre.New(`\$(?:\{(?:[A-Za-z_][A-Za-z0-9_]*|[1-9])\}|[A-Za-z_][A-Za-z0-9_]*|[1-9])`)

// positional matches a reference to a script's argument.
var loneArg = lazyre.New(`^\$(?:\{[1-9]\}|[1-9])$`)

// positionalDefault is ${2:-latest}: the argument, and its default;
// dirOfAssign is X="$(dirname "$Y")"; missingFileIf is
// `if [ ! -f "$X" ]`: the variable that names the file.
var (
	dirOfAssign       = lazyre.New(`^(?:(?:export|local|readonly)\s+)?([A-Za-z_][A-Za-z0-9_]*)="?\$\(\s*dirname\s+"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?\s*\)"?$`)
	positionalDefault = lazyre.New(`^\$\{([1-9]):?-([^{}$]*)\}$`)
	missingFileIf     = lazyre.New(`^if\s+\[\[?\s+!\s+-[fe]\s+"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?\s*\]`)
)

var positional = lazyre.New(`\$(?:\{[1-9]\}|[1-9])`)

// arrayAssign matches a bash array assignment, name, += and words;
// scriptDirAssign the idiom that sets a variable to the script's own
// directory or one above it, and how far up.
var (
	arrayAssign     = lazyre.New(`(?s)^(?:(?:local|declare|typeset|export|readonly)\s+(?:-a\s+)?)?([A-Za-z_][A-Za-z0-9_]*)(\+?)=\((.*)\)\s*;?$`)
	scriptDirAssign = lazyre.New(`^(?:(?:export|local|readonly)\s+)?([A-Za-z_][A-Za-z0-9_]*)="?\$\((?:\s*cd\s+"?)?\$\(\s*dirname\s+"?\$(?:\{BASH_SOURCE\[0\]\}|\{BASH_SOURCE\}|BASH_SOURCE|0|\{0\})"?\s*\)"?((?:/\.\.)*)/?"?(?:\s*(?:&&|;)\s*pwd(?:\s+-P)?\s*)?\)"?$`)
)

// withAssignments gives each line the variables the script assigned
// before it. An assignment at the start of a line outside if/case is
// certain and replaces what came before; one after a condition or
// inside if/case is one choice among others, and a variable with
// choices is left for CI (or a values file pattern) to fill in. A new
// job or step (a different hint) starts afresh.
func withAssignments(lines []shellLine) []shellLine {
	assigned := map[string]string{}
	assignedAt := map[string]int{}
	choices := map[string][]string{}
	arrays := map[string]shellArray{}
	depth, hint, shell := 0, "", 0
	// fallback is the variable an `if [ ! -f "$X" ]` being read assigns
	// only when its file is missing, fallbackDepth that if's depth.
	fallback, fallbackDepth := "", 0
	cd := ""                       // where the shell's `cd` lines took it, relative to the job's directory
	var arms, lastArms []branchArm // the top-level if being read, the last one closed
	// jobEnv are the variables a step wrote into $BASH_ENV or $GITHUB_ENV:
	// every later step of the job starts with them.
	jobEnv := map[string]string{}
	// jobArms are the last if or case whose arms wrote variables there
	// (case "$NS" in prod) echo "VALUES=-f values-prod.yaml" >> $GITHUB_ENV):
	// the arms the job's later steps run under.
	var jobArms []branchArm
	// jobOutputs are the values steps echo into $GITHUB_OUTPUT, which a
	// later step reads as ${{ steps.<id>.outputs.X }}: its choices.
	jobOutputs := map[string][]string{}
	for i := range lines {
		l := &lines[i]
		if i == 0 || l.hint != hint || l.shell != shell {
			if i == 0 || l.hint != hint {
				jobEnv, jobArms, jobOutputs = map[string]string{}, nil, map[string][]string{}
			}
			assigned, choices, arrays, depth, hint, shell = maps.Clone(jobEnv), maps.Clone(jobOutputs), map[string]shellArray{}, 0, l.hint, l.shell
			assignedAt = map[string]int{}
			cd = ""
			arms, lastArms = nil, jobArms
			for n, a := range l.args {
				assigned[strconv.Itoa(n+1)] = a // a called script's $1, $2
			}
		}
		l.assigned, l.assignedAt, l.choices, l.arrays, l.arms = assigned, assignedAt, choices, arrays, lastArms
		t := strings.TrimSpace(l.text)
		arms = trackArms(arms, t, l.line, depth)
		if n := len(arms); n > 0 && arms[n-1].before == nil {
			// what held before the if: an arm that does not assign a
			// variable keeps it (namespace="shop" above the if)
			arms[n-1].before = assigned
			if n > 1 {
				arms[n-1].before = arms[0].before
			}
		}
		if l.dir == "" { // a CI step's shell; a script's paths are its own
			if m := cdLine.Get().FindStringSubmatch(t); m != nil && depth == 0 {
				cd = path.Join(cd, strings.Trim(m[1], `"'`))
			}
			if cd != "" {
				l.workdir = path.Join(l.workdir, cd)
			}
		}
		if !strings.Contains(t, "=(") {
			// no array here (the common case: skip the regexp)
		} else if m := arrayAssign.Get().FindStringSubmatch(t); m != nil {
			// HELM_SET=( "--set" "a=b" … ): its words, expanded where the
			// array is used. One assigned under a condition counts too: it
			// holds flags, which say which keys CI sets.
			arrays = maps.Clone(arrays)
			a := shellArray{words: m[3], spans: [][2]int{{l.line, max(l.last, l.line)}}}
			if old, ok := arrays[m[1]]; ok && m[2] == "+" {
				a.words = old.words + " " + a.words
				a.spans = append(slices.Clip(old.spans), a.spans...)
			}
			arrays[m[1]] = a
			l.arrays = arrays
			continue
		}
		if l.dir == "" || !strings.Contains(t, "dirname") {
			// not the script-directory idiom
		} else if m := scriptDirAssign.Get().FindStringSubmatch(t); m != nil {
			// ROOT=$(cd "$(dirname "$0")/.." && pwd): a path ferry knows.
			assigned, assignedAt = maps.Clone(assigned), maps.Clone(assignedAt)
			assigned[m[1]], assignedAt[m[1]] = filepath.Join(l.dir, filepath.FromSlash(m[2])), l.line
			l.assigned, l.assignedAt = assigned, assignedAt
			continue
		} else if m := dirOfAssign.Get().FindStringSubmatch(t); m != nil && filepath.IsAbs(assigned[m[2]]) {
			// PROJECT_ROOT="$(dirname "$SCRIPT_DIR")": the script
			// directory's parent
			assigned, assignedAt = maps.Clone(assigned), maps.Clone(assignedAt)
			assigned[m[1]], assignedAt[m[1]] = filepath.Dir(assigned[m[2]]), l.line
			l.assigned, l.assignedAt = assigned, assignedAt
			continue
		}
		opens := strings.HasPrefix(t, "if ") || strings.HasPrefix(t, "case ") || strings.HasPrefix(t, "for ") || strings.HasPrefix(t, "while ")
		closes := strings.HasSuffix(t, "fi") || strings.HasSuffix(t, "esac") || strings.HasSuffix(t, "done")
		if fm := missingFileIf.Get().FindStringSubmatch(t); fm != nil && fallback == "" {
			fallback, fallbackDepth = fm[1], depth+1
		} else if fallback != "" && closes && !opens && depth <= fallbackDepth {
			fallback = ""
		}
		ms := lineAssignments(t)
		if len(arms) > 0 && depth == 1 {
			for _, m := range ms {
				arms[len(arms)-1].vars[m.name] = (shellLine{vars: l.vars, assigned: assigned}).expandDefault(strings.Trim(m.val, `"'`))
				arms[0].exported = arms[0].exported || strings.Contains(t, "_ENV") && strings.Contains(t, ">>") // echo "X=…" >> $GITHUB_ENV
			}
			if strings.HasSuffix(t, ";;") {
				arms[len(arms)-1].done = true
			}
		}
		if len(ms) > 0 {
			// Copy on write: earlier lines keep what held for them.
			assigned, assignedAt, choices = maps.Clone(assigned), maps.Clone(assignedAt), maps.Clone(choices)
		}
		for _, m := range ms {
			name, val := m.name, strings.Trim(m.val, `"'`)
			if strings.HasPrefix(name, "outputs.") {
				if val != "" && !slices.Contains(jobOutputs[name], val) {
					jobOutputs = maps.Clone(jobOutputs)
					jobOutputs[name] = append(slices.Clone(jobOutputs[name]), val)
				}
				choices[name] = jobOutputs[name]
				continue
			}
			if fallback != "" && name == fallback && depth >= fallbackDepth {
				continue // [ ! -f "$VALUES_FILE" ] && VALUES_FILE=values.yaml: for a file that is not there
			}
			if m.first && depth == 0 && !opens {
				assignedAt[name] = l.line // what the next lines see is defined here, known or not
			} else {
				delete(assignedAt, name) // one of several
			}
			if pm := positionalDefault.Get().FindStringSubmatch(val); pm != nil && !envLike(pm[2]) && m.first && depth == 0 && !opens {
				if _, given := assigned[pm[1]]; !given {
					// VERSION=${2:-latest}, the script run without it: what
					// the caller gives, else the default (an environment's
					// name stays the pattern it is)
					assigned[name] = "${" + name + ":-" + pm[2] + "}"
					delete(choices, name)
					continue
				}
			}
			val = (shellLine{vars: l.vars, assigned: assigned, choices: choices}).expandDefault(val)
			if strings.ContainsAny(simpleRef.Get().ReplaceAllString(val, ""), "$`") {
				// ${X:-y} of an X CI sets, $(cmd): known only when the
				// script runs.
				delete(assigned, name)
				delete(choices, name)
				continue
			}
			if positional.Get().MatchString(val) {
				// $1 with no caller ferry followed: the script's argument.
				delete(assigned, name)
				delete(choices, name)
				continue
			}
			certain := m.first && depth == 0 && !opens
			if certain {
				assigned[name] = val
				delete(choices, name)
				if strings.Contains(t, "_ENV") && ciEnvExport.Get().MatchString(t) {
					jobEnv = maps.Clone(jobEnv)
					jobEnv[name] = val
				}
				continue
			}
			if old, ok := assigned[name]; ok {
				choices[name] = []string{old}
				delete(assigned, name)
			}
			if !slices.Contains(choices[name], val) {
				choices[name] = append(slices.Clone(choices[name]), val)
			}
		}
		if opens && !closes {
			depth++
		}
		if closes && !opens && depth > 0 {
			depth--
			if depth == 0 && len(arms) > 0 {
				exported := arms[0].exported
				if arms[0].caseHead {
					arms = arms[1:]
				}
				if exported && len(arms) > 0 {
					jobArms = arms
				}
				lastArms, arms = arms, nil
			}
		}
		l.assigned, l.assignedAt, l.choices = assigned, assignedAt, choices
	}
	return lines
}

// scriptLines splits a shell script into logical lines (backslash
// continuations joined), numbered from first.
func scriptLines(data []byte, first int, hint string) []shellLine {
	var out []shellLine
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := first - 1
	heredoc := ""    // the terminator of a here-document being skipped
	inArray := false // inside a bash array's lines
	for sc.Scan() {
		n++
		l := sc.Text()
		if heredoc != "" {
			if strings.TrimSpace(l) == heredoc {
				heredoc = ""
			} else if k := len(out) - 1; k >= 0 && len(out[k].here) < maxHereLines {
				if out[k].hereLine == 0 {
					out[k].hereLine = n
				}
				out[k].here = append(out[k].here, l)
			}
			continue
		}
		if !strings.Contains(l, "<<") {
			// no here-document starts here
		} else if m := hereDoc.Get().FindStringSubmatch(l); m != nil && !hereToShell.Get().MatchString(l[:strings.Index(l, "<<")]) {
			// A here-document's lines are text a command reads (cat <<EOF
			// prints them), not commands — unless a shell reads them.
			heredoc = m[1]
		}
		if cur.Len() == 0 {
			start = n
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") {
				continue
			}
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\"))
			cur.WriteByte(' ')
			continue
		}
		if t := strings.TrimSpace(l); inArray && strings.HasPrefix(t, "#") {
			continue // a comment inside an array's lines
		}
		cur.WriteString(l)
		if (inArray || strings.Contains(l, "=(")) && openArray(cur.String()) && n-start < maxCommandLines {
			cur.WriteByte(' ') // ARGS=( spans lines until its )
			inArray = true
			continue
		}
		inArray = false
		out = append(out, shellLine{text: cur.String(), line: start, last: n, hint: hint})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, shellLine{text: cur.String(), line: start, last: n, hint: hint})
	}
	return withBranches(out)
}

// maxHereLines bounds the here-document a line keeps: a values file a
// job writes is short; a page of text is not one.
const maxHereLines = 200

// arrayStart matches the start of a bash array assignment.
var arrayStart = lazyre.New(`^\s*(?:(?:local|declare|typeset|export|readonly)\s+(?:-a\s+)?)?[A-Za-z_][A-Za-z0-9_]*\+?=\(`)

// openArray reports whether s starts a bash array whose ) has not come.
func openArray(s string) bool {
	return arrayStart.Get().MatchString(s) && strings.Count(s, "(") > strings.Count(s, ")")
}

var (
	hereDoc     = lazyre.New(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)
	hereToShell = lazyre.New(`(^|[\s|;&/])(bash|sh|zsh|ssh|kubectl\s+exec)(\s|$)`)
	makeTarget  = lazyre.New(`^([A-Za-z0-9_.%/-]+)\s*:([^=]|$)`)
	makeVar     = lazyre.New(`^([A-Za-z_][A-Za-z0-9_]*)\s*([:?]?)=\s*(.*)$`)
)

// makeLines reads a Makefile's recipe lines, each with its target's name
// and the file's variables (with those of the files it includes, in
// dir). A recipe line that calls a define'd macro ($(call deploy,ctx,ns,
// values-stage.yaml)) stands for the macro's lines, its $(1), $(2)
// filled in, at the macro's own lines.
func makeLines(data []byte, dir string, readCIFile func(string) ([]byte, error)) []shellLine {
	vars := map[string]string{}
	overridable := map[string]bool{}
	defines := map[string][]shellLine{}
	// choices are the values ifeq compares a variable with, branchVars
	// what each branch (variable\x00value; \x00 alone the else) assigns.
	choices, branchVars := map[string][]string{}, map[string]map[string]string{}
	target, define, branch := "", "", ""
	var out []shellLine
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if define != "" {
			if strings.TrimSpace(l) == "endef" {
				define = ""
				continue
			}
			start := i + 1
			text := strings.TrimLeft(l, "\t@-+ ")
			for strings.HasSuffix(text, "\\") && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "endef" {
				i++
				text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(lines[i])
			}
			defines[define] = append(defines[define], shellLine{text: strings.TrimSuffix(text, "\\"), line: start, last: i + 1})
			continue
		}
		if strings.HasPrefix(l, "\t") {
			start := i + 1
			text := strings.TrimLeft(l, "\t@-+ ")
			for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
				i++
				text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(lines[i])
			}
			if m := makeCall.Get().FindStringSubmatch(text); m != nil && defines[m[1]] != nil {
				args := splitMakeArgs(m[2])
				for _, d := range defines[m[1]] {
					d.text = makeArg.Get().ReplaceAllStringFunc(d.text, func(a string) string {
						if n, _ := strconv.Atoi(strings.Trim(a, "${}()")); n >= 1 && n <= len(args) {
							return strings.TrimSpace(args[n-1])
						}
						return ""
					})
					d.hint, d.vars, d.overridable = target, vars, overridable
					out = append(out, d)
				}
				continue
			}
			out = append(out, shellLine{text: text, line: start, last: i + 1, hint: target, vars: vars, overridable: overridable})
			continue
		}
		if m := makeDefine.Get().FindStringSubmatch(l); m != nil {
			define = m[1]
			continue
		}
		if m := makeInclude.Get().FindStringSubmatch(l); m != nil && dir != "" && readCIFile != nil {
			for _, pat := range strings.Fields(m[1]) {
				fs, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pat)))
				for _, f := range fs {
					if inc, err := readCIFile(f); err == nil {
						for _, il := range strings.Split(string(inc), "\n") {
							if m := makeVar.Get().FindStringSubmatch(il); m != nil {
								vars[m[1]] = makeValue(m[3])
							}
						}
					}
				}
			}
			continue
		}
		if m := makeIfeq.Get().FindStringSubmatch(l); m != nil {
			v, val := cmp.Or(m[1], m[4]), cmp.Or(m[2], m[3])
			if !slices.Contains(choices[v], val) {
				choices[v] = append(choices[v], val)
			}
			branch = v + "\x00" + val
			continue
		}
		if t := strings.TrimSpace(l); branch != "" && (t == "else" || t == "endif") {
			v, _, _ := strings.Cut(branch, "\x00")
			branch = ""
			if t == "else" {
				branch = v + "\x00"
			}
			continue
		}
		if m := makeVar.Get().FindStringSubmatch(strings.TrimSpace(l)); m != nil && branch != "" {
			// an ifeq ($(BUILD_ENV),prod) branch's: the value's, not every
			// run's
			if branchVars[branch] == nil {
				branchVars[branch] = map[string]string{}
			}
			branchVars[branch][m[1]] = makeValue(m[3])
			continue
		}
		if m := makeVar.Get().FindStringSubmatch(l); m != nil {
			vars[m[1]] = makeValue(m[3])
			if m[2] == "?" && !strings.Contains(m[3], "$") {
				overridable[m[1]] = true
			} else {
				delete(overridable, m[1])
			}
			continue
		}
		if m := makeTarget.Get().FindStringSubmatch(l); m != nil {
			target = m[1]
		}
	}
	return makeRecursive(makeChoices(out, choices, branchVars))
}

// makeChoices makes, of a helm line that passes a variable an ifeq of the
// Makefile compares (--set global.env=$(BUILD_ENV), with BUILD_ENV ?= dev
// and ifeq ($(BUILD_ENV),prod)), one line per value: the default's and
// each the caller may give, each naming the environment of that value
// and with what its branch assigns. A values file it names is
// keepOverridable's.
func makeChoices(lines []shellLine, choices map[string][]string, branchVars map[string]map[string]string) []shellLine {
	if len(choices) == 0 {
		return lines
	}
	var out []shellLine
	for _, l := range lines {
		v := ""
		for c := range choices {
			// make's command line (make upg BUILD_ENV=prod) overrides ?=,
			// = and := alike: only override, which makeVar does not read,
			// holds
			if def, ok := l.vars[c]; ok && !strings.Contains(def, "$") && strings.Contains(l.text, "helm") && (strings.Contains(l.text, "$("+c+")") || strings.Contains(l.text, "${"+c+"}")) && !strings.Contains(l.text, "values-$("+c+")") && !strings.Contains(l.text, "/$("+c+")") {
				v = c
			}
		}
		vals := slices.Clone(choices[v])
		if def := l.vars[v]; v != "" && !slices.Contains(vals, def) {
			vals = append([]string{def}, vals...)
		}
		if v == "" || !slices.ContainsFunc(vals, envLike) {
			out = append(out, l)
			continue
		}
		for _, val := range vals {
			if !envLike(val) || !envNameRe.Get().MatchString(val) {
				continue
			}
			c := l
			c.vars, c.overridable = maps.Clone(l.vars), maps.Clone(l.overridable)
			bv, ok := branchVars[v+"\x00"+val]
			if !ok {
				bv = branchVars[v+"\x00"]
			}
			maps.Copy(c.vars, bv)
			c.vars[v] = val
			delete(c.overridable, v)
			c.env = val
			out = append(out, c)
		}
	}
	return out
}

// makeRecursive reads `$(MAKE) helm-upgrade NAMESPACE=shop-dev` as the
// called target's lines run with those variables, in the calling
// target (cd-deploy-dev names the environment); a target only ever
// called that way is a helper, not a deploy of its own.
func makeRecursive(lines []shellLine) []shellLine {
	var out []shellLine
	helpers := map[string]bool{}
	for _, l := range lines {
		m := makeRecurse.Get().FindStringSubmatch(l.text)
		if m == nil {
			out = append(out, l)
			continue
		}
		helpers[m[1]] = true
		for _, c := range lines {
			if c.hint != m[1] || makeRecurse.Get().MatchString(c.text) {
				continue
			}
			c.vars, c.overridable = maps.Clone(c.vars), maps.Clone(c.overridable)
			for _, a := range strings.Fields(m[2]) {
				k, v, _ := strings.Cut(a, "=")
				c.vars[k] = strings.Trim(v, `"'`)
				delete(c.overridable, k) // make's command line wins over ?= and the environment
			}
			c.hint, c.via = l.hint, ":"+strconv.Itoa(l.line) // the file's name is findDeploys'
			out = append(out, c)
		}
	}
	if len(helpers) == 0 {
		return lines
	}
	return slices.DeleteFunc(out, func(l shellLine) bool { return helpers[l.hint] })
}

var (
	makeIfeq    = lazyre.New(`^\s*(?:else\s+)?ifeq\s*\(\s*(?:\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]\s*,\s*([A-Za-z0-9_.-]+)|([A-Za-z0-9_.-]+)\s*,\s*\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}])\s*\)`)
	makeDefine  = lazyre.New(`^define\s+([A-Za-z0-9_.-]+)\s*=?\s*$`)
	makeInclude = lazyre.New(`^-?include\s+(.+)$`)
	makeRecurse = lazyre.New(`^\$[({]MAKE[)}]\s+(?:-\S+\s+)*([A-Za-z0-9_.-]+)((?:\s+[A-Za-z_][A-Za-z0-9_]*=\S+)+)\s*$`)
	makeCall    = lazyre.New(`^\$[({]call\s+([A-Za-z0-9_.-]+)\s*,?(.*)[)}]\s*$`)
	makeArg     = lazyre.New(`\$[({][1-9][)}]|\$[1-9]`)
)

// makeValue is a Makefile variable's value: make keeps quotes in it, the
// shell that runs the recipe removes them.
func makeValue(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return v
}

// splitMakeArgs splits $(call …)'s arguments at the commas outside
// parentheses and braces.
func splitMakeArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// ciYAMLLines reads the run: steps of a GitHub Actions workflow, or the
// script: lines of GitLab CI jobs, with each job's environment and
// variables.
func ciYAMLLines(data []byte, gitlab bool) []shellLine { return ciYAMLLinesWith(data, gitlab, nil) }

// ciYAMLLinesWith is ciYAMLLines with a reader of the repository's local
// actions (uses: ./path), whose run: steps are the calling step's.
func ciYAMLLinesWith(data []byte, gitlab bool, action actionReader) []shellLine {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	return ciYAMLDoc(doc.Content[0], gitlab, action, nil)
}

// ciYAMLDoc reads a parsed CI file; chain are the reusable workflows
// called to reach it, the last one this file (none for the file read).
func ciYAMLDoc(root *yaml.Node, gitlab bool, action actionReader, chain []string) []shellLine {
	from := ""
	if len(chain) > 0 {
		from = chain[len(chain)-1]
	}
	globalsNode := mapValue(root, "env")
	if gitlab {
		globalsNode = mapValue(root, "variables")
	}
	var out []shellLine
	jobs := root
	if !gitlab {
		jobs = mapValue(root, "jobs")
	}
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		name, job := jobs.Content[i].Value, merged(jobs.Content[i+1])
		if gitlab {
			job = extended(jobs, job, 0)
		}
		if job.Kind != yaml.MappingNode || (gitlab && strings.HasPrefix(name, ".")) {
			continue // a GitLab hidden job is a template the real jobs extend
		}
		// at notes where the file read defines each variable (a called
		// workflow's lines are another file's).
		vars, at := map[string]string{}, map[string]int{}
		if from != "" {
			at = nil
		}
		addVars(vars, at, globalsNode)
		env := jobEnvironment(mapValue(job, "environment"))
		if gitlab {
			addVars(vars, at, mapValue(job, "variables"))
			if env != "" && !IsCIExpr(env) {
				vars["CI_ENVIRONMENT_NAME"] = env // GitLab's own variable for the job's environment
			}
			for _, key := range []string{"before_script", "script", "after_script"} {
				s := mapValue(job, key)
				if s == nil {
					continue
				}
				items := []*yaml.Node{s}
				if s.Kind == yaml.SequenceNode {
					items = s.Content
				}
				for _, it := range items {
					out = append(out, blockLines(it, shellLine{env: env, hint: name, vars: vars, varAt: at})...)
				}
			}
			continue
		}
		if u := scalarOf(mapValue(job, "uses")); action != nil && (strings.HasPrefix(u, "./") || ownWorkflow.Get().MatchString(u)) {
			// A matrix fans the call out: one caller, so one deploy, per
			// entry (environment: [staging, prod] passed on as inputs).
			for _, m := range matrixEntries(mapValue(mapValue(job, "strategy"), "matrix")) {
				out = append(out, calledWorkflow(action, name, job, from, chain, len(out), m)...)
			}
			continue
		}
		addVars(vars, at, mapValue(job, "env"))
		dom := workflowDomain(root, job)
		workdir := ""
		if d := mapValue(mapValue(job, "defaults"), "run"); d != nil {
			workdir = scalarOf(mapValue(d, "working-directory"))
		}
		steps := mapValue(job, "steps")
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		throwaway := false
		for _, st := range steps.Content {
			throwaway = throwaway || throwawayAction.Get().MatchString(scalarOf(mapValue(st, "uses")))
		}
		for _, st := range steps.Content {
			run := mapValue(st, "run")
			uses := scalarOf(mapValue(st, "uses"))
			if run == nil && (action == nil || !strings.HasPrefix(uses, "./")) {
				continue
			}
			sv, sat := vars, at
			if se := mapValue(st, "env"); se != nil && len(se.Content) > 0 {
				sv, sat = maps.Clone(vars), maps.Clone(at)
				addVars(sv, sat, se)
			}
			wd := workdir
			if w := scalarOf(mapValue(st, "working-directory")); w != "" {
				wd = w
			}
			ctx := shellLine{env: env, hint: name, vars: sv, varAt: sat, workdir: wd, shell: len(out) + 1, throwaway: throwaway, domain: dom}
			if run == nil {
				out = append(out, compositeLines(action, uses, yamlVars(mapValue(st, "with")), from, mapValue(st, "uses").Line, ctx, chain)...)
				continue
			}
			out = append(out, blockLines(run, ctx)...)
		}
	}
	return out
}

// extended resolves GitLab's extends: (a job name or a list of them,
// hidden templates such as .deploy included): the job's own keys win,
// then each template's, later templates over earlier ones, as GitLab
// merges them: maps key by key at every depth (a job's variables: add
// to its template's), lists and scalars whole (script:).
func extended(jobs, job *yaml.Node, depth int) *yaml.Node {
	ext := mapValue(job, "extends")
	if ext == nil || depth > 8 {
		return job
	}
	var bases []string
	if ext.Kind == yaml.SequenceNode {
		for _, n := range ext.Content {
			bases = append(bases, scalarOf(n))
		}
	} else {
		bases = append(bases, scalarOf(ext))
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Line: job.Line}
	deepen(out, job)
	for i := len(bases) - 1; i >= 0; i-- {
		if b := mapValue(jobs, bases[i]); b != nil {
			deepen(out, extended(jobs, merged(b), depth+1))
		}
	}
	return out
}

// deepen adds to out the keys of m it lacks; a map both hold gets m's
// missing keys the same way, in a copy (the template is shared).
func deepen(out, m *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1]
		if k == "extends" {
			continue
		}
		have := mapValue(out, k)
		switch {
		case have == nil:
			out.Content = append(out.Content, m.Content[i], v)
		case have.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			cp := &yaml.Node{Kind: yaml.MappingNode, Line: have.Line, Column: have.Column, Content: slices.Clone(have.Content)}
			deepen(cp, v)
			for j := 0; j+1 < len(out.Content); j += 2 {
				if out.Content[j].Value == k {
					out.Content[j+1] = cp
				}
			}
		}
	}
}

// merged returns a mapping with its YAML merge keys (<<: *anchor)
// resolved, as GitLab reads a job that extends a template.
func merged(n *yaml.Node) *yaml.Node { return mergedDepth(n, 0) }

// Throwaway clusters: what a CI test job runs to make a cluster of its
// own, and the actions that do it for a GitHub workflow.
var (
	throwawayCluster = lazyre.New(`\b(kind\s+(create\s+cluster|load\s+docker-image|load\s+image-archive)|k3d\s+(cluster\s+create|image\s+import)|minikube\s+(start|image\s+load)|ct\s+install)\b`)
	throwawayAction  = lazyre.New(`(?i)(^|/)(kind-action|setup-kind|k3d-action|setup-k3d|setup-minikube|minikube-action|chart-testing-action)@`)
	// throwawayContext is a helm command aimed at such a cluster itself.
	throwawayContext = lazyre.New(`--kube-context[= ](kind|k3d|minikube)\b`)
	// testScript is a script named for a test of the chart.
	testScript = lazyre.New(`(?i)(^|[-_.])(e2e|test|tests|smoke|integration|it|ci)([-_.]|$)`)
	// throwawayHint is a job, target or script named for one.
	throwawayHint = lazyre.New(`(?i)(^|[-_.:/])(kind|k3d|minikube)([-_.:/]|$)`)
)

// lintOutput is a helm template whose manifests go nowhere or to a
// validator; lintName a job, target or workflow named for a check.
var (
	lintOutput = lazyre.New(`>\s*/dev/null|\|\s*(kubeconform|kubeval|conftest|kube-linter|polaris|datree|checkov|kube-score|pluto)\b`)
	lintName   = lazyre.New(`(?i)(^|[-_. ])(lint|linter|validate|validation|verify|check|checks|pr|pull-request)([-_. ]|$)`)
)

// markThrowaway marks the lines of every job, target or script (one
// hint) that makes a throwaway cluster anywhere in it: its helm install
// tests the chart there and deploys no environment.
//
// A script is one context for all its lines, and a deploy script may make
// a kind cluster only for "local" (if [ "$ENV" = local ]; then kind create
// cluster; fi): a script counts only when its name says so too (e2e.sh,
// kind-up.sh, test-chart.sh).
func markThrowaway(lines []shellLine, script bool) {
	hints := map[string]bool{}
	for _, l := range lines {
		if throwawayHint.Get().MatchString(l.hint) || (throwawayCluster.Get().MatchString(l.text) && (!script || testScript.Get().MatchString(l.hint))) {
			hints[l.hint] = true
		}
	}
	for i := range lines {
		if hints[lines[i].hint] {
			lines[i].throwaway = true
		}
	}
}

// mergedDepth is merged with the depth of merges followed: an anchor
// that merges itself must not recurse for ever.
func mergedDepth(n *yaml.Node, depth int) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode || depth > 8 {
		return &yaml.Node{Kind: yaml.MappingNode}
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line}
	has := map[string]bool{}
	var bases []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			if v.Kind == yaml.SequenceNode {
				bases = append(bases, v.Content...)
			} else {
				bases = append(bases, v)
			}
			continue
		}
		has[k.Value] = true
		out.Content = append(out.Content, k, v)
	}
	for _, b := range bases {
		b = mergedDepth(b, depth+1)
		for i := 0; i+1 < len(b.Content); i += 2 {
			if !has[b.Content[i].Value] {
				has[b.Content[i].Value] = true
				out.Content = append(out.Content, b.Content[i], b.Content[i+1])
			}
		}
	}
	return out
}

// blockLines splits a YAML scalar holding shell lines into logical lines
// at their lines in the file: a block scalar's text starts on the line
// after its indicator.
func blockLines(n *yaml.Node, ctx shellLine) []shellLine {
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	first := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++
	}
	text := n.Value
	if n.Style&yaml.FoldedStyle != 0 {
		text = strings.ReplaceAll(text, "\n", " ")
	}
	lines := scriptLines([]byte(text), first, ctx.hint)
	for i := range lines {
		if n.Style&yaml.LiteralStyle == 0 {
			lines[i].last = 0 // a folded or plain scalar's lines are not the file's
		}
		lines[i].env, lines[i].vars, lines[i].varAt, lines[i].workdir, lines[i].shell, lines[i].throwaway, lines[i].domain = ctx.env, ctx.vars, ctx.varAt, ctx.workdir, ctx.shell, ctx.throwaway, ctx.domain
	}
	return lines
}

// workflowDomain are the values a GitHub workflow allows each input
// (on.workflow_dispatch.inputs.X.options) and the job's matrix lists.
func workflowDomain(root, job *yaml.Node) map[string][]string {
	dom := paramEnums(mapValue(mapValue(mapValue(root, "on"), "workflow_dispatch"), "inputs"), "options", "inputs.")
	for _, e := range matrixEntries(mapValue(mapValue(job, "strategy"), "matrix")) {
		for k, v := range e {
			dom["matrix."+k] = append(dom["matrix."+k], v)
		}
	}
	return dom
}

// jobEnvironment reads a job's environment: "prod" or {name: prod}.
func jobEnvironment(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.MappingNode {
		n = mapValue(n, "name")
	}
	return scalarOf(n)
}

func yamlVars(n *yaml.Node) map[string]string {
	out := map[string]string{}
	addVars(out, nil, n)
	return out
}

// addVars adds the variables of a variables: or env: block to vars, and
// the line of each to at (unless nil).
func addVars(vars map[string]string, at map[string]int, n *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.MappingNode { // GitLab's {value: …, description: …}
			v = mapValue(v, "value")
		}
		vars[k.Value] = scalarOf(v)
		if at != nil {
			at[k.Value] = k.Line
		}
	}
}

func scalarOf(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// helmValueFlags are the helm flags that take a value.
var helmValueFlags = map[string]bool{
	"-n": true, "--namespace": true, "-f": true, "--values": true, "--set": true, "--set-string": true,
	"--set-file": true, "--set-json": true, "--set-literal": true, "--timeout": true, "--version": true,
	"--kube-context": true, "--kubeconfig": true, "--description": true, "--history-max": true,
	"--post-renderer": true, "--post-renderer-args": true, "--repo": true, "--username": true,
	"--password": true, "--ca-file": true, "--cert-file": true, "--key-file": true, "-o": true,
	"--output": true, "-a": true, "--api-versions": true, "--kube-version": true, "-s": true,
	"--show-only": true, "--output-dir": true, "--registry-config": true, "--repository-config": true,
	"--repository-cache": true, "--kube-token": true, "--kube-apiserver": true, "--kube-as-user": true,
	"--wait-for": true, "--rollback-on-failure": false, "--labels": true, "-l": true, "--name-template": true,
}

// evalLine is a line that runs a command a variable holds: eval "$CMD",
// eval $CMD, or $CMD alone.
var evalLine = lazyre.New(`^(?:eval\s+)?"?(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"?;?$`)

// werfValueFlags are the flags of werf deploy and werf converge that
// take a value, besides helm's.
var werfValueFlags = map[string]bool{
	"--release": true, "--env": true, "--helm-chart-dir": true, "--chart-directory": true, "--dir": true,
	"--config": true, "--repo": true, "--tag-git-commit": true, "--tag-git-branch": true, "--tag-git-tag": true,
	"--tag-custom": true, "--images-repo": true, "--stages-storage": true, "--secret-values": true,
	"--add-annotation": true, "--add-label": true, "--home-dir": true, "--tmp-dir": true, "--log-project-dir": true,
}

// parseHelm finds a helm install, upgrade or template command in one
// shell line. dir is the project directory, fileDir the CI file's own
// directory (a script's relative paths start there, a workflow's at the
// repository root).
func parseHelm(l shellLine, dir, fileDir string) (Deploy, bool) {
	text := l.text
	if m := evalLine.Get().FindStringSubmatch(strings.TrimSpace(text)); m != nil && len(l.assigned) > 0 {
		// CMD="helm upgrade …"; CMD="$CMD -f values-$ENV.yaml"; eval "$CMD":
		// the command the script built.
		if e := l.expand(m[1]); e != m[1] && !strings.Contains(e, "$"+strings.Trim(m[1], "${}")) {
			text = e
		}
	}
	if !strings.Contains(text, "helm") && !strings.Contains(text, "HELM") && !strings.Contains(text, "werf") {
		return Deploy{}, false
	}
	var spans [][2]int
	if strings.Contains(text, "[@]}") || strings.Contains(text, "[*]}") {
		// "${HELM_SET[@]}": the array's words; one ferry does not know
		// holds flags or arguments it cannot read, so it counts as none.
		text = arrayRef.Get().ReplaceAllStringFunc(text, func(m string) string {
			a, ok := l.arrays[arrayRef.Get().FindStringSubmatch(m)[1]]
			if !ok {
				return ""
			}
			spans = append(spans, a.spans...)
			return " " + a.words + " "
		})
	}
	// ${{ x }} and $(git rev-parse HEAD) hold spaces: keep each as one word.
	exprs := map[string]string{}
	text = wordExpr.Get().ReplaceAllStringFunc(text, func(m string) string {
		k := fmt.Sprintf("FERRYCIEXPR%dX", len(exprs))
		exprs[k] = m
		return k
	})
	words, err := shlex.Split(text)
	if err != nil {
		return Deploy{}, false
	}
	for i, w := range words {
		for k, v := range exprs {
			w = strings.ReplaceAll(w, k, v)
		}
		words[i] = w
	}
	start, werf := -1, false
	for i, w := range words {
		if i+1 < len(words) && l.isHelm(w) && commandAt(words, i) {
			// helm --kubeconfig $K -n app upgrade …: global flags may come
			// first; they mean the same after the subcommand, so move
			// them there.
			j := i + 1
			for j < len(words) && strings.HasPrefix(words[j], "-") {
				if !strings.Contains(words[j], "=") && !helmBoolGlobal[words[j]] {
					j++
				}
				j++
			}
			if j < len(words) {
				switch words[j] {
				case "upgrade", "install", "template", "lint", "dependency", "dep":
					start = i
					if j > i+1 {
						words = slices.Concat(words[:i+1], words[j:j+1], words[i+1:j], words[j+1:])
					}
				}
			}
		}
		if i+1 < len(words) && path.Base(w) == "werf" && (words[i+1] == "deploy" || words[i+1] == "converge") && commandAt(words, i) {
			start, werf = i, true // werf's helm upgrade --install of the project's .helm chart
		}
		if start >= 0 {
			break
		}
	}
	if start < 0 {
		return Deploy{}, false
	}
	words = l.splitFlagVars(words[start+1:], text)
	for i, w := range words {
		if w == "&&" || w == "||" || w == ";" || w == "|" || isRedirect(w) {
			words = words[:i]
			break
		}
		if strings.HasSuffix(w, ";") { // the last argument: --set a=$B; then …
			words = append(words[:i], strings.TrimRight(w, ";"))
			break
		}
	}
	if len(l.overridable) > 0 {
		l = l.keepOverridable(words)
	}
	guard, runs := l.decide()
	if !runs {
		return Deploy{}, false // a branch that does not run where the script is called from
	}
	sub := words[0]
	if werf {
		sub = "upgrade"
	}
	werfChart, werfEnv := ".helm", ""
	d := Deploy{Line: l.line, Command: sub, choices: l.choices, domain: l.domain, arms: l.decidedArms(), job: l.hint, Via: l.via, spans: spans, last: l.last, guard: guard, fn: l.fn, fnLine: l.fnLine}
	var pos []string
	for i := 1; i < len(words); i++ {
		w := words[i]
		name, val, hasVal := strings.Cut(w, "=")
		if !strings.HasPrefix(w, "-") {
			if !optionalWord.Get().MatchString(w) && !l.flagsOnly(w) {
				pos = append(pos, l.expandDefault(w))
			}
			continue
		}
		if name == "--dry-run" {
			d.dryRun = true
		}
		if !hasVal {
			name = w
			if (helmValueFlags[name] || werf && werfValueFlags[name]) && i+1 < len(words) {
				i++
				val = words[i]
			} else if strings.HasPrefix(w, "-n") && len(w) > 2 && !strings.HasPrefix(w, "--") {
				name, val = "-n", w[2:]
			} else if strings.HasPrefix(w, "-f") && len(w) > 2 && !strings.HasPrefix(w, "--") {
				name, val = "-f", w[2:]
			} else {
				continue
			}
		}
		switch {
		case !werf:
		case name == "--release":
			d.Release = l.expandDefault(val)
			continue
		case name == "--env":
			werfEnv = l.expand(val)
			continue
		case name == "--helm-chart-dir" || name == "--chart-directory":
			werfChart = val
			continue
		}
		switch name {
		case "-n", "--namespace":
			d.Namespace = l.expandDefault(val)
			if e := l.expand(val); e != d.Namespace {
				d.NamespaceDefault = e
			}
			d.flags = append(d.flags, flagWord{"-n", val, d.Namespace})
		case "--kube-context":
			if c := l.expand(val); !IsCIExpr(c) {
				d.Cluster = "context " + c
				d.flags = append(d.flags, flagWord{"--kube-context", val, c})
			}
		case "-f", "--values":
			for _, f := range strings.Split(val, ",") {
				d.Values = append(d.Values, l.relPath(l.expandDefault(f), dir, fileDir))
				d.flags = append(d.flags, flagWord{"-f", f, d.Values[len(d.Values)-1]})
			}
		case "--set", "--set-string":
			for _, kv := range splitSet(val) {
				k, v, _ := strings.Cut(kv, "=")
				if k == "" {
					continue // --set =x sets nothing; helm refuses it
				}
				sf := SetFlag{Path: k, String: name == "--set-string"}
				if m := loneVar.Get().FindStringSubmatch(v); m != nil {
					sf.Var = strings.Trim(m[1], "{}")
				}
				sf.Value = l.expand(v)
				sf.ByCI = IsCIExpr(sf.Value)
				d.Set = append(d.Set, sf)
			}
		}
	}
	if len(pos) > 2 {
		// ARGS+=("$2") expanded before --install: a flag the script's
		// caller passes through, not the release
		if rest := slices.DeleteFunc(slices.Clone(pos), func(w string) bool { return loneArg.Get().MatchString(w) }); len(rest) >= 2 {
			pos = rest
		}
	}
	if werf {
		l.werfVars(&d, &werfEnv, dir, fileDir)
	}
	switch {
	case werf:
		d.Chart = l.relPath(werfChart, dir, fileDir) // werf takes no arguments: its flags say it all
	case sub == "dependency" || sub == "dep":
		// helm dependency build CHART: fetches what charts/ lacks.
		if len(pos) < 2 || (pos[0] != "build" && pos[0] != "update" && pos[0] != "up") {
			return Deploy{}, false
		}
		d.Command, d.Chart = "dependency "+pos[0], l.relPath(pos[1], dir, fileDir)
	case sub == "lint" && len(pos) == 1:
		d.Chart = l.relPath(pos[0], dir, fileDir)
	case sub == "template" && len(pos) == 1:
		d.Chart = pos[0]
	case len(pos) >= 2:
		d.Release, d.Chart = pos[0], l.relPath(pos[1], dir, fileDir)
	case len(pos) == 1:
		d.Chart = l.relPath(pos[0], dir, fileDir)
	default:
		return Deploy{}, false
	}
	d.Env = l.env
	if werfEnv != "" && !IsCIExpr(werfEnv) {
		d.Env = werfEnv
	}
	if IsCIExpr(d.Env) {
		d.Env = ""
	}
	if d.Env == "" {
		d.Env = stageIn(l.hint)
		d.envByName = d.Env != ""
	}
	return d, true
}

// splitFlagVars expands each unquoted $VAR that holds flags into its
// words, as the shell splits it (EXTRA_VALUES: "-f values-stage.yaml"),
// and drops one set to nothing: staging's values are read, not lost.
func (l shellLine) splitFlagVars(words []string, text string) []string {
	var out []string
	for _, w := range words {
		if v := l.expand(w); v != w && (v == "" || strings.HasPrefix(v, "-")) && simpleRef.Get().FindString(w) == w && !strings.Contains(text, `"`+w) {
			if vw, err := shlex.Split(v); err == nil {
				out = append(out, vw...)
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

// commandAt reports whether words[i] is a command the shell runs, not an
// argument: it starts the line or follows a separator, a keyword or a
// prefix command (sudo, env, time), variable assignments skipped. echo
// helm upgrade … prints a command, it does not run one.
func commandAt(words []string, i int) bool {
	args := false // flags or a duration seen, which only a prefix command takes (sudo -E, timeout 5m)
	for j := i - 1; j >= 0; j-- {
		w := words[j]
		switch {
		case w == "&&" || w == "||" || w == ";" || w == "|" || strings.HasSuffix(w, ";") || strings.HasSuffix(w, "&&"):
			return !args
		case shellPrefix[w] || prefixWithArgs[w]:
			args = args && !prefixWithArgs[w]
		case strings.HasPrefix(w, "-") || duration.Get().MatchString(w):
			args = true
		case assignment.Get().MatchString(w):
			continue
		default:
			return false
		}
	}
	return !args
}

// helmBoolGlobal are helm's global flags that take no value.
var helmBoolGlobal = map[string]bool{"--debug": true, "--kube-insecure-skip-tls-verify": true}

// prefixWithArgs are commands that run the rest of the line and take
// flags or a duration first.
var prefixWithArgs = map[string]bool{"sudo": true, "env": true, "timeout": true, "nice": true, "retry": true}

var duration = lazyre.New(`^[0-9]+[smhd]?$`)

// shellPrefix are keywords and commands after which the next word is
// still a command.
var shellPrefix = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "do": true, "while": true, "until": true, "!": true,
	"{": true, "(": true, "exec": true, "time": true, "command": true, "nohup": true,
	"microk8s": true, // microk8s helm3 upgrade …
}

// flagsOnly reports whether w is a variable the script sets only to
// nothing or to flags (PARAM="" and, under a condition,
// PARAM="--debug --dry-run"): not the release or the chart.
func (l shellLine) flagsOnly(w string) bool {
	if !simpleRef.Get().MatchString(w) || simpleRef.Get().FindString(w) != w {
		return false
	}
	name := strings.Trim(w, "${}")
	vals, ok := l.choices[name]
	if v, set := l.assigned[name]; set {
		vals, ok = []string{v}, true
	}
	if !ok {
		return false
	}
	for _, v := range vals {
		if v != "" && !strings.HasPrefix(v, "-") {
			return false
		}
	}
	return true
}

// optionalWord is a word that expands to nothing or to a flag
// (${DRY_RUN:-}, ${PARAM:---atomic}): not the release or the chart.
var arrayRef = lazyre.New(`"?\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}"?`)

// helmBinary is the name of a Helm binary: helm, helm3.
var helmBinary = lazyre.New(`^helm[0-9]?$`)

// isHelm reports whether w runs Helm: helm, /usr/local/bin/helm3, or a
// variable holding it ($HELM, ${HELM_BIN}, $(HELM)) — its value when
// the script or job sets it, else its name.
func (l shellLine) isHelm(w string) bool {
	if helmBinary.Get().MatchString(path.Base(w)) {
		return true
	}
	if !strings.HasPrefix(w, "$") || ciExpr.Get().FindString(w) != w {
		return false
	}
	name := strings.TrimPrefix(strings.Trim(w, "${}() "), "env.")
	if v := l.expand(w); v != w && !IsCIExpr(v) {
		f := strings.Fields(v)
		return len(f) > 0 && helmBinary.Get().MatchString(path.Base(f[len(f)-1])) // microk8s helm3
	}
	return strings.Contains(strings.ToUpper(name), "HELM") && !strings.ContainsAny(name, " :")
}

var optionalWord = lazyre.New(`^\$\{[A-Za-z_][A-Za-z0-9_]*:?-(-[^}]*)?\}$`)
var assignment = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]*=`)

// isRedirect reports whether a word redirects output (> out.yaml, 2>&1):
// the command's arguments end there.
func isRedirect(w string) bool {
	return strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "1>") || strings.HasPrefix(w, "2>") || strings.HasPrefix(w, "&>")
}

// splitSet splits a --set value at the commas Helm splits at (not
// escaped ones, not inside {…}).
func splitSet(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// expand replaces the variables the job or target defines with their
// values, once; others stay as written (CI fills them in).
func (l shellLine) expand(s string) string { return l.expandDepth(s, 0, false) }

// expandDefault is expand, a ${NS:-fintech} or ${NS:=fintech} of a
// variable nothing in the repository sets taken as its default: what
// the command deploys to when the caller sets nothing.
func (l shellLine) expandDefault(s string) string { return l.expandDepth(s, 0, true) }

// defaultExpr matches ${NAME:-word}, ${NAME-word}, ${NAME:=word} and
// ${NAME=word}: the name, and the default word.
var defaultExpr = lazyre.New(`^\$\{([A-Za-z_][A-Za-z0-9_]*):?[-=]([^{}$]*)\}$`)

// expandDepth is expand of a value that is itself a variable's: a
// Makefile's SERVICE := $(APP)-api is expanded in turn, a few levels at
// most.
func (l shellLine) expandDepth(s string, depth int, defaults bool) string {
	if (len(l.vars) == 0 && len(l.assigned) == 0 && !defaults) || !strings.Contains(s, "$") {
		return s
	}
	return ciExpr.Get().ReplaceAllStringFunc(s, func(m string) string {
		if dm := defaultExpr.Get().FindStringSubmatch(m); dm != nil && defaults {
			_, set := l.assigned[dm[1]]
			_, inJob := l.vars[dm[1]]
			_, chosen := l.choices[dm[1]]
			if !set && !inJob && !chosen {
				return dm[2]
			}
		}
		name := strings.Trim(m, "${}() ")
		name = strings.TrimPrefix(strings.TrimPrefix(name, "{"), "env.")
		if i := strings.IndexAny(name, ":-=?+/#%^,"); i > 0 && strings.HasPrefix(m, "${") && !strings.HasPrefix(m, "${{") {
			// ${NS:-chat}: the variable's value when the script set it;
			// otherwise CI's, which ferry does not know (the default is
			// only what runs when CI sets nothing). ${SHA::7}, ${REF#*/},
			// ${IMAGE%:*}, ${B//\//-} cut or change the value at run
			// time: CI's too, never a literal tail.
			if v, ok := l.assigned[name[:i]]; ok && v != "" && (strings.HasPrefix(name[i:], ":-") || name[i] == '-') {
				return v
			}
			return m
		}
		if l.keep && l.overridable[name] {
			return m
		}
		// What the script assigned wins over the job's variables, and may
		// itself hold what CI fills in (NS=orders-$ENV).
		if v, ok := l.assigned[name]; ok {
			return v
		}
		if v, ok := l.vars[name]; ok {
			if !strings.Contains(v, "$") {
				return v
			}
			if depth < 4 {
				return l.expandDepth(v, depth+1, defaults)
			}
		}
		if c := l.choices[name]; defaults && len(c) == 1 {
			return c[0] // HELM=.helm in the if the command stands in: unset, the deploy has no chart
		}
		return m
	})
}

// relPath makes a path in a command relative to the project directory:
// a workflow runs at the repository root (or its working-directory), a
// script in its own directory as often as not — the first that exists
// wins.
func (l shellLine) relPath(p, dir, fileDir string) string {
	if filepath.IsAbs(p) {
		// "${ROOT_DIR}/deploy/helm", ROOT_DIR the script's parent
		if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
		return p
	}
	var bases []string
	if l.workdir != "" {
		bases = append(bases, filepath.Join(ciRepoRoot(fileDir), l.workdir))
	}
	bases = append(bases, ciRepoRoot(fileDir), fileDir, dir)
	top := repoTop(dir)
	r, err := confine.Open(top) // every base is inside the repository
	if err != nil {
		return path.Clean(p)
	}
	defer r.Close()
	if IsCIExpr(p) {
		if loc := ciExpr.Get().FindStringIndex(p); loc != nil && loc[0] == 0 && loc[1] < len(p) && !strings.Contains(p, "/") {
			// $env.values.yaml: a file of the command's directory whose
			// name the variable begins; found as any path is, by the
			// files the pattern names.
			for _, b := range bases {
				if m, _ := fs.Glob(r.FS(), filepath.ToSlash(under(top, filepath.Join(b, "*"+p[loc[1]:])))); len(m) > 0 {
					if rel, err := filepath.Rel(dir, filepath.Join(b, p)); err == nil && !strings.HasPrefix(rel, "..") {
						return filepath.ToSlash(rel)
					}
				}
			}
		}
		if strings.HasPrefix(p, "$") {
			return p // ${CHART_DIR}/values.yaml: where it starts is CI's
		}
		// ./helm/values-${env}.yaml: the directory is written out, and is
		// found as any path is (after a `cd deployment/helm`, ./values-$ENV.yaml
		// is deployment/helm's).
		if d := path.Dir(p); !IsCIExpr(d) {
			for _, b := range bases {
				if st, err := r.Stat(filepath.ToSlash(under(top, filepath.Join(b, d)))); err == nil && st.IsDir() {
					if rel, err := filepath.Rel(dir, filepath.Join(b, p)); err == nil && !strings.HasPrefix(rel, "..") {
						return filepath.ToSlash(rel)
					}
				}
			}
		}
		return path.Clean(p)
	}
	for _, b := range bases {
		full := filepath.Join(b, p)
		if _, err := r.Stat(filepath.ToSlash(under(top, full))); err == nil {
			if rel, err := filepath.Rel(dir, full); err == nil {
				return filepath.ToSlash(rel)
			}
		}
	}
	return path.Clean(p)
}

// ciRepoRoot is where a CI file's commands start: the directory holding
// .github/ or .gitlab-ci.yml.
func ciRepoRoot(fileDir string) string {
	if filepath.Base(fileDir) == "workflows" && filepath.Base(filepath.Dir(fileDir)) == ".github" {
		return filepath.Dir(filepath.Dir(fileDir))
	}
	if filepath.Base(fileDir) == "ci" && filepath.Base(filepath.Dir(fileDir)) == ".gitlab" {
		return filepath.Dir(filepath.Dir(fileDir))
	}
	return fileDir
}

// stageIn finds an environment's name in a job, target or script name:
// deploy-prod, deploy_staging, release-live.
func stageIn(name string) string {
	for _, part := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ':' || r == '/' }) {
		if slices.Contains(stageWords, strings.TrimRight(part, "0123456789")) {
			return part
		}
	}
	return ""
}

// confinedRead reads the CI files of the repository at root through
// internal/confine: a path that leads out of it (a symbolic link anywhere
// along it, "..") is refused, and so is anything but a regular file of
// at most 1 MiB (a symlink itself, a FIFO, a huge file).
func confinedRead(root *confine.Root) func(f string) ([]byte, error) {
	return func(f string) ([]byte, error) {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root.Dir(), abs)
		if err != nil {
			return nil, err
		}
		st, err := root.Lstat(rel)
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() || st.Size() > 1<<20 {
			return nil, fmt.Errorf("%s: not a regular file of at most 1 MiB", f)
		}
		return root.ReadFile(rel)
	}
}

// helmfileEnv is how a helmfile names the environment in its templates.
var helmfileEnv = lazyre.New(`\{\{-?\s*\.Environment\.Name\s*-?\}\}`)

// helmfileDeploys reads a helmfile.yaml's releases: one deploy per
// release and environment, {{ .Environment.Name }} filled in. Other
// template expressions stay as written (ferry does not run helmfile's
// templating), so a values file named by one is not taken.
func helmfileDeploys(data []byte, rel, dir, root string) []Deploy {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	var envs []string
	if e := mapValue(top, "environments"); e != nil && e.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(e.Content); i += 2 {
			if n := e.Content[i].Value; n != "default" {
				envs = append(envs, n)
			}
		}
	}
	rels := mapValue(top, "releases")
	if rels == nil || rels.Kind != yaml.SequenceNode || len(envs) == 0 {
		return nil
	}
	var out []Deploy
	for _, r := range rels.Content {
		r = merged(r)
		chartRef := scalarOf(mapValue(r, "chart"))
		for _, env := range envs {
			fill := func(s string) string { return helmfileEnv.Get().ReplaceAllString(s, env) }
			d := Deploy{File: rel, Line: r.Line, Env: env, Command: "helmfile", Release: fill(scalarOf(mapValue(r, "name"))), Namespace: fill(scalarOf(mapValue(r, "namespace")))}
			l := shellLine{}
			d.Chart = l.relPath(fill(chartRef), dir, root)
			if vs := mapValue(r, "values"); vs != nil && vs.Kind == yaml.SequenceNode {
				for _, v := range vs.Content {
					if v.Kind == yaml.ScalarNode {
						d.Values = append(d.Values, l.relPath(fill(v.Value), dir, root))
					}
				}
			}
			if ss := mapValue(r, "set"); ss != nil && ss.Kind == yaml.SequenceNode {
				for _, sv := range ss.Content {
					vn := mapValue(sv, "value")
					v := fill(scalarOf(vn))
					if vn != nil && vn.Kind != yaml.ScalarNode {
						v = "{{ … }}" // an unquoted template, which YAML reads as a flow mapping
					}
					d.Set = append(d.Set, SetFlag{Path: scalarOf(mapValue(sv, "name")), Value: v, ByCI: IsCIExpr(v) || strings.Contains(v, "{{")})
				}
			}
			if d.Release != "" && d.Chart != "" {
				out = append(out, d)
			}
		}
	}
	return out
}

// followCalls puts after each line that runs one of the repository's
// scripts (./scripts/deploy.sh staging, bash bin/release prod) that
// script's lines, as the job runs them: the job's name, environment and
// variables, the call's arguments as $1, $2. One level deep: a script a
// called script calls is read as a file of its own.
func followCalls(cmds []shellLine, dir, fileDir, rel string, called map[string]bool, readCIFile func(string) ([]byte, error)) []shellLine {
	var out []shellLine
	for _, c := range cmds {
		out = append(out, c)
		if c.file == "" {
			out = append(out, c.followMake(dir, fileDir, rel, readCIFile)...)
		}
		if c.file != "" || !mayCallScript(c.text) {
			continue
		}
		f, args, env := c.scriptCall(dir, fileDir)
		if f == "" {
			continue
		}
		data, err := readCIFile(f)
		if err != nil || !shellName(f) && !shellShebang.Get().Match(data) {
			continue
		}
		srel, err := filepath.Rel(dir, f)
		if err != nil {
			continue
		}
		srel = filepath.ToSlash(srel)
		called[srel] = true
		lines := scriptLines(data, 1, c.hint)
		for i := range lines {
			l := &lines[i]
			l.env, l.vars, l.varAt, l.shell, l.args = c.env, env, c.varAt, -(len(out) + 1), args
			l.dir, l.file, l.via = filepath.Dir(f), srel, rel+":"+strconv.Itoa(c.line)
		}
		out = append(out, withAssignments(lines)...)
	}
	return out
}

// makeFileLines are the recipe lines of the Makefile f (rel, relative to
// the project), each with where a recursive make called it and the
// directory a cd in front of it moves to.
func makeFileLines(data []byte, f, rel string, readCIFile func(string) ([]byte, error)) []shellLine {
	cmds := makeLines(data, filepath.Dir(f), readCIFile)
	for i, c := range cmds {
		if strings.HasPrefix(c.via, ":") {
			cmds[i].via = rel + c.via // $(MAKE) helm-upgrade NAMESPACE=x at Makefile:12
		}
		if m := cdLine.Get().FindStringSubmatch(strings.TrimLeft(c.text, "@-+ \t")); m != nil && c.workdir == "" {
			cmds[i].workdir = strings.Trim(m[1], `"'`) // cd chart && helm upgrade --install shop . -f values-staging.yaml
		}
	}
	return cmds
}

// ciMake matches a CI line that runs a Makefile's target with variables
// on make's command line (make install ENV=production): the target and
// the assignments.
var ciMake = lazyre.New(`^(?:\$[({]MAKE[)}]|make)\s+(?:-[A-Za-z]+\s+)*([A-Za-z0-9_.-]+)((?:\s+[A-Za-z_][A-Za-z0-9_]*=\S+)+)\s*$`)

// followMake returns the lines of the repository's Makefile target a CI
// line runs with variables (make install ENV=production), as the job
// runs them: the command line's variables win over the Makefile's ?=, =
// and := (only override holds), the job's environment and name name the
// environment, and each line says where CI called it.
func (l shellLine) followMake(dir, fileDir, rel string, readCIFile func(string) ([]byte, error)) []shellLine {
	m := ciMake.Get().FindStringSubmatch(strings.TrimSpace(wordExpr.Get().ReplaceAllStringFunc(l.text, func(m string) string { return strings.ReplaceAll(m, " ", "") })))
	if m == nil {
		return nil
	}
	cli := map[string]string{}
	for _, a := range strings.Fields(m[2]) {
		k, v, _ := strings.Cut(a, "=")
		cli[k] = l.expand(strings.Trim(v, `"'`))
	}
	bases := []string{ciRepoRoot(fileDir), fileDir, dir}
	if l.workdir != "" {
		bases = append([]string{filepath.Join(ciRepoRoot(fileDir), l.workdir)}, bases...)
	}
	for _, b := range bases {
		f := filepath.Join(b, "Makefile")
		data, err := readCIFile(f)
		if err != nil {
			continue
		}
		mrel, err := filepath.Rel(dir, f)
		if err != nil || strings.HasPrefix(mrel, "..") {
			return nil
		}
		mrel = filepath.ToSlash(mrel)
		var out []shellLine
		took := map[int]bool{}
		lines := makeFileLines(data, f, mrel, readCIFile)
		for _, c := range lines {
			if c.hint != m[1] || took[c.line] {
				continue
			}
			if c.env != "" && !slices.Contains(slices.Collect(maps.Values(cli)), c.env) && slices.ContainsFunc(lines, func(o shellLine) bool {
				return o.line == c.line && o.hint == c.hint && slices.Contains(slices.Collect(maps.Values(cli)), o.env)
			}) {
				continue // one of makeChoices' copies, for a value CI does not give
			}
			took[c.line] = true
			vars := maps.Clone(l.vars)
			if vars == nil {
				vars = map[string]string{}
			}
			for k, v := range c.vars {
				if _, job := vars[k]; !job || !c.overridable[k] {
					vars[k] = v // a Makefile assignment wins over the job's environment, ?= does not
				}
			}
			maps.Copy(vars, cli)
			c.vars, c.overridable = vars, maps.Clone(c.overridable)
			for k := range cli {
				delete(c.overridable, k)
			}
			if !slices.Contains(slices.Collect(maps.Values(cli)), c.env) {
				c.env = ""
			}
			c.env = cmp.Or(l.env, c.env)
			c.hint, c.varAt, c.shell = l.hint, l.varAt, l.shell
			c.dir, c.file, c.via = filepath.Dir(f), mrel, rel+":"+strconv.Itoa(l.line)
			out = append(out, c)
		}
		return out
	}
	return nil
}

// scriptCall returns the script a line runs, as a path on disk, and its
// arguments expanded as far as known, and the variables it runs with:
// the job's, and the assignments in front of it (ENV=uat ./deploy.sh);
// "" when the line runs none of the repository's scripts.
func (l shellLine) scriptCall(dir, fileDir string) (string, []string, map[string]string) {
	words, err := shlex.Split(wordExpr.Get().ReplaceAllStringFunc(l.text, func(m string) string { return strings.ReplaceAll(m, " ", "") }))
	if err != nil || len(words) == 0 {
		return "", nil, nil
	}
	vars := l.vars
	i := 0
	for i < len(words) && (assignment.Get().MatchString(words[i]) || words[i] == "exec" || words[i] == "bash" || words[i] == "sh" || words[i] == "source" || words[i] == ".") {
		if k, v, ok := strings.Cut(words[i], "="); ok && assignment.Get().MatchString(words[i]) {
			vars = maps.Clone(vars)
			if vars == nil {
				vars = map[string]string{}
			}
			vars[k] = l.expand(v)
		}
		i++
	}
	if i >= len(words) || strings.HasPrefix(words[i], "-") || strings.Contains(words[i], "$") {
		return "", nil, nil
	}
	script := words[i]
	if !strings.Contains(script, "/") && !shellName(script) {
		return "", nil, nil // a command on PATH
	}
	var args []string
	for _, w := range words[i+1:] {
		if w == "&&" || w == "||" || w == ";" || w == "|" || isRedirect(w) {
			break
		}
		args = append(args, l.expand(strings.TrimSuffix(w, ";")))
	}
	bases := []string{ciRepoRoot(fileDir), fileDir, dir}
	top := repoTop(dir)
	if l.workdir != "" {
		bases = append([]string{filepath.Join(ciRepoRoot(fileDir), l.workdir)}, bases...)
	}
	for _, b := range bases {
		f := filepath.Join(b, filepath.FromSlash(script))
		if st, err := statIn(top, under(top, f), true); err == nil && st.Mode().IsRegular() {
			if rel, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(rel, "..") {
				return f, args, vars
			}
		}
	}
	return "", nil, nil
}

// clusterChoice is the cluster a job's kubeconfig points at and where
// the job chose it.
type clusterChoice struct{ name, at string }

// Commands that point kubectl and helm at a cluster.
var (
	eksKubeconfig = lazyre.New(`\baws(?:\s+--?[a-z-]+(?:[=\s]+(?:"[^"]*"|'[^']*'|\$\{\{[^}]*\}\}|[^-\s]\S*))?)*\s+eks(?:\s+--?[a-z-]+(?:[=\s]+(?:"[^"]*"|'[^']*'|\$\{\{[^}]*\}\}|[^-\s]\S*))?)*\s+update-kubeconfig\b.*?\s--name[=\s]+("[^"]*"|'[^']*'|\$\{\{[^}]*\}\}|\S+)`)
	gkeGetCreds   = lazyre.New(`\bgcloud\s+container\s+clusters\s+get-credentials\s+(?:--?[a-z-]+(?:=\S+|\s+\S+)\s+)*(\$\{\{[^}]*\}\}|[^\s-]\S*)`)
	aksGetCreds   = lazyre.New(`\baz\s+aks\s+get-credentials\b.*?\s(?:--name|-n)[=\s]+("[^"]*"|'[^']*'|\$\{\{[^}]*\}\}|\S+)`)
	useContext    = lazyre.New(`\bkubectl\s+config\s+use-context\s+("[^"]*"|'[^']*'|\$\{\{[^}]*\}\}|\S+)`)
	// kubectl create secret generic NAME, kubectl create configmap NAME
	// (often --dry-run=client -o yaml | kubectl apply -f -).
	kubectlCreate = lazyre.New(`\bkubectl\b[^|;&]*?\screate\s+(secret\s+(?:generic|tls|docker-registry)|configmap)\s+("[^"]*"|'[^']*'|[^\s-]\S*)`)
	flagNamespace = lazyre.New(`\s(?:-n|--namespace)[=\s]+("[^"]*"|'[^']*'|[^\s|;&]+)`)
	// kubectl config set-context --current --namespace=X: helm then
	// deploys into X when its command says no -n.
	contextNamespace = lazyre.New(`\bkubectl\s+config\s+set-context\b.*?\s--namespace[=\s]+("[^"]*"|'[^']*'|\S+)`)
	doctlKubecfg     = lazyre.New(`\bdoctl\s+kubernetes\s+cluster\s+kubeconfig\s+save\s+("[^"]*"|'[^']*'|\$\{\{[^}]*\}\}|[^\s-]\S*)`)
)

// cluster reads a line that points the job at a cluster: its name, and
// where (file:line). A name CI fills in is no name ferry can compare:
// the job's cluster becomes unknown.
func (l shellLine) cluster(file, varFile string) (clusterChoice, bool) {
	t := l.text
	if !strings.Contains(t, "kubeconfig") && !strings.Contains(t, "get-credentials") && !strings.Contains(t, "use-context") {
		return clusterChoice{}, false
	}
	for _, c := range []struct {
		re   *regexp.Regexp
		kind string
	}{{eksKubeconfig.Get(), "EKS cluster "}, {gkeGetCreds.Get(), "GKE cluster "}, {aksGetCreds.Get(), "AKS cluster "}, {useContext.Get(), "context "}, {doctlKubecfg.Get(), "DOKS cluster "}} {
		if m := c.re.FindStringSubmatch(t); m != nil {
			name := l.expand(strings.Trim(m[1], `"'`))
			if name == "" || IsCIExpr(name) || strings.ContainsAny(name, "${}") {
				return clusterChoice{}, true
			}
			return clusterChoice{c.kind + name, file + ":" + strconv.Itoa(l.line) + l.varNote(m, varFile)}, true
		}
	}
	return clusterChoice{}, false
}

// defined is the line of the command's file that gives variable name
// the value the line sees: the script's own assignment before it, else
// the job's variable when the command stands in the CI file itself
// (sameFile); 0 when neither says.
func (l shellLine) defined(name string, sameFile bool) int {
	if n, ok := l.assignedAt[name]; ok {
		return n
	}
	if _, ok := l.assigned[name]; ok {
		return 0 // an earlier step's export, an argument
	}
	if _, ok := l.choices[name]; ok {
		return 0 // one of the script's branches
	}
	if _, ok := l.vars[name]; ok && sameFile {
		return l.varAt[name]
	}
	return 0
}

// kubeContextFlag is helm's --kube-context flag, its value as written.
var kubeContextFlag = lazyre.New(`--kube-context[=\s]+("[^"]*"|'[^']*'|\S+)`)

// varRef is the first variable a shell word names.
var varRef = lazyre.New(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// varNote says where the job defines the variable that m[1] (a cluster
// or context as written: "$KUBE_CONTEXT") names, "" when it names none
// the CI file read defines.
func (l shellLine) varNote(m []string, varFile string) string {
	if len(m) < 2 {
		return ""
	}
	if v := varRef.Get().FindStringSubmatch(m[1]); v != nil && l.varAt[v[1]] > 0 {
		return ", " + v[1] + " at " + varFile + ":" + strconv.Itoa(l.varAt[v[1]])
	}
	return ""
}

// clusterVars choose a job's cluster without a command: helm reads
// HELM_KUBECONTEXT and KUBECONFIG, GitLab's agent integration (Auto
// DevOps) KUBE_CONTEXT.
var clusterVars = []struct{ name, kind string }{{"HELM_KUBECONTEXT", "context "}, {"KUBE_CONTEXT", "context "}, {"KUBECONFIG", "kubeconfig "}, {"WERF_KUBE_CONTEXT", "context "}, {"WERF_KUBECONFIG", "kubeconfig "}, {"WERF_KUBECONFIG_BASE64", "kubeconfig "}}

// clusterFromVars is the cluster the job's own variables choose, where
// the CI file varFile defines them: a context by name, or a kubeconfig
// (a path, or the one CI/CD file variable it is set to: jobs given
// $PROD_KUBECONFIG and $DR_KUBECONFIG deploy to different clusters). A
// value CI fills in otherwise is no cluster ferry can compare.
func (l shellLine) clusterFromVars(varFile string) clusterChoice {
	for _, cv := range clusterVars {
		raw, ok := l.vars[cv.name]
		line := l.varAt[cv.name]
		if !ok || raw == "" || line == 0 {
			continue
		}
		name := l.expand(raw)
		if IsCIExpr(name) && (cv.kind != "kubeconfig " || !loneVar.Get().MatchString(raw) && !loneSecret.Get().MatchString(raw)) {
			return clusterChoice{}
		}
		return clusterChoice{cv.kind + name, varFile + ":" + strconv.Itoa(line) + " (" + cv.name + ")"}
	}
	return clusterChoice{}
}

// loneSecret is a value that is one GitHub secret and nothing else
// (${{ secrets.KUBE_CONFIG_SANDBOX }}): a kubeconfig by its name.
var loneSecret = lazyre.New(`^\$\{\{\s*secrets\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}$`)

// loneVar is a value that is one variable and nothing else.
var loneVar = lazyre.New(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$`)

// prefer reports whether d, found after old for the same environment,
// deploys it rather than old, and notes on the one kept why it was
// chosen. An install or upgrade wins over a template; the main deploy
// over a canary or a --dry-run (its release, values files or --set say
// canary); of two commands in one job, the last (a canary step, then
// the real one); otherwise the first found.
func prefer(old, d *Deploy) bool {
	keep := func(win, lose *Deploy, why string) bool {
		win.Chosen = why + ": " + lose.at() + " " + lose.what() + " too"
		return win == d
	}
	switch {
	case old.Loc() == d.Loc() && (old.fnLine == d.fnLine || sameDeploy(old, d)):
		return false // one script that two jobs call, a function called again to retry
	case (old.Command == "template") != (d.Command == "template"):
		return old.Command == "template"
	case old.dryRun != d.dryRun:
		if old.dryRun {
			return keep(d, old, "the deploy, not the --dry-run")
		}
		return keep(old, d, "the deploy, not the --dry-run")
	case old.canary() != d.canary():
		if old.canary() {
			return keep(d, old, "the main deploy, not the canary")
		}
		return keep(old, d, "the main deploy, not the canary")
	case exclusive(old.guard, d.guard):
		return false // two branches of one if: noteUncertain says which runs is not known
	case old.File == d.File && old.job == d.job && old.job != "" && max(d.Line, d.fnLine) > max(old.Line, old.fnLine) && old.Via == d.Via:
		return keep(d, old, "the job's last helm "+d.Command)
	}
	if old.Chosen == "" {
		old.Chosen = "the first found: " + d.at() + " " + d.what() + " too"
	}
	return false
}

// at is where the command stands, with the call of its function when
// it runs in one: "scripts/deploy.sh:7 (deploy_to at scripts/deploy.sh:20)".
func (d *Deploy) at() string {
	if d.fnLine > 0 {
		return d.Loc() + " (" + d.fn + " at " + d.File + ":" + strconv.Itoa(d.fnLine) + ")"
	}
	return d.Loc()
}

// sameDeploy reports whether a and b deploy the same release, namespace,
// values and --set keys.
func sameDeploy(a, b *Deploy) bool {
	return a.Release == b.Release && a.Namespace == b.Namespace && slices.Equal(a.Values, b.Values) &&
		slices.EqualFunc(a.Set, b.Set, func(x, y SetFlag) bool { return x.Path == y.Path && x.Value == y.Value })
}

// what says what a deploy command deploys, for a note.
func (d *Deploy) what() string {
	if d.Release != "" {
		return "deploys release " + d.Release
	}
	return "deploys it"
}

// canary reports whether a command deploys a canary: its release or a
// values file says so, or it sets a canary key to true.
func (d *Deploy) canary() bool {
	if strings.Contains(strings.ToLower(d.Release), "canary") {
		return true
	}
	for _, v := range d.Values {
		if strings.Contains(strings.ToLower(path.Base(v)), "canary") {
			return true
		}
	}
	for _, s := range d.Set {
		if strings.Contains(strings.ToLower(s.Path), "canary") && s.Value == "true" {
			return true
		}
	}
	return false
}

// Why is what an environment's definition adds to the deploy command's
// location: why this command of several, the wrapper script's caller,
// the cluster its job points at.
func (d *Deploy) Why() string {
	var parts []string
	if d.Uncertain != "" {
		parts = append(parts, d.Uncertain)
	}
	if d.fnLine > 0 {
		parts = append(parts, "run by "+d.fn+" at "+d.File+":"+strconv.Itoa(d.fnLine))
	}
	if d.Via != "" {
		parts = append(parts, "called from "+d.Via)
	}
	if d.Chosen != "" {
		parts = append(parts, d.Chosen)
	}
	if d.Cluster != "" {
		parts = append(parts, d.Cluster+" ("+d.ClusterAt+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// ClusterKey is the cluster environment e deploys to, for telling two
// environments' namespaces apart: its target's context (ferry.yaml),
// else the cluster its CI job points at. It is "" — one cluster, as
// before — unless every environment of p has a known one, so that an
// environment whose cluster ferry cannot tell still counts as sharing.
func ClusterKey(e *Environment, p *Project) string {
	ctx, _ := e.Setting("context")
	if ctx != "" || p == nil || e.Deploy == nil || e.Deploy.Cluster == "" {
		return ctx
	}
	for _, o := range p.Environments {
		if c, _ := o.Setting("context"); c == "" && (o.Deploy == nil || o.Deploy.Cluster == "") {
			return ""
		}
	}
	return e.Deploy.Cluster
}

// redirect matches output redirected to a file.
// jobValues is a deploy command's values files as the repository has
// them. A file the job writes itself is not the repository's: when it
// is what `sops -d secret-values.yaml > dec.yaml` decrypts, the SOPS file
// stands in for it (render decrypts it, or checks it without its values);
// any other written file is left out, and the files it has are checked.
func jobValues(values []string, dir string, writtenFrom func(string) (string, bool)) []string {
	out := values[:0]
	for _, v := range values {
		src, written := writtenFrom(v)
		switch {
		case !written || regular(statInRepo(dir, v, false)):
			out = append(out, v)
		case src != "" && regular(statInRepo(dir, src, false)) && !slices.Contains(out, src):
			out = append(out, src)
		}
	}
	return out
}

// cdLine matches a step's `cd DIR` to a literal directory inside the
// repository, alone or before ; or &&: the lines after it in that shell
// run there.
var cdLine = lazyre.New(`^cd\s+("[^"$/][^"$]*"|'[^'$/][^'$]*'|[^\s;&|$/"'~][^\s;&|$"']*)\s*(?:$|;|&&)`)

// sopsDecrypt matches `sops -d SRC > DST` (or --decrypt, with options).
var sopsDecrypt = lazyre.New(`\bsops\s+(?:--?\S+\s+)*?(?:-d|--decrypt)\s+(?:--?\S+(?:\s+[^-\s>]\S*)?\s+)*?("[^"]*"|'[^']*'|[^\s>;&|]+)\s*>\s*("[^"]*"|'[^']*'|[^\s;&|]+)`)

// decrypts is the file l decrypts with sops into w, "" when l writes w
// some other way.
func (l shellLine) decrypts(w string) string {
	for _, m := range sopsDecrypt.Get().FindAllStringSubmatch(l.text, -1) {
		if path.Clean(strings.Trim(m[2], `"'`)) == w {
			src := strings.Trim(m[1], `"'`)
			if strings.ContainsAny(src, "$`") {
				return ""
			}
			return path.Clean(src)
		}
	}
	return ""
}

var redirect = lazyre.New(`(?:^|[^0-9&<>])>>?\s*("[^"]*"|'[^']*'|[^\s;&|]+)`)

// writes returns the files a line writes by redirection, cleaned.
func (l shellLine) writes() []string {
	if !strings.Contains(l.text, ">") {
		return nil
	}
	var out []string
	for _, m := range redirect.Get().FindAllStringSubmatch(l.text, -1) {
		if w := strings.Trim(m[1], `"'`); w != "/dev/null" && !strings.HasPrefix(w, "&") && !strings.HasPrefix(w, "$") {
			out = append(out, path.Clean(w))
		}
	}
	return out
}

// hereSets are the keys of a values file the line writes from its
// here-document, as --set flags at their lines: the job's file
// overrides the committed ones (secretKey: "${{ secrets.S3 }}"), so what
// it sets is CI's, not the repository's.
func (l shellLine) hereSets(file string) []SetFlag {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(strings.Join(l.here, "\n")), &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	var out []SetFlag
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := prefix + k.Value
			if v.Kind == yaml.ScalarNode {
				out = append(out, SetFlag{Path: p, Value: v.Value, ByCI: IsCIExpr(v.Value), Line: l.hereLine + k.Line - 1, String: v.Tag == "!!str", Written: file})
			}
			walk(v, p+".")
		}
	}
	walk(doc.Content[0], "")
	return out
}

// MissingValues returns the -f files of the command that do not exist,
// relative to the project directory dir: helm stops there with "no such
// file", so the job fails before it deploys anything. Files CI names by
// an expression (values-${{ env.STAGE }}.yaml) are not known here.
func (d *Deploy) MissingValues(dir string) []string {
	var out []string
	for _, v := range d.Values {
		if v == "" || v == "-" || IsCIExpr(v) || filepath.IsAbs(v) || strings.Contains(v, "://") {
			continue
		}
		if !exists(statInRepo(dir, v, true)) {
			out = append(out, v)
		}
	}
	if d.Missing != "" && !slices.Contains(out, d.Missing) {
		out = append(out, d.Missing)
	}
	return out
}

// keepOverridable is l keeping a Makefile's ?= defaults as written when
// the command's values file names one (-f .helm/values-$(NAMESPACE).yaml
// with NAMESPACE ?= test): the target deploys whichever environment the
// caller names, one per values file, not only the default's.
func (l shellLine) keepOverridable(words []string) shellLine {
	kept := l
	kept.keep = true
	for i, w := range words {
		val := ""
		switch {
		case (w == "-f" || w == "--values") && i+1 < len(words):
			val = words[i+1]
		case strings.HasPrefix(w, "--values="):
			val = strings.TrimPrefix(w, "--values=")
		case strings.HasPrefix(w, "-f") && len(w) > 2 && !strings.HasPrefix(w, "--"):
			val = w[2:]
		}
		for _, m := range ciExpr.Get().FindAllString(kept.expand(val), -1) {
			if l.overridable[strings.Trim(m, "${}() ")] {
				return kept
			}
		}
	}
	return l
}

// mayCallScript is a cheap look at a line's first word before it is split
// into words: a path (./deploy.sh, bin/release), or a shell, exec or an
// assignment in front of one.
func mayCallScript(t string) bool {
	w, _, _ := strings.Cut(strings.TrimSpace(t), " ")
	switch {
	case w == "bash" || w == "sh" || w == "exec" || w == "source" || w == "." || strings.Contains(w, "="):
		return strings.Contains(t, "/") || strings.Contains(t, ".sh") || strings.Contains(t, ".bash")
	default:
		return strings.Contains(w, "/") || shellName(w)
	}
}

// OwnChart reports whether the command installs the project's chart.
func (p *Project) OwnChart(d Deploy) bool { return p.ownChart(d.Chart) }

// Created is a ConfigMap or Secret a deploy's job makes itself. Name and
// Namespace are as the job wrote them, expanded where the job's
// variables say; Namespace "" when the command sets none (the job's).
// At is where (.gitlab-ci.yml:90).
type Created struct {
	Kind, Name, Namespace, At string
}

// creates reads a kubectl create secret or configmap on the line.
func (l shellLine) creates(file string) (Created, bool) {
	if !strings.Contains(l.text, "create") {
		return Created{}, false
	}
	m := kubectlCreate.Get().FindStringSubmatchIndex(l.text)
	if m == nil {
		return Created{}, false
	}
	o := Created{Kind: "Secret", Name: l.expand(strings.Trim(l.text[m[4]:m[5]], `"'`)), At: file + ":" + strconv.Itoa(l.line)}
	if strings.HasPrefix(l.text[m[2]:m[3]], "configmap") {
		o.Kind = "ConfigMap"
	}
	// the namespace flag may stand before create or after the name
	cmd := l.text[:m[1]]
	if i := strings.IndexAny(l.text[m[1]:], "|;&"); i >= 0 {
		cmd += l.text[m[1] : m[1]+i]
	} else {
		cmd += l.text[m[1]:]
	}
	if n := flagNamespace.Get().FindStringSubmatch(cmd); n != nil {
		o.Namespace = l.expand(strings.Trim(n[1], `"'`))
	}
	return o, true
}

// CreatesObject reports where the deploy's job makes the kind/name
// object in namespace ns ("" when it does not). A part of the name or
// namespace CI fills in (${APP}-db) matches anything there, and only
// there.
func (d *Deploy) CreatesObject(kind, name, ns string) string {
	if d == nil {
		return ""
	}
	for _, o := range d.Creates {
		if o.Kind == kind && ciMatch(o.Name, name) && (o.Namespace == "" || ciMatch(o.Namespace, ns)) {
			return o.At
		}
	}
	return ""
}

// ciVar is a variable CI fills into a name: ${X}, $X, ${{ x }}, $(X).
var ciVar = lazyre.New(`\$\{\{[^}]*\}\}|\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*`)

// ciMatch reports whether name fits pattern, a name as CI wrote it:
// its literal parts in order, at least one character where each
// variable stands. Taking each middle part at its first place leaves
// the most room for the rest, so no backtracking is needed (and no
// regexp is compiled per object compared).
func ciMatch(pattern, name string) bool {
	if !strings.Contains(pattern, "$") {
		return pattern == name
	}
	parts := ciVar.Get().Split(pattern, -1)
	last := parts[len(parts)-1]
	if len(parts) == 1 || !strings.HasPrefix(name, parts[0]) {
		return pattern == name
	}
	rest := name[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest[min(1, len(rest)):], p)
		if rest == "" || i < 0 {
			return false
		}
		rest = rest[1+i+len(p):]
	}
	return len(rest) > len(last) && strings.HasSuffix(rest, last)
}

// listing is a repository's confined file system with each directory
// listed once: the CI scan globs some thirty patterns over the same few
// directories.
type listing struct {
	fs.FS
	dirs map[string][]fs.DirEntry
}

func (l *listing) ReadDir(name string) ([]fs.DirEntry, error) {
	if d, ok := l.dirs[name]; ok {
		return d, nil
	}
	d, err := fs.ReadDir(l.FS, name)
	l.dirs[name] = d // a failed listing lists nothing the next time too
	return d, err
}

// scriptsIn lists the shell scripts of the repository at root down to
// the depth charts are found at (deploy/scripts/dev/install.sh,
// k8s/helm/deploy.sh beside its chart), leaving out what dependencies,
// test fixtures and dot directories hold.
func scriptsIn(lst *listing, root string) []string {
	return filesIn(lst, root, maxChartDepth-2, false, func(rel string) bool { return shellName(path.Base(rel)) })
}

// filesIn lists the files under root, down to depth directories, that
// keep takes (by their slash-separated path relative to root), leaving
// out what dependencies and test fixtures hold, and dot directories
// unless dots.
func filesIn(lst *listing, root string, depth int, dots bool, keep func(rel string) bool) []string {
	var out []string
	var walk func(rel string, d int)
	walk = func(rel string, d int) {
		entries, _ := lst.ReadDir(rel)
		for _, e := range entries {
			n := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				if d < depth && !skipDirs[e.Name()] && (dots || !strings.HasPrefix(e.Name(), ".")) {
					walk(n, d+1)
				}
			case keep(n):
				out = append(out, filepath.Join(root, filepath.FromSlash(n)))
			}
		}
	}
	walk(".", 0)
	return out
}

// globIn is filepath.Glob of pat in the repository at root ("" for
// paths relative to it), listed through its confined file system (a
// listing, or a root's): a directory linked out of the repository lists
// nothing.
func globIn(fsys fs.FS, root, pat string) []string {
	m, _ := fs.Glob(fsys, pat)
	for i := range m {
		m[i] = filepath.Join(root, filepath.FromSlash(m[i]))
	}
	return m
}

// werfVars reads what werf takes from its WERF_ variables where its
// flags say nothing (a step's env: WERF_ENV: production,
// WERF_VALUES_ENV: .helm/values-production.yaml): the environment,
// release, namespace and values files, each as its flag would.
func (l shellLine) werfVars(d *Deploy, env *string, dir, fileDir string) {
	get := func(k string) string {
		if v := l.expand("${" + k + "}"); !strings.Contains(v, "$") {
			return v
		}
		return ""
	}
	if *env == "" {
		*env = get("WERF_ENV")
	}
	if d.Release == "" {
		d.Release = get("WERF_RELEASE")
	}
	if d.Namespace == "" {
		d.Namespace = get("WERF_NAMESPACE")
	}
	var names []string
	for k := range l.vars {
		if strings.HasPrefix(k, "WERF_VALUES_") {
			names = append(names, k)
		}
	}
	sort.Strings(names) // werf reads them in the variables' order; names are all ferry has
	for _, k := range names {
		if v := get(k); v != "" {
			d.Values = append(d.Values, l.relPath(v, dir, fileDir))
			d.flags = append(d.flags, flagWord{"-f", v, d.Values[len(d.Values)-1]})
			if n := l.varAt[k]; n > 0 {
				if d.flagLines == nil {
					d.flagLines = map[string]int{}
				}
				d.flagLines["-f\x00"+d.Values[len(d.Values)-1]] = n // the variable's line
			}
		}
	}
}
