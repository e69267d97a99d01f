package project

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/confine"
)

// Project is a service repository as ferry sees it.
type Project struct {
	// Dir is the project directory, absolute.
	Dir string
	// File is ferry.yaml, or nil when the project has none.
	File *File

	Service string
	Main    string
	// Chart is the chart directory relative to Dir; "" when the project
	// has no chart (configs/ only).
	Chart string
	// Image is the image repository; from ferry.yaml, else the chart's
	// values (read by render), else the service name.
	Image string
	// Layers are the values files every environment reads after the
	// chart's values.yaml and before its own.
	Layers []string
	// Runtime is RuntimeGoFr or RuntimeGeneric; RuntimeReason says why.
	Runtime       string
	RuntimeReason string
	// Configs is the GoFr config directory relative to Dir ("configs"),
	// or "" when there is none.
	Configs string
	// Environments in path order, then any off the path alphabetically.
	Environments []*Environment
	// Path is the promotion path, first environment first.
	Path []string
	// OrderReason says why the environments are in this order: ferry.yaml's
	// path, or what their names say.
	OrderReason string
	// Deploys are the helm commands found in the repository's CI files
	// and scripts; each environment's Deploy is one of them.
	Deploys []Deploy
	// alsoDeployed are the values files of the commands an environment
	// did not keep (its canary's), by environment: not environments.
	alsoDeployed map[string]string
	// named says why a deploy command that names no environment is called
	// what it is, by environment; unmatched are the commands ferry could
	// neither match nor name, for the header.
	named     map[string]string
	unmatched []string
	Database  Database
	Accept    []Acceptance
	// Warnings are what ferry.yaml allows but should not say, such as a
	// secretsFile others can read (see validate.go).
	Warnings []string
	// Unchecked are values files of an environment's name that no
	// environment checks (CI deploys that environment with other files),
	// each "file: why", also among Warnings: for a report's problems, so
	// that JSON and SARIF readers see them too.
	Unchecked []string
	// Trust is ferry.yaml's trust section, as written.
	Trust Trust
}

// Environment is one place the service runs.
type Environment struct {
	Name string
	// Target is the name of the registered target that runs it.
	Target    string
	Namespace string
	Release   string
	// Values are the chart values files, base first, relative to the
	// project directory.
	Values    []string
	Soak      time.Duration
	Smoke     []SmokeStep
	Health    string
	SoakGates Soak // the soak's metric gates: ferry.yaml soak: {…}
	// Section is the environment's ferry.yaml section as written (nil
	// when ferry.yaml has none): the target's keys are read from it by
	// the target's decoder, and Line is where it stands.
	Section *yaml.Node
	Line    int
	// Settings are the target's own settings, as its decoder returned
	// them (platform.DecodeSettings); nil until decoded.
	Settings any
	// From says where each part of this definition came from.
	From Origin
	// NamespaceFromContext is the deploy command (file:line) that sets
	// no -n, when nothing else names the namespace: Helm installs into
	// the kube context's namespace, not the environment's name, which
	// Namespace holds only as ferry's stand-in. "" otherwise.
	NamespaceFromContext string
	// Deploy is the CI command that deploys this environment, nil when
	// none was found.
	Deploy *Deploy
	// Set are the values the deploy command sets with --set, applied after
	// the values files as Helm does.
	Set []SetFlag
	// Tokens are the CI steps that replace tokens in the chart before it
	// deploys (see tokens.go).
	Tokens []Token
	// Nameless is set when ferry named the environment after its deploy
	// command's namespace or release (the command names none): a service's
	// name, not a stage word that a value naming it would mean.
	Nameless bool
}

// Origin says where an environment's definition came from, for the
// report header: ferry.yaml, the CI deploy command, or discovery.
type Origin struct {
	// Definition sums it up: "ferry.yaml:12", "CI .github/workflows/deploy.yml:42",
	// "discovered from values-prod.yaml".
	Definition string
	// Release, Namespace and Values each say where that part came from:
	// "ferry.yaml:12", ".github/workflows/deploy.yml:42 (-n)", "the
	// environment's name", "the chart's name".
	Release, Namespace, Values string
}

// ErrUnknownEnvironment is returned for an environment the project does
// not have.
var ErrUnknownEnvironment = errors.New("unknown environment")

// Load reads the project in dir: ferry.yaml if present, discovery for the
// rest. Without ferry.yaml's chart:, the chart is searched for below dir;
// when there are several, Load returns a *SeveralChartsError (LoadChart
// loads each), and when there is neither a chart nor a configs/
// directory, a *NoChartError.
func Load(dir string) (*Project, error) { return LoadChart(dir, "") }

// LoadChart is Load with the chart directory given (relative to dir), as
// if ferry.yaml named it; "" discovers it. It reads ferry.yaml and
// Chart.yaml through internal/confine: one that leads out of the project
// is refused, naming it.
func LoadChart(dir, chartDir string) (*Project, error) { return load(dir, chartDir, true) }

// LoadOwn is Load without the repository's deploy commands (workflows,
// Makefiles, scripts: the most of a load's work), for a command that
// only builds the service: its environments are those ferry.yaml and
// the values files define, without --set flags or tokens from CI.
func LoadOwn(dir string) (*Project, error) { return load(dir, "", false) }

// load is LoadChart, reading the deploy commands when ci is set.
func load(dir, chartDir string, ci bool) (*Project, error) {
	p, err := open(dir)
	if err != nil {
		return nil, err
	}
	root, release, err := hold(p.Dir)
	if err != nil {
		return nil, err
	}
	defer release()
	var data []byte
	if p.File, data, err = readFile(root); err != nil {
		return nil, err
	}
	if err := validateFile(p.Dir, data, p.File); err != nil {
		return nil, err
	}
	if chartDir == "" {
		chartDir = p.File.Chart
	}
	if err := p.locate(dir, chartDir); err != nil {
		return nil, err
	}
	if err := p.identify(root); err != nil {
		return nil, err
	}
	envFiles, deploys := p.sources(ci)
	names, fromFiles, fromCI := p.classify(envFiles, deploys)
	if err := p.settle(names); err != nil {
		return nil, err
	}
	p.order(names, fromCI, fromFiles)
	if err := p.defineAll(names, deploys, envFiles); err != nil {
		return nil, err
	}
	if err := validateEnvironments(p, data); err != nil {
		return nil, err
	}
	return p, nil
}

// open is the project at dir, which must be a directory, before
// anything is read.
func open(dir string) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// The directory the user names is not the repository's to choose:
	// it may be reached through links. What is inside it is confined.
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("project directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("project directory %s is not a directory", dir)
	}
	return &Project{Dir: abs}, nil
}

// readFile reads and parses ferry.yaml, and returns it as read for the
// messages that name its lines; a project without one has an empty File.
func readFile(root *confine.Root) (*File, []byte, error) {
	data, err := root.ReadFile(FileName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &File{}, nil, nil
	case err != nil:
		return nil, nil, err
	}
	f, err := ParseFile(FileName, data)
	return f, data, err
}

// locate finds the configs directory, the chart (chartDir when given)
// and the runtime. dir is the directory as the user named it.
func (p *Project) locate(dir, chartDir string) error {
	if isDirIn(p.Dir, "configs") {
		p.Configs = "configs"
	}
	var err error
	if p.Chart, err = p.findChart(chartDir); err != nil {
		// Name the directory as the user did, not its absolute path.
		var nc *NoChartError
		var sc *SeveralChartsError
		switch {
		case errors.As(err, &nc):
			nc.Dir = dir
		case errors.As(err, &sc):
			sc.Dir = dir
		}
		return err
	}
	if p.Configs == "" {
		p.Configs = p.serviceConfigs()
	}
	p.Runtime, p.RuntimeReason, err = p.detectRuntime()
	return err
}

// identify takes what ferry.yaml says of the service as a whole, with
// the defaults: its name from the chart, then the directory; "." as its
// main package, which must be a directory of the project.
func (p *Project) identify(root *confine.Root) error {
	f := p.File
	p.Service = f.Service
	if p.Service == "" && p.Chart != "" {
		name, err := chartName(root, p.Chart)
		if err != nil {
			return err
		}
		p.Service = name
	}
	if p.Service == "" {
		p.Service = filepath.Base(p.Dir)
	}
	p.Main = f.Main
	if p.Main == "" {
		p.Main = "."
	} else if err := ownPackage(root, p.Main); err != nil {
		return fmt.Errorf("%s%s: main: %w", FileName, lineOf(filepath.Join(p.Dir, FileName), "main"), err)
	}
	p.Image = f.Image
	p.Database = f.Database
	if p.Database.MaxConnections == 0 {
		p.Database.MaxConnections = 100
	}
	p.Accept = f.Accept
	p.Trust = f.Trust
	return nil
}

// ownPackage refuses a main: that is not a directory of the project: an
// import path (github.com/acme/tools/cmd/x) or a pattern would have go
// build compile code from outside the repository under the service's name.
func ownPackage(root *confine.Root, main string) error {
	if strings.Contains(main, "...") {
		return fmt.Errorf("%s is a package pattern; name the one main package, a directory of the project", main)
	}
	st, err := root.Stat(strings.TrimPrefix(filepath.ToSlash(main), "./"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s is not a directory of the project; ferry builds only the project's own packages", main)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", main)
	}
	return nil
}

// sources finds what defines environments besides ferry.yaml: the
// values files by name and the repository's deploy commands, each
// command assigned to the environment it deploys (none without ci).
func (p *Project) sources(ci bool) (envFiles map[string]string, deploys map[string]*Deploy) {
	found := p.discoverValues()
	p.Warnings = append(p.Warnings, found.ignored...)
	p.Layers = p.File.Layers
	if p.Layers == nil {
		p.Layers = found.layers
	}
	if ci {
		var warns []string
		p.Deploys, warns = findDeploysWarn(p.Dir)
		p.Warnings = append(p.Warnings, warns...)
	}
	deploys = p.assignDeploys(found.envs)
	for _, dup := range found.regionDups {
		file, kept := dup[0], dup[1]
		env := byValue(found.envs, kept)
		if d := deploys[env]; d != nil && slices.Contains(d.Values, file) {
			continue // CI deploys the region's file: classify says the other is not checked
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: names environment %s in region %s, as %s does; %s is checked — name this one under environments: in %s to check it too",
			file, env, fileRegion(file), kept, kept, FileName))
	}
	p.siblingValues(deploys, found.envs)
	return found.envs, deploys
}

// classify decides which values files are environments. When CI deploys
// the chart, its commands define the environments they deploy; the
// values files define the rest. A file deployed under another name is
// that environment's; a file for an environment CI deploys with other
// files (or under a synonym: values-prod.yaml where CI deploys
// production from values-live.yaml) is left out with a word unless
// ferry.yaml names it. No environment is dropped silently. It returns
// the names, and which came from values files alone and which from CI.
func (p *Project) classify(envFiles map[string]string, deploys map[string]*Deploy) (names map[string]bool, fromFiles, fromCI []string) {
	f := p.File
	names = map[string]bool{}
	used := map[string]string{}
	for v, n := range p.alsoDeployed {
		used[v] = n
	}
	for n, d := range deploys {
		for _, v := range d.Values {
			used[v] = n
		}
	}
	// Values files a throwaway cluster's install reads (a lint of
	// values-prod.yaml reads an environment's file: not these).
	tests := map[string]string{}
	for _, d := range p.Deploys {
		if d.Throwaway && p.ownChart(d.Chart) {
			for _, v := range d.Values {
				tests[v] = d.Loc()
			}
		}
	}
	for n, file := range envFiles {
		_, named := f.Environments[n]
		by, ok := used[file]
		deployedAs := deployedSynonym(n, deploys)
		if !named && !slices.Contains(f.Path, n) && !ok {
			at, tested := tests[file]
			// A stage's own file (values-dev.yaml) stays an environment
			// even when a test job borrows it.
			if (tested && (!envLike(n) || n == "ci" || n == "e2e")) || testClusterStems[n] {
				why := "values for a test cluster"
				if tested {
					why = "only " + at + " reads it, to test the chart in a cluster of its own"
				}
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: not an environment: %s; name it under environments: in %s to check it as one", file, why, FileName))
				delete(envFiles, n)
				continue
			}
		}
		switch {
		case len(deploys) == 0 || named || slices.Contains(f.Path, n) || by == n:
			names[n] = true
		case ok:
			// deployed as environment by: not an environment of its own
		case deployedAs != "" && !deploys[deployedAs].resolved(p.Dir):
			// CI deploys it with values files ferry cannot resolve (-f
			// $VALUES_FILE): the discovered file is the best definition.
			names[n] = true
		case deployedAs != "" && deployedAs != n && slices.ContainsFunc(deploys[deployedAs].Values, func(v string) bool {
			m := byValue(envFiles, v)
			return m != "" && synonym(m) != synonym(n) && m != deployedAs
		}):
			// CI's production job deploys another environment's files
			// (values-demo.yaml): values-prod.yaml is still what the
			// repository says prod is, deployed by nothing, so it is
			// checked, values only, and the header says so.
			names[n] = true
			fromFiles = append(fromFiles, n)
			if p.named == nil {
				p.named = map[string]string{}
			}
			p.named[n] = fmt.Sprintf("; deployed by nothing: CI deploys %s with other values files (%s)", deployedAs, deploys[deployedAs].Loc())
		case deployedAs != "":
			p.Unchecked = append(p.Unchecked, fmt.Sprintf("%s: CI deploys %s with other values files (%s), so this file is not checked; name it under environments: in %s to check it",
				file, deployedAs, deploys[deployedAs].Loc(), FileName))
			p.Warnings = append(p.Warnings, p.Unchecked[len(p.Unchecked)-1])
			delete(envFiles, n)
		default:
			names[n] = true
			fromFiles = append(fromFiles, n)
		}
	}
	sort.Strings(fromFiles)
	for n := range deploys {
		fromCI = append(fromCI, n)
		names[n] = true
	}
	sort.Strings(fromCI)
	return names, fromFiles, fromCI
}

// settle adds the environments configs/ overlays and ferry.yaml name,
// drops the excluded ones, and refuses a path or trust section that
// names one twice or one that is not there.
func (p *Project) settle(names map[string]bool) error {
	f := p.File
	for _, n := range p.discoverConfigs() {
		names[n] = true
	}
	for n := range f.Environments {
		names[n] = true
	}
	for _, n := range f.Path {
		names[n] = true
	}
	for _, n := range f.Exclude {
		delete(names, n)
	}
	for i, n := range f.Path {
		if slices.Contains(f.Path[:i], n) {
			return fmt.Errorf("%s: path names %q twice", FileName, n)
		}
	}
	for _, n := range f.Trust.Require {
		if !names[n] {
			return fmt.Errorf("%s:%d: trust.require names %q, which is not an environment", FileName, f.Trust.Line, n)
		}
	}
	if len(f.Trust.Require) > 0 && len(f.Trust.Keys) == 0 {
		return fmt.Errorf("%s:%d: trust.require needs at least one key in trust.keys", FileName, f.Trust.Line)
	}
	return nil
}

// order sets the promotion path — ferry.yaml's, else what the names say —
// and says why.
func (p *Project) order(names map[string]bool, fromCI, fromFiles []string) {
	f := p.File
	p.Path = slices.DeleteFunc(slices.Clone(f.Path), func(n string) bool { return slices.Contains(f.Exclude, n) })
	if len(p.Path) == 0 {
		p.Path, p.OrderReason = conventionalOrder(names)
	} else {
		p.OrderReason = FileName + "'s path"
	}
	if len(fromCI) > 0 && len(fromFiles) > 0 {
		// CI deploys some environments and not others: say which is which,
		// so that a reader sees the ones CI would not have checked.
		p.OrderReason += "; defined by CI's deploy commands: " + strings.Join(fromCI, ", ") +
			"; by values files alone (no deploy command of the repository deploys them): " + strings.Join(fromFiles, ", ")
	}
	if len(p.unmatched) > 0 {
		p.OrderReason += "; deploy commands matched to no environment, not checked: " + strings.Join(p.unmatched, "; ")
	}
}

// defineAll defines the environments, the path's first, then the others
// alphabetically.
func (p *Project) defineAll(names map[string]bool, deploys map[string]*Deploy, envFiles map[string]string) error {
	ordered := append([]string(nil), p.Path...)
	var rest []string
	for n := range names {
		if !slices.Contains(ordered, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	ordered = append(ordered, rest...)

	base := ""
	if p.Chart != "" {
		if b := filepath.Join(p.Chart, "values.yaml"); isFileIn(p.Dir, b) {
			base = b
		}
	}
	for _, n := range ordered {
		e, err := p.environment(n, deploys[n], base, envFiles[n])
		if err != nil {
			return err
		}
		p.Environments = append(p.Environments, e)
	}
	return nil
}

// environment defines environment n from its ferry.yaml section and
// what else defines it, and checks its values files.
func (p *Project) environment(n string, d *Deploy, base, envFile string) (*Environment, error) {
	spec := p.File.Environments[n]
	e := &Environment{
		Name:      n,
		Target:    spec.Target,
		Namespace: spec.Namespace,
		Release:   spec.Release,
		Values:    spec.Values,
		Soak:      spec.Soak.Duration.Duration,
		SoakGates: spec.Soak,
		Smoke:     spec.Smoke,
		Health:    spec.Health,
		Section:   spec.Section,
		Line:      spec.line,
	}
	if e.Target == "" {
		e.Target = "local"
	}
	p.define(e, spec, p.File.Environments, d, base, envFile)
	if d := e.Deploy; d != nil && d.Missing != "" && e.From.Values != fileAt(spec) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: CI deploys %s with -f %s, which does not exist, so helm fails there; %s is checked with the chart's values and the command's --set",
			d.Loc(), n, d.Missing, n))
	}
	for _, v := range e.Values {
		st, err := statIn(p.Dir, v, false)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: environment %q: values file %s does not exist", FileName, n, v)
		case err == nil:
			err = RegularWithin(st, MaxValuesSize) // a directory or a FIFO is named, never skipped or read
		case !errors.Is(err, confine.ErrRefused):
			err = errors.Unwrap(err)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: environment %q: values file %s: %w", FileName, n, v, err)
		}
	}
	return e, nil
}

// Env returns the environment called name.
func (p *Project) Env(name string) (*Environment, error) {
	for _, e := range p.Environments {
		if e.Name == name {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w %q (the project has: %s)", ErrUnknownEnvironment, name, strings.Join(p.EnvNames(), ", "))
}

// EnvNames returns the environments' names in order.
func (p *Project) EnvNames() []string {
	out := make([]string, len(p.Environments))
	for i, e := range p.Environments {
		out[i] = e.Name
	}
	return out
}

// Next returns the environment after name on the promotion path.
func (p *Project) Next(name string) (string, bool) {
	i := slices.Index(p.Path, name)
	if i < 0 || i+1 >= len(p.Path) {
		return "", false
	}
	return p.Path[i+1], true
}

// Last returns the last environment of the promotion path, "" when there
// is no path.
func (p *Project) Last() string {
	if len(p.Path) == 0 {
		return ""
	}
	return p.Path[len(p.Path)-1]
}

func (p *Project) findChart(explicit string) (string, error) {
	if explicit != "" {
		// A werf project's .helm has no Chart.yaml: werf makes one, as
		// render does (discovery finds such charts the same way).
		if !isFileIn(p.Dir, path.Join(explicit, "Chart.yaml")) && WerfProject(filepath.Join(p.Dir, explicit)) == "" {
			return "", fmt.Errorf("%s: chart %s has no Chart.yaml", FileName, explicit)
		}
		return filepath.ToSlash(filepath.Clean(explicit)), nil
	}
	if isFileIn(p.Dir, "Chart.yaml") {
		return ".", nil
	}
	charts, err := FindCharts(p.Dir)
	if err != nil {
		return "", err
	}
	switch len(charts) {
	case 0:
		if p.Configs != "" {
			return "", nil // a GoFr service without a chart
		}
		return "", &NoChartError{Dir: p.Dir}
	case 1:
		return charts[0], nil
	}
	// chart/ beside other charts is the service's own by convention.
	if slices.Contains(charts, "chart") {
		return "chart", nil
	}
	return "", &SeveralChartsError{Dir: p.Dir, Charts: charts}
}

// discoverConfigs names the environments that have a configs/.<env>.env
// overlay.
func (p *Project) discoverConfigs() []string {
	if p.Configs == "" {
		return nil
	}
	entries, _ := readDirIn(p.Dir, p.Configs)
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".env") || name == ".env" {
			continue
		}
		if name == ".local.env" || name == ".test.env" {
			// GoFr's overlays for a developer's machine and for its unit
			// tests (APP_ENV=test) are no environment of their own.
			continue
		}
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(name, "."), ".env"))
	}
	return out
}

// chartName is the name Chart.yaml gives the chart in directory chart
// (relative to the project), "" when it gives none; a Chart.yaml that
// leads out of the project is refused, naming it.
func chartName(root *confine.Root, chart string) (string, error) {
	data, err := root.ReadFile(path.Join(filepath.ToSlash(chart), "Chart.yaml"))
	if errors.Is(err, confine.ErrRefused) {
		return "", err
	}
	if err != nil {
		if w := WerfProject(filepath.Join(root.Dir(), filepath.FromSlash(chart))); w != "" {
			return w, nil
		}
		return "", nil // findChart saw it; render reports what is wrong with it
	}
	var c struct {
		Name string `yaml:"name"`
	}
	if yaml.Unmarshal(data, &c) != nil {
		return "", nil
	}
	return c.Name, nil
}

// define fills in what ferry.yaml leaves unset of e: from the CI deploy
// command when there is one, else by convention; and says where each
// part came from.
func (p *Project) define(e *Environment, spec EnvSpec, specs map[string]EnvSpec, d *Deploy, base, envFile string) {
	_, inFile := specs[e.Name]
	at := fileAt(spec)
	e.Deploy = d
	e.Nameless = d != nil && p.named[e.Name] != ""
	e.From.Definition = p.definition(e.Name, inFile, at, d, envFile)
	defineNamespace(e, at, d)
	p.defineRelease(e, at, d)
	p.defineValues(e, at, d, base, envFile)
	if d != nil {
		e.Set = d.Set
		e.Tokens = d.Tokens
	} else {
		// No command deploys e; a repository whose pipelines replace
		// tokens in the chart writes e's the same way.
		for _, o := range p.Deploys {
			for _, t := range o.Tokens {
				if !slices.ContainsFunc(e.Tokens, t.same) {
					e.Tokens = append(e.Tokens, t)
				}
			}
		}
	}
}

// definition sums up where environment name is defined, for the report
// header.
func (p *Project) definition(name string, inFile bool, at string, d *Deploy, envFile string) string {
	switch {
	case inFile && d != nil:
		return at + ", " + d.kindLoc() + d.Why()
	case inFile:
		return at
	case d != nil && d.Missing != "":
		return d.kindLoc() + " (no values file: " + d.Missing + " does not exist, so the chart's values and the command's --set)"
	case d != nil:
		for _, v := range d.Values {
			if r := fileRegion(v); r != "" && isFileIn(p.Dir, v) {
				return d.kindLoc() + d.Why() + " (region " + r + ", from " + path.Base(v) + ")"
			}
		}
		return d.kindLoc() + d.Why() + p.named[name]
	case envFile != "" && len(p.unmatched) > 0:
		return envFile + " (discovered" + regionNote(envFile) + "; ferry matched no deploy command to " + name + ")"
	case envFile != "" && strings.HasPrefix(p.named[name], "; deployed by nothing"):
		return envFile + " (discovered" + regionNote(envFile) + p.named[name] + ")"
	case envFile != "" && len(p.Deploys) > 0 && p.deploysChart():
		return envFile + " (discovered" + regionNote(envFile) + "; no deploy command of the repository deploys " + name + ")"
	case envFile != "":
		return envFile + " (discovered" + regionNote(envFile) + ")"
	}
	return path.Join(p.Configs, "."+name+".env") + " (discovered)"
}

// regionNote says which cloud region a values file's name gives, for
// the definition: "; region eastus, from the file's name".
func regionNote(file string) string {
	if r := fileRegion(file); r != "" {
		return "; region " + r + ", from the file's name" + underscoreNote(file) + baseNote(file)
	}
	return underscoreNote(file) + baseNote(file)
}

// nameAsNamespace is the provenance of a namespace nothing sets: the
// environment's name, taken as a guess.
const nameAsNamespace = "the environment's name"

// defineNamespace: ferry.yaml's, else the deploy command's -n, else the
// environment's name.
func defineNamespace(e *Environment, at string, d *Deploy) {
	switch {
	case e.Namespace != "":
		e.From.Namespace = at
	case d != nil && d.NamespaceAt != "":
		e.Namespace, e.From.Namespace = d.Namespace, d.NamespaceAt+" (kubectl config set-context --namespace)"
	case d != nil && d.Namespace != "" && !IsCIExpr(d.Namespace):
		e.Namespace, e.From.Namespace = d.Namespace, d.FlagLoc("-n", d.Namespace)+" (-n"+d.nsVar+")"
		if d.NamespaceDefault != "" {
			e.From.Namespace = d.FlagLoc("-n", d.Namespace) + " (-n: the default of " + d.NamespaceDefault + ", which nothing in the repository sets)"
		}
	case d != nil && d.Namespace != "":
		// CI fills it in: say so, and what ferry checks in its stead.
		e.Namespace = e.Name
		e.From.Namespace = SetByCI + " (" + d.Namespace + " at " + d.FlagLoc("-n", d.Namespace) + "; checked as " + e.Name + ", the environment's name)"
	default:
		e.Namespace, e.From.Namespace = e.Name, nameAsNamespace
		if d != nil && d.Namespace == "" && !d.argo {
			e.NamespaceFromContext = d.Loc()
		}
	}
}

// SetByCI starts the provenance of a namespace or release the CI deploy
// command fills in from an expression: ferry checks the environment
// with a stand-in of its own choosing, which is not what CI deploys.
const SetByCI = "set by CI"

// Said is how a report names an environment's namespace or release v
// with its provenance from: "payments (ferry.yaml:12)", or "set by CI
// (${K8S_NAMESPACE} at bin/deploy:23; checked as uat, …)" when CI fills
// it in, so that a report never calls ferry's stand-in CI's value.
func Said(v, from string) string {
	if strings.HasPrefix(from, SetByCI+" (") {
		return from
	}
	if from == nameAsNamespace {
		// nothing sets it: the report must not read it as a fact
		return v + " (a guess: the environment's name; no ferry.yaml or deploy command sets it)"
	}
	return v + " (" + from + ")"
}

// defineRelease: ferry.yaml's, else the deploy command's, else the
// service's name.
func (p *Project) defineRelease(e *Environment, at string, d *Deploy) {
	switch {
	case e.Release != "":
		e.From.Release = at
	case d != nil && d.Release != "" && !IsCIExpr(d.Release):
		e.Release, e.From.Release = d.Release, d.Loc()
	default:
		e.Release = p.Service
		e.From.Release = "the service's name"
		if p.File.Service == "" {
			e.From.Release = "the chart's name"
		}
		if d != nil && d.Release != "" {
			e.From.Release = SetByCI + " (" + d.Release + " at " + d.Loc() + "; checked as " + e.Release + ", " + e.From.Release + ")"
		}
	}
}

// defineValues: ferry.yaml's values files, else the deploy command's -f
// files (after the chart's values.yaml), else the discovered ones.
func (p *Project) defineValues(e *Environment, at string, d *Deploy, base, envFile string) {
	if e.Values != nil {
		e.From.Values = at
		return
	}
	if d != nil && d.Missing != "" {
		e.Values = append(e.Values, d.Values...)
		if base != "" && !slices.Contains(e.Values, base) {
			e.Values = append([]string{base}, e.Values...)
		}
		e.From.Values = d.Loc() + " (-f " + d.Missing + " does not exist)"
		return
	}
	if missing := d.missingOwn(p.Dir); len(missing) > 0 && envFile == "" {
		// helm fails on the missing file; the rest is what it would read.
		if base != "" {
			e.Values = append(e.Values, base)
		}
		for _, v := range d.Values {
			if !slices.Contains(missing, v) && !slices.Contains(e.Values, v) {
				e.Values = append(e.Values, v)
			}
		}
		e.From.Values = d.Loc() + " (-f " + strings.Join(missing, ", ") + " does not exist)"
		return
	}
	if vals, ok := d.valuesFiles(p.Dir); ok {
		if base != "" && !slices.Contains(vals, base) {
			e.Values = append(e.Values, base)
		}
		e.Values = append(e.Values, vals...)
		e.From.Values = d.ValuesLoc() + " (-f)"
		return
	}
	if base != "" {
		e.Values = append(e.Values, base)
	}
	e.Values = append(e.Values, p.Layers...)
	e.From.Values = "discovered"
	if envFile != "" {
		e.Values = append(e.Values, envFile)
	} else if d != nil && len(d.Values) == 0 {
		e.From.Values = d.Loc() + " (no -f: the chart's own)"
	}
}

// fileAt is where ferry.yaml defines an environment: "ferry.yaml:12".
func fileAt(spec EnvSpec) string {
	if spec.line > 0 {
		return fmt.Sprintf("%s:%d", FileName, spec.line)
	}
	return FileName
}

// missingOwn is MissingValues for a command that names only files
// ferry can tell (no CI expression among its -f files).
func (d *Deploy) missingOwn(dir string) []string {
	if d == nil || slices.ContainsFunc(d.Values, IsCIExpr) {
		return nil
	}
	return d.MissingValues(dir)
}

// resolved reports whether the deploy's -f files are all the project's
// (valuesFiles would use them).
func (d *Deploy) resolved(dir string) bool {
	_, ok := d.valuesFiles(dir)
	return ok
}

// valuesFiles returns the deploy's -f files when every one of them is a
// file of the project; false when there are none or CI names one ferry
// cannot resolve.
func (d *Deploy) valuesFiles(dir string) ([]string, bool) {
	if d == nil || len(d.Values) == 0 {
		return nil, false
	}
	var out []string
	for _, v := range d.Values {
		if v == "-" {
			continue // --values -: what CI pipes in, which the repository does not hold
		}
		out = append(out, v)
		if IsCIExpr(v) || strings.HasPrefix(v, "../") || filepath.IsAbs(v) || !present(statIn(dir, v, false)) {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// assignDeploys decides which environment each deploy command deploys,
// and keeps one command per environment (an install or upgrade over a
// template). A command whose chart is not this project's is not its
// deploy.
func (p *Project) assignDeploys(envFiles map[string]string) map[string]*Deploy {
	out := map[string]*Deploy{}
	p.alsoDeployed = map[string]string{}
	byFile := map[string]string{}
	for env, f := range envFiles {
		byFile[f] = env
	}
	add := func(env string, d Deploy) {
		// GitLab's environment: name: primary_dev is values-primary_dev.yaml's
		// primary-dev (discoverValues).
		env = strings.ReplaceAll(strings.ToLower(env), "_", "-")
		if !envNameRe.Get().MatchString(env) || localStem(env) {
			return
		}
		if runs, _ := runsFor(d.guard, d.envVar, env); !runs {
			return // its branch runs for other environments
		}
		if old, ok := out[env]; ok {
			keep, lost := old, &d
			if prefer(old, &d) {
				keep, lost = &d, old
			}
			for _, v := range lost.Values {
				if !slices.Contains(keep.Values, v) {
					p.alsoDeployed[v] = env // a canary's file: env's too, not an environment
				}
			}
			noteUncertain(keep, old, &d, env)
			out[env] = keep
			return
		}
		out[env] = &d
	}
	// helm template only counts where nothing installs the chart (helm
	// template | kubectl apply).
	for i := range p.Deploys {
		p.workspacePaths(&p.Deploys[i])
	}
	installs := slices.ContainsFunc(p.Deploys, func(d Deploy) bool { return p.ownChart(d.Chart) && d.Command != "template" && !d.Throwaway && !d.Lint })
	shared := p.sharedValues()
	for _, d := range p.Deploys {
		if !p.ownChart(d.Chart) && p.missingChart(d) {
			// ./deploy/helm/stack beside deploy/helm/api: every deploy with
			// it fails, which is the mistake to show, not drop.
			p.unmatched = append(p.unmatched, fmt.Sprintf("%s (chart %s does not exist: %s fails)", d.Loc(), d.Chart, cmp.Or(d.Env, "the deploy")))
			continue
		}
		if d.argo && !p.ownChart(d.Chart) && !exists(statIn(p.Dir, path.Clean(d.Chart), false)) {
			// an Application of a chart kept in another repository (or a
			// path that is wrong): say so rather than drop it
			p.unmatched = append(p.unmatched, fmt.Sprintf("%s (Argo CD Application: its chart %s is not in this repository (source %s), so %s is not checked)", d.Loc(), d.Chart, cmp.Or(d.argoRepo, "unknown"), cmp.Or(d.Env, "its environment")))
			continue
		}
		if !p.ownChart(d.Chart) || d.Throwaway || d.Lint {
			continue // a CI test job's own kind cluster is no environment
		}
		if d.Command == "template" && installs {
			continue // a lint or a diff, not the deploy
		}
		env := d.Env
		if localStem(strings.ToLower(env)) {
			p.unmatched = append(p.unmatched, d.Loc()+localNote) // its job or script says local
			continue
		}
		if env == "" {
			for _, v := range d.Values {
				if e, ok := byFile[v]; ok && !shared[v] {
					env = e
				}
			}
		}
		if env == "" && len(d.arms) > 0 {
			// if/elif branches that each pick the values file:
			// VALUES_FILE="helm/values-stage.yaml", then -f $VALUES_FILE.
			if matched := p.armDeploys(d, byFile); len(matched) > 0 {
				for e, dd := range matched {
					add(e, dd)
				}
				continue
			}
		}
		if env == "" {
			// A command written for every environment:
			// -f values-${{ env.STAGE }}.yaml.
			if matched := p.patternDeploys(d, envFiles); len(matched) > 0 {
				for e, dd := range matched {
					add(e, dd)
				}
				continue
			}
		}
		if env == "" {
			for _, v := range d.Values {
				if shared[v] {
					continue
				}
				stem := strings.TrimSuffix(strings.TrimSuffix(path.Base(v), path.Ext(v)), ".values")
				stem = strings.TrimPrefix(strings.TrimPrefix(stem, "values-"), "values.")
				if stem == "values" {
					stem = path.Base(path.Dir(v)) // values/prod/values.yaml
				}
				if env = stageIn(stem); env != "" {
					break
				}
			}
		}
		if env == "" && !IsCIExpr(d.Namespace) {
			env = stageIn(d.Namespace)
		}
		if env != "" && (d.envByName || !envNameRe.Get().MatchString(strings.ToLower(env))) {
			// A name from the job (deploy-production), or one that cannot
			// name an environment here (GitLab's primary_hl_dev): the
			// command's values file may name it as the repository does.
			env = p.fileEnvName(env, d, byFile, shared)
		}
		if env == "" {
			env = p.nameless(d)
		}
		if env != "" {
			add(env, d)
		}
	}
	p.sameRelease(out, envFiles)
	return out
}

// sameRelease makes one environment of two commands that install one
// release into one namespace of one cluster from overlapping values
// files (scripts/deploy-demo.sh and a workflow job environment:
// production): the second overwrites the first, so they are one
// environment with two definitions, not two that share everything. It
// keeps the name the more specific source gives: a job's declared
// environment over a script's or job's name, over a values file's.
func (p *Project) sameRelease(out map[string]*Deploy, envFiles map[string]string) {
	rank := func(n string) int {
		d := out[n]
		switch {
		case d.Env != "" && !d.envByName:
			return 2
		case d.Env != "":
			return 1
		}
		return 0
	}
	files := func(n string) []string { return append(slices.Clone(out[n].Values), envFiles[n]) }
	names := slices.Sorted(maps.Keys(out))
	for i, a := range names {
		for _, b := range names[i+1:] {
			da, db := out[a], out[b]
			if da == nil || db == nil || da.Namespace == "" || da.Release == "" || strings.Contains(da.Namespace+da.Release+da.Cluster, "$") ||
				da.Namespace != db.Namespace || da.Release != db.Release || da.Cluster != db.Cluster ||
				!slices.ContainsFunc(files(a), func(v string) bool { return v != "" && slices.Contains(files(b), v) }) {
				continue
			}
			if da.File == db.File && da.Line == db.Line && da.Cluster == "" {
				// deploy.sh $env, its --values $env.values.yaml: one command
				// run once per environment, against whichever cluster the
				// caller's context is; not one environment twice
				continue
			}
			keep, lost := a, b
			if rb, ra := rank(b), rank(a); rb > ra || (rb == ra && len(db.Values) > len(da.Values)) {
				keep, lost = b, a
			}
			out[keep].Chosen = fmt.Sprintf("one environment: %s installs release %s into namespace %s too (as %s)", out[lost].at(), out[keep].Release, out[keep].Namespace, lost)
			for _, v := range files(lost) {
				if v != "" && !slices.Contains(out[keep].Values, v) {
					p.alsoDeployed[v] = keep
				}
			}
			delete(out, lost)
			delete(p.named, lost)
		}
	}
}

// localStem reports whether an environment name is a developer's own
// machine: local, demo-local, local-dev.
func localStem(s string) bool {
	return s == "local" || strings.HasSuffix(s, "-local") || strings.HasPrefix(s, "local-")
}

const localNote = " (deploys local, a developer's machine)"

// nameless names the environment of a deploy command nothing else names
// (helm upgrade --install shop -n shop chart/, no -f, no job
// environment) after its namespace, else its release, as written: what
// a user knows the deploy by. A command ferry cannot define that way (a
// name or values file CI fills in) is listed as not checked, never
// dropped silently.
func (p *Project) nameless(d Deploy) string {
	_, resolved := d.valuesFiles(p.Dir)
	if !IsCIExpr(d.Chart) && (resolved || len(d.Values) == 0) {
		for _, c := range [][2]string{{d.Namespace, "namespace"}, {d.Release, "release"}} {
			if n := strings.ToLower(c[0]); envNameRe.Get().MatchString(n) && n != "default" && !localStem(n) {
				if p.named == nil {
					p.named = map[string]string{}
				}
				p.named[n] = " (it names no environment: called " + n + " after its " + c[1] + ")"
				return n
			}
		}
	}
	p.unmatched = append(p.unmatched, fmt.Sprintf("%s (release %s, namespace %s, values %s)", d.Loc(), d.Release, cmp.Or(d.Namespace, "unset"), cmp.Or(strings.Join(d.Values, ", "), "the chart's")))
	return ""
}

// fileEnvName is the name the repository's values files give the
// environment a CI job calls env: the job says production or
// migration-sharedutilities (an Azure DevOps environment), the command's
// values file says prod or migration; the files' name is the one the
// rest of the repository uses.
func (p *Project) fileEnvName(env string, d Deploy, byFile map[string]string, shared map[string]bool) string {
	for _, v := range d.Values {
		if shared[v] || IsCIExpr(v) {
			continue
		}
		e, ok := byFile[v]
		if !ok {
			stem := strings.TrimSuffix(path.Base(v), path.Ext(v))
			for _, pre := range []string{"values-", "values."} {
				if strings.HasPrefix(stem, pre) {
					_, e = splitRegion(strings.TrimPrefix(stem, pre))
				}
			}
		}
		if e == "" || e == env || !envNameRe.Get().MatchString(e) {
			continue
		}
		if (synonym(e) != "" && synonym(e) == synonym(env)) || strings.HasPrefix(env, e+"-") || strings.HasSuffix(env, "-"+e) ||
			strings.HasPrefix(env, e+"_") || strings.HasSuffix(env, "_"+e) {
			return e
		}
	}
	return env
}

// missingChart reports whether a command's chart is a path in the
// repository that does not exist, near the project's chart (its
// basename, or its parent directory): a typo or a renamed chart.
func (p *Project) missingChart(d Deploy) bool {
	c := path.Clean(d.Chart)
	if p.Chart == "" || d.Throwaway || IsCIExpr(c) || !strings.Contains(d.Chart, "/") || strings.Contains(c, ":/") || exists(statInRepo(p.Dir, c, true)) {
		return false
	}
	if repoChart(p.Dir, d.Chart) {
		return false // bitnami/redis: another chart, from a Helm repository
	}
	return path.Base(c) == path.Base(path.Clean(p.Chart)) || path.Dir(c) == path.Dir(path.Clean(p.Chart))
}

// repoChart reports whether a command's chart argument is a chart from a
// Helm repository (bitnami/redis, $(NAME)/$(NAME) after helm repo add):
// repo/name, where no directory repo is beside the command.
func repoChart(dir, c string) bool {
	repo, name, ok := strings.Cut(c, "/")
	return ok && repo != "" && name != "" && !strings.Contains(name, "/") && !strings.HasPrefix(repo, ".") && !strings.HasPrefix(repo, "$") && !exists(statInRepo(dir, repo, false))
}

// ownChart reports whether a command's chart argument is this project's
// chart (or one CI fills in).
func (p *Project) ownChart(c string) bool {
	if p.Chart == "" || c == "" {
		return false
	}
	if IsCIExpr(c) {
		return true
	}
	return path.Clean(c) == path.Clean(p.Chart)
}

// filledExist reports whether every values file of d that names expr
// exists once dd filled it in (a generated values-<env>.yaml, from the
// .base file discovery took, excepted): a name that fits one -f but
// makes another point nowhere is not a value CI gives the expression.
func (p *Project) filledExist(d, dd Deploy, expr string) bool {
	for i, v := range d.Values {
		if i < len(dd.Values) && strings.Contains(v, expr) && !isFileIn(p.Dir, dd.Values[i]) && !isFileIn(p.Dir, strings.TrimSuffix(dd.Values[i], path.Ext(dd.Values[i]))+".base"+path.Ext(dd.Values[i])) {
			return false
		}
	}
	return true
}

// patternDeploys matches a deploy command whose values file names its
// environment by a variable (values-$ENV.yaml) against the discovered
// values files, one deploy per environment, the variable filled in
// wherever else the command uses it.
func (p *Project) patternDeploys(d Deploy, envFiles map[string]string) map[string]Deploy {
	out := map[string]Deploy{}
	for _, v := range d.Values {
		locs := ciExpr.Get().FindAllStringIndex(v, -1)
		if len(locs) != 1 {
			continue
		}
		expr := v[locs[0][0]:locs[0][1]]
		// values-$(ENV).yaml may be generated from the values-<env>.base.yaml
		// discovery took as the environment's (gomplate, a Makefile): the
		// command deploys that environment, with that file.
		re, err := regexp.Compile("^" + regexp.QuoteMeta(v[:locs[0][0]]) + "([a-z0-9-]+)(\\.base)?" + regexp.QuoteMeta(v[locs[0][1]:]) + "$")
		if err != nil {
			continue
		}
		allowed, named := d.exprValues(expr)
		for env, f := range envFiles {
			m := re.FindStringSubmatch(f)
			if m == nil || m[1] != env || (allowed != nil && !slices.Contains(allowed, env)) {
				continue
			}
			if runs, _ := runsFor(d.guard, exprVar(expr), env); runs {
				dd := fillDeploy(d, expr, env)
				if !p.filledExist(d, dd, expr) {
					continue // values-dev-grafana.yaml is no env: its -f values-${STAGE}-grafana.yaml would not exist
				}
				if m[2] != "" {
					generated := strings.ReplaceAll(v, expr, env)
					for i, x := range dd.Values {
						if x == generated && !isFileIn(p.Dir, x) {
							dd.Values[i] = f
						}
					}
				}
				out[env] = dd
			}
		}
		if len(out) == 0 && !strings.HasPrefix(v, "$") && strings.Contains(v, "/") {
			// k8s/helm/values-${ENVIRONMENT}.yaml away from the chart,
			// where discovery does not look: the files the pattern names
			// are the environments.
			for _, f := range globProject(p.Dir, v[:locs[0][0]]+"*"+v[locs[0][1]:]) {
				m := re.FindStringSubmatch(f)
				if m == nil || localStem(m[1]) || !envNameRe.Get().MatchString(m[1]) || (allowed != nil && !slices.Contains(allowed, m[1])) {
					continue
				}
				if runs, _ := runsFor(d.guard, exprVar(expr), m[1]); runs {
					if dd := fillDeploy(d, expr, m[1]); p.filledExist(d, dd, expr) {
						out[m[1]] = dd
					}
				}
			}
		}
		// A value the script gives the variable with no values file is an
		// environment too: the chart's values and the command's --set.
		for _, env := range named {
			if _, ok := out[env]; ok || !envNameRe.Get().MatchString(env) || localStem(env) {
				continue
			}
			if _, ok := envFiles[env]; ok {
				continue
			}
			if runs, _ := runsFor(d.guard, exprVar(expr), env); !runs {
				continue
			}
			dd := fillDeploy(d, expr, env)
			dd.Values = slices.DeleteFunc(dd.Values, func(f string) bool {
				if strings.Contains(v, expr) && f == strings.ReplaceAll(v, expr, env) && !isFileIn(p.Dir, f) {
					dd.Missing = f
					return true
				}
				return false
			})
			if dd.Missing != "" {
				out[env] = dd
			}
		}
	}
	if len(out) > 0 {
		// values-qa-frontend.yaml fits the command's other -f
		// (values-${STAGE}-frontend.yaml) with qa, an environment of its
		// own: qa's layer, not an environment called qa-frontend.
		for _, v := range d.Values {
			locs := ciExpr.Get().FindAllStringIndex(v, -1)
			if len(locs) != 1 {
				continue
			}
			re, err := regexp.Compile("^" + regexp.QuoteMeta(v[:locs[0][0]]) + "([a-z0-9-]+)" + regexp.QuoteMeta(v[locs[0][1]:]) + "$")
			if err != nil {
				continue
			}
			for env, f := range envFiles {
				if m := re.FindStringSubmatch(f); m != nil && m[1] != env && envFiles[m[1]] != "" {
					p.alsoDeployed[f] = m[1]
				}
			}
		}
	}
	return out
}

// exprValues are the values expr can take when the repository names
// them all (allowed), nil when it does not: what the arms of a case
// before the command assign it, or a workflow's
// ${{ inputs.env || 'staging' }} — the choice input's options (or the
// job's matrix list) and the default. named are the values the
// repository gives it, all or not (an if without else may leave CI's).
func (d *Deploy) exprValues(expr string) (allowed, named []string) {
	name := exprVar(expr)
	if _, out, ok := strings.Cut(name, ".outputs."); ok && strings.HasPrefix(name, "steps.") {
		name = "outputs." + out // what the job's steps echo into $GITHUB_OUTPUT
		if c, ok := d.choices[name]; ok {
			return c, c
		}
	}
	if c, ok := d.choices[name]; ok {
		if slices.ContainsFunc(d.arms, func(a branchArm) bool { _, set := a.vars[name]; return a.inCase && set }) {
			return c, c
		}
		return nil, c
	}
	inner, ok := strings.CutPrefix(expr, "${{")
	if !ok {
		return nil, nil
	}
	var out []string
	for _, part := range strings.Split(strings.TrimSuffix(inner, "}}"), "||") {
		part = strings.TrimSpace(part)
		if lit := strings.Trim(part, `'"`); len(part) > 1 && len(lit) == len(part)-2 {
			out = append(out, lit)
		} else if vals, ok := d.domain[strings.TrimPrefix(part, "github.event.")]; ok {
			out = append(out, vals...)
		} else {
			return nil, nil
		}
	}
	return out, out
}

// fillDeploy is d with the variable expr given the value env wherever
// the command uses it.
func fillDeploy(d Deploy, expr, env string) Deploy {
	dd := d
	dd.Env, dd.envVar = env, exprVar(expr)
	if d.flagLines != nil {
		dd.flagLines = map[string]int{}
		for k, n := range d.flagLines {
			dd.flagLines[strings.ReplaceAll(k, expr, env)] = n
		}
	}
	dd.Values = nil
	for _, x := range d.Values {
		dd.Values = append(dd.Values, strings.ReplaceAll(x, expr, env))
	}
	dd.Namespace = strings.ReplaceAll(d.Namespace, expr, env)
	dd.Release = strings.ReplaceAll(d.Release, expr, env)
	dd.Set = nil
	for _, sf := range d.Set {
		sf.Value = strings.ReplaceAll(sf.Value, expr, env)
		sf.ByCI = IsCIExpr(sf.Value)
		dd.Set = append(dd.Set, sf)
	}
	return dd
}

// deploysChart reports whether any deploy command found deploys this
// project's chart.
func (p *Project) deploysChart() bool {
	return slices.ContainsFunc(p.Deploys, func(d Deploy) bool { return p.ownChart(d.Chart) && !d.Throwaway && !d.Lint })
}

// deployedSynonym returns the environment CI deploys that is env under
// another name or env itself (prod where CI deploys production), "" when
// CI deploys no such environment.
func deployedSynonym(env string, deploys map[string]*Deploy) string {
	if _, ok := deploys[env]; ok {
		return env
	}
	for n := range deploys {
		if synonym(n) != "" && synonym(n) == synonym(env) {
			return n
		}
	}
	return ""
}

// testClusterStems name values files written for a throwaway cluster
// (values-kind.yaml, chart-testing's), not an environment; values-ci.yaml
// and values-e2e.yaml are one when a throwaway cluster's job reads them.
var testClusterStems = map[string]bool{"kind": true, "k3d": true, "k3s": true, "minikube": true, "ct": true, "chart-testing": true}

// synonyms are the spellings of one stage.
var synonyms = map[string]string{
	"prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
	"stage": "staging", "staging": "staging", "stg": "staging",
	"dev": "dev", "develop": "dev", "development": "dev",
	"test": "test", "testing": "test", "tst": "test",
}

func synonym(name string) string { return synonyms[name] }

// siblingValues finds the environments a CI-deployed values file's
// siblings define by the same naming (helm/values/bb_production.yaml
// deployed as production beside bb_staging.yaml: staging), which
// discovery's conventions do not know.
func (p *Project) siblingValues(deploys map[string]*Deploy, envFiles map[string]string) {
	known := map[string]bool{}
	for _, f := range envFiles {
		known[f] = true
	}
	for n, d := range deploys {
		for _, v := range d.Values {
			i := strings.LastIndex(path.Base(v), n)
			if i < 0 || IsCIExpr(v) || !isFileIn(p.Dir, v) {
				continue
			}
			prefix, suffix := path.Base(v)[:i], path.Base(v)[i+len(n):]
			if !yamlName(suffix) && (suffix == "" || !yamlName("x"+suffix)) {
				continue
			}
			entries, _ := readDirIn(p.Dir, path.Dir(v))
			for _, e := range entries {
				name := e.Name()
				if e.IsDir() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) || len(name) <= len(prefix)+len(suffix) {
					continue
				}
				env := name[len(prefix) : len(name)-len(suffix)]
				rel := path.Join(path.Dir(v), name)
				if known[rel] || !envNameRe.Get().MatchString(env) || !envLike(env) || layerStems[env] || localStem(env) {
					continue
				}
				if _, ok := envFiles[env]; !ok {
					envFiles[env] = rel
				}
			}
		}
	}
}

// sharedValues are the values files the deploy commands layer onto
// every environment they deploy (-f values-live.yaml after
// values-$ENV.yaml, or beside a different environment's file in each
// command): an overlay, not an environment of its own.
func (p *Project) sharedValues() map[string]bool {
	others := map[string]map[string]bool{} // file → the other file sets it comes with
	for _, d := range p.Deploys {
		if !p.ownChart(d.Chart) || d.Throwaway || d.Lint || len(d.Values) < 2 {
			continue
		}
		for _, v := range d.Values {
			if IsCIExpr(v) || v == "-" {
				continue
			}
			var rest []string
			for _, o := range d.Values {
				if o != v && o != "-" {
					rest = append(rest, o)
				}
			}
			if others[v] == nil {
				others[v] = map[string]bool{}
			}
			key := strings.Join(rest, "\x00")
			if slices.ContainsFunc(rest, IsCIExpr) {
				key = "\x00pattern" // beside values-$ENV.yaml: every environment's
				others[v]["\x00pattern2"] = true
			}
			others[v][key] = true
		}
	}
	out := map[string]bool{}
	for v, sets := range others {
		if len(sets) >= 2 {
			out[v] = true
		}
	}
	return out
}

// workspacePaths maps a deploy command's chart and values files that
// start with where CI put the repository or an exported copy of the
// chart ($(Pipeline.Workspace)/install/sharedutilities/,
// ${{ github.workspace }}/deploy/chart) to the project's own: a path
// that exists under the project directory is that; a chart directory
// named as the project's chart is the project's chart, and a values file
// in it the file of that name in the chart (which may not exist: then
// helm fails, and MissingValues says so).
func (p *Project) workspacePaths(d *Deploy) {
	if p.Chart == "" {
		return
	}
	rest := func(s string) (string, bool) {
		loc := ciExpr.Get().FindStringIndex(s)
		if loc == nil || loc[0] != 0 || !strings.HasPrefix(s[loc[1]:], "/") {
			return "", false
		}
		r := path.Clean(strings.TrimPrefix(s[loc[1]:], "/"))
		return r, r != "." && !IsCIExpr(r)
	}
	chartBase := path.Base(path.Clean(p.Chart))
	mapped := false
	if r, ok := rest(d.Chart); ok {
		switch {
		case isDirIn(p.Dir, r):
			d.Chart, mapped = r, path.Clean(r) == path.Clean(p.Chart)
		case path.Base(r) == chartBase:
			d.Chart, mapped = p.Chart, true
		}
	}
	for i, v := range d.Values {
		r, ok := rest(v)
		if !ok {
			continue
		}
		nv := v
		switch {
		case isFileIn(p.Dir, r):
			nv = r
		case mapped && path.Base(path.Dir(r)) == chartBase:
			nv = path.Join(p.Chart, path.Base(r))
		}
		if nv != v {
			d.Values[i] = nv
			if n, ok := d.flagLines["-f\x00"+v]; ok {
				d.flagLines["-f\x00"+nv] = n
			}
		}
	}
}

// byValue is the key of m whose value is v, "" when none is.
func byValue(m map[string]string, v string) string {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	return ""
}
