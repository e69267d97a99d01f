package project

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/lazyre"
)

// Discovery looks for charts this many directories below the project
// directory: deep enough for deploy/helm/<name>/Chart.yaml and for a
// .NET solution's Service/Service.Api/devops/deployment/<name>/, shallow
// enough to stay fast in a large repository.
const maxChartDepth = 6

// skipDirs are never searched: dependencies and VCS metadata hold charts
// that are not the service's own.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true, "testdata": true, ".ferry": true}

// chartPlaces lists, for messages, where discovery looks.
const chartPlaces = "Chart.yaml at the root, chart/, charts/*, helm/, .helm/, deploy/helm/, deploy/helm/<name>/ and other directories up to 4 levels down"

// NoChartError says that a directory holds neither a chart nor a GoFr
// configs/ directory: there is nothing to check.
type NoChartError struct{ Dir string }

func (e *NoChartError) Error() string {
	return fmt.Sprintf("no Helm chart found under %s (looked in %s); name one with -C or chart: in %s", e.Dir, chartPlaces, FileName)
}

// SeveralChartsError says that discovery found more than one chart; the
// caller picks one (-C) or treats each as a project (check).
type SeveralChartsError struct {
	Dir    string
	Charts []string // relative to Dir
}

func (e *SeveralChartsError) Error() string {
	return fmt.Sprintf("%d Helm charts under %s (%s): pick one with -C DIR or chart: in %s", len(e.Charts), e.Dir, strings.Join(e.Charts, ", "), FileName)
}

// FindCharts returns the chart directories below dir, relative to dir and
// sorted. A chart's own subdirectories (its vendored subcharts under
// charts/) are not searched: an umbrella chart is one chart. Dot
// directories are not searched either, but a chart in one (or one below)
// that a deploy command of the repository installs is found.
func FindCharts(dir string) ([]string, error) {
	var out, subs []string
	hidden := false
	root := filepath.Clean(dir)
	err := walkDirs(root, func(r *confine.Root, rel string) error {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if rel != "." {
			name := path.Base(rel)
			if skipDirs[name] || hiddenDir(name) {
				if !skipDirs[name] && !hidden {
					// .deploy/rails: the service's chart when a deploy
					// command installs it (below).
					hidden = regular(r.Stat(path.Join(rel, "Chart.yaml")))
					entries, _ := r.ReadDir(rel)
					for _, e := range entries {
						hidden = hidden || regular(r.Stat(path.Join(rel, e.Name(), "Chart.yaml")))
					}
				}
				return fs.SkipDir
			}
			if strings.Count(rel, "/")+1 > maxChartDepth {
				return fs.SkipDir
			}
		}
		if present(r.Stat(path.Join(rel, "Chart.yaml"))) || WerfProject(p) != "" {
			out = append(out, rel)
			// helm renders a file:// dependency (helm/accounts of the
			// umbrella helm/bank) inside the umbrella, with its values:
			// it is checked there, not as a project given the umbrella's
			// values-<env>.yaml.
			for _, dep := range readDependencies(p) {
				if r, ok := strings.CutPrefix(dep.Repository, "file://"); ok {
					subs = append(subs, path.Join(rel, r))
				}
			}
			return fs.SkipDir
		}
		return nil
	})
	if hidden {
		for _, d := range findDeploys(root) {
			if c := path.Clean(d.Chart); strings.Contains("/"+c, "/.") && !strings.HasPrefix(c, "..") && isFileIn(root, path.Join(c, "Chart.yaml")) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	var kept []string
	for _, c := range out {
		// A chart that names itself (file://.) is still the one chart.
		if len(out) == 1 || !slices.Contains(subs, c) {
			kept = append(kept, c)
		}
	}
	sort.Strings(kept)
	return kept, err
}

// layerStems name values files that every environment shares, not
// environments: values-common.yaml and the like.
// ciCheckStem reports a values file's environment part that names a CI
// check rather than an environment: ci, lint, kind, validation, smoke-ci,
// kind-validation.
func ciCheckStem(env string) bool {
	for _, w := range strings.Split(env, "-") {
		switch w {
		case "ci", "lint", "kind", "validation", "linter", "kubeconform":
			return true
		}
	}
	return false
}

// leftoverStems name values files kept aside, not deployed.
var leftoverStems = map[string]bool{"original": true, "orig": true, "backup": true, "bak": true, "old": true, "copy": true, "example": true, "sample": true, "template": true, "tmpl": true}

var layerStems = map[string]bool{"common": true, "base": true, "default": true, "defaults": true, "shared": true, "global": true, "all": true}

// isSecretsLayer recognises helm-secrets style files (secrets.yaml,
// secrets.prod.yaml, secret-values-prod.yaml, values-secrets.yaml): they
// are not environments, and ferry.yaml names them when they should be read.
func isSecretsLayer(stem string) bool {
	return strings.HasPrefix(stem, "secret") || strings.HasPrefix(stem, "values-secret") || strings.HasPrefix(stem, "values.secret")
}

var envNameRe = lazyre.New(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// serviceConfigs finds the GoFr configs/ directory of a chart's service
// in a monorepo: the nearest configs/ above the chart, below the project
// directory (services/orders/configs beside services/orders/chart).
func (p *Project) serviceConfigs() string {
	for d := path.Dir(p.Chart); p.Chart != "" && d != "." && d != "/"; d = path.Dir(d) {
		if isDirIn(p.Dir, path.Join(d, "configs")) {
			return path.Join(d, "configs")
		}
	}
	return ""
}

// valuesFiles is what discovery found for one chart.
type valuesFiles struct {
	envs   map[string]string // environment → its values file
	layers []string          // shared layers, in name order
	// ignored explains values files that look like an environment's but
	// whose name cannot be one (not a DNS label).
	ignored []string
	// regionDups are a region's file for an environment another file
	// names too (values.eastus2.dev.yaml beside values.dev.yaml), each
	// with the file kept.
	regionDups [][2]string
}

// valuesDirs are the directories whose values-<env>.yaml files belong to
// the chart: the chart itself, its parent (deploy/helm/<name> with the
// environments one level up) and the project directory.
func (p *Project) valuesDirs() []string {
	dirs := []string{"."}
	if p.Chart != "" && p.Chart != "." {
		if parent := path.Dir(p.Chart); parent != "." {
			dirs = append(dirs, parent)
		}
		dirs = append(dirs, p.Chart)
	}
	return dirs
}

// discoverValues finds the environments' values files: values-<env>.yaml,
// values.<env>.yaml (or .yml), <env>/values.yaml and values/<env>.yaml in
// the chart directory, its parent or the project directory; a file nearer
// the chart wins.
func (p *Project) discoverValues() valuesFiles {
	vf := valuesFiles{envs: map[string]string{}}
	layers := map[string]bool{}
	for _, d := range p.valuesDirs() {
		entries, _ := readDirIn(p.Dir, d)
		for _, e := range entries {
			name := e.Name()
			// A directory named like a values file (values-prod.yaml/) is
			// taken as one, so that validation refuses it rather than the
			// environment silently losing its values.
			if e.IsDir() && !yamlName(name) {
				switch {
				case name == "values":
					p.valuesDirFiles(path.Join(d, name), vf.envs)
				case !isChartSubdir(name) && envNameRe.Get().MatchString(name) && (d == p.Chart || envLike(name)):
					for _, f := range []string{"values.yaml", "values.yml"} {
						rel := path.Join(d, name, f)
						if !isFileIn(p.Dir, rel) {
							continue
						}
						if why := p.otherChartValues(path.Join(d, name)); why != "" {
							vf.ignored = append(vf.ignored, fmt.Sprintf("%s: not an environment: %s", rel, why))
							break
						}
						vf.envs[name] = rel
						break
					}
				}
				continue
			}
			ext := filepath.Ext(name)
			if ext != ".yaml" && ext != ".yml" {
				continue
			}
			stem := strings.TrimSuffix(name, ext)
			var env string
			switch {
			case isSecretsLayer(stem):
				continue
			case strings.HasPrefix(stem, "values-"):
				env = strings.TrimPrefix(stem, "values-")
			case strings.HasPrefix(stem, "values."):
				env = strings.TrimPrefix(stem, "values.")
			case strings.HasSuffix(stem, ".values") && envLike(strings.TrimSuffix(stem, ".values")):
				// dev.values.yaml, prod-values.yaml: the name first; only a
				// stage's name, so that common.values.yaml stays a layer
				env = strings.TrimSuffix(stem, ".values")
			case strings.HasSuffix(stem, "-values") && envLike(strings.TrimSuffix(stem, "-values")):
				env = strings.TrimSuffix(stem, "-values")
			}
			if env == "" || env == "schema" {
				continue
			}
			if leftoverStems[env] {
				// values-original.yaml, values-backup.yaml: a copy kept
				// aside, not an environment
				vf.ignored = append(vf.ignored, fmt.Sprintf("%s: a copy kept aside (%q), not an environment; list it under an environment's values: in %s if it is one", path.Join(d, name), env, FileName))
				continue
			}
			if env != "local" && localStem(env) {
				// values-demo-local.yaml: demo on a laptop (a bare
				// values-local.yaml stays listed, as it always was)
				vf.ignored = append(vf.ignored, fmt.Sprintf("%s: values for a developer's machine (%q), not an environment; list it under an environment's values: in %s if it is one", path.Join(d, name), env, FileName))
				continue
			}
			if ciCheckStem(env) {
				// values-kind-validation.yaml, values-ci.yaml: what a CI job
				// lints or installs into a throwaway cluster
				vf.ignored = append(vf.ignored, fmt.Sprintf("%s: values for a CI check (%q), not an environment; list it under an environment's values: in %s if it is one", path.Join(d, name), env, FileName))
				continue
			}
			region := ""
			if r, rest := splitRegion(env); r != "" && envNameRe.Get().MatchString(rest) {
				// values.eastus.demo.yaml: environment demo, in region
				// eastus (definition says so; fileRegion reads it back).
				region, env = r, rest
			}
			if b, ok := strings.CutSuffix(env, ".base"); ok && envNameRe.Get().MatchString(strings.ReplaceAll(b, "_", "-")) {
				// values-prod.base.yaml: prod's own values, which a
				// generator (gomplate, a Makefile) merges into the file
				// helm is given; a values-prod.yaml beside it wins, as it
				// sorts after (baseNote says so).
				env = b
			}
			if u := strings.ReplaceAll(env, "_", "-"); u != env && envNameRe.Get().MatchString(u) {
				env = u // values-primary_dev.yaml: primary-dev, since the name becomes a namespace (underscoreNote says so)
			}
			if !envNameRe.Get().MatchString(env) {
				vf.ignored = append(vf.ignored, fmt.Sprintf("%s: %q is not an environment name (lower-case letters, digits and '-'); "+
					"ignored — rename the file, or list it under an environment's values: in %s", path.Join(d, name), env, FileName))
				continue
			}
			rel := path.Join(d, name)
			if why := p.umbrellaValues(rel); why != "" {
				vf.ignored = append(vf.ignored, why)
				continue
			}
			if layerStems[env] {
				layers[rel] = true
				continue
			}
			if old, ok := vf.envs[env]; ok && region != "" && path.Dir(old) == d {
				vf.regionDups = append(vf.regionDups, [2]string{rel, old}) // values.dev.yaml keeps dev
				continue
			}
			if old, ok := vf.envs[env]; ok && fileRegion(old) != "" && region == "" && path.Dir(old) == d {
				vf.regionDups = append(vf.regionDups, [2]string{old, rel})
			}
			vf.envs[env] = rel
		}
	}
	for l := range layers {
		vf.layers = append(vf.layers, l)
	}
	sort.Strings(vf.layers)
	return vf
}

// otherChartValues says why the values.yaml in folder (relative to the
// project) belongs to another install than this chart's environments —
// the folder is a chart itself, or is named for one of the chart's
// dependencies (helm/keycloak/values.yaml beside helm/charts/keycloak,
// the values of a separate keycloak install) — and "" when it may be
// an environment's.
func (p *Project) otherChartValues(folder string) string {
	name := path.Base(folder)
	if isFileIn(p.Dir, path.Join(folder, "Chart.yaml")) {
		return folder + "/ is a chart of its own, and a chart's values.yaml is its defaults"
	}
	if p.Chart == "" || envLike(name) {
		return ""
	}
	if slices.Contains(chartDependencies(filepath.Join(p.Dir, p.Chart)), name) {
		return fmt.Sprintf("%q is a dependency of chart %s, so this is the values of a separate %s install", name, p.Chart, name)
	}
	if foreign, all := p.foreignKeys(folder); len(foreign) >= 2 && 2*len(foreign) > all {
		if len(foreign) > 4 {
			foreign = append(foreign[:4], "…")
		}
		return fmt.Sprintf("most of its top-level keys (%s) are not in %s/values.yaml: the values of another chart", strings.Join(foreign, ", "), p.Chart)
	}
	return ""
}

// umbrellaValues says why a values-<env>.yaml beside other charts (rel,
// relative to the project) holds their umbrella's values rather than
// this chart's environment — more of its top-level keys name the charts
// beside it than this chart's own (helm/values-prod.yaml setting
// accounts:, cash:, … for the umbrella helm/bank, seen from
// helm/accounts) — and "" when it may be this chart's.
func (p *Project) umbrellaValues(rel string) string {
	dir := path.Dir(rel)
	if p.Chart == "" || dir == p.Chart {
		return ""
	}
	chart := filepath.Join(p.Dir, p.Chart)
	// The chart's own keys are read only for a key that names a chart
	// beside it: its values.yaml may hold 30,000 keys.
	var own []string
	read := false
	charts, n := "", 0
	for _, k := range topKeys(filepath.Join(p.Dir, rel)) {
		beside := k != "global" && isFileIn(p.Dir, path.Join(dir, k, "Chart.yaml"))
		if beside && !read {
			own, read = append(topKeys(filepath.Join(chart, "values.yaml")), chartDependencies(chart)...), true
		}
		switch {
		case k == "global":
		case beside && !slices.Contains(own, k):
			charts += ", " + k
			n++
		default:
			n--
		}
	}
	if n <= 0 {
		return ""
	}
	return rel + ": not an environment of " + p.Chart + ": its top-level keys (" + charts[2:] + ") name the charts beside it, so it is their umbrella's values"
}

// foreignKeys are the top-level keys of folder's values.yaml (or .yml)
// that the chart's values.yaml does not have, in the file's order, and
// how many top-level keys the file has: helm/prometheus/values.yml
// holding kube-prometheus-stack's alertmanager, grafana, … beside a
// chart that has none of them.
func (p *Project) foreignKeys(folder string) (foreign []string, all int) {
	own := topKeys(filepath.Join(p.Dir, p.Chart, "values.yaml"))
	if own == nil {
		return nil, 0
	}
	for _, f := range []string{"values.yaml", "values.yml"} {
		keys := topKeys(filepath.Join(p.Dir, folder, f))
		if keys == nil {
			continue
		}
		for _, k := range keys {
			if !slices.Contains(own, k) {
				foreign = append(foreign, k)
			}
		}
		return foreign, len(keys)
	}
	return nil, 0
}

// topKeys are a YAML mapping file's top-level keys, nil when it is none.
func topKeys(file string) []string {
	data, err := readRegular(file)
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	keys := []string{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys = append(keys, m.Content[i].Value)
	}
	return keys
}

// chartDependencies names a chart's dependencies: Chart.yaml's (or
// requirements.yaml's) dependencies by name and alias, and the charts
// vendored under charts/.
func chartDependencies(chart string) []string {
	var out []string
	for _, d := range readDependencies(chart) {
		out = append(out, d.Name, d.Alias)
	}
	entries, _ := readDirIn(chart, "charts")
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// dependency is one entry of a chart's dependencies.
type dependency struct{ Name, Alias, Repository string }

// readDependencies are the dependencies Chart.yaml (or, for a v1 chart,
// requirements.yaml) lists in the chart directory.
func readDependencies(chart string) []dependency {
	var out []dependency
	for _, f := range []string{"Chart.yaml", "requirements.yaml"} {
		data, err := readRegular(filepath.Join(chart, f))
		if err != nil {
			continue
		}
		var c struct {
			Dependencies []dependency `yaml:"dependencies"`
		}
		if yaml.Unmarshal(data, &c) == nil {
			out = append(out, c.Dependencies...)
		}
	}
	return out
}

// valuesDirFiles reads a values/ directory of <env>.yaml files.
func (p *Project) valuesDirFiles(dir string, envs map[string]string) {
	entries, _ := readDirIn(p.Dir, dir)
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		stem := strings.TrimSuffix(e.Name(), ext)
		if !yamlName(e.Name()) || !envNameRe.Get().MatchString(stem) || layerStems[stem] || isSecretsLayer(stem) {
			continue
		}
		envs[stem] = path.Join(dir, e.Name())
	}
}

// yamlName reports whether a name ends in .yaml or .yml.
func yamlName(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

// isChartSubdir names directories of a chart that are never environments.
func isChartSubdir(name string) bool {
	switch name {
	case "templates", "charts", "crds", "files", "ci", "tests", "configs", "values", "docs", "scripts", "bin", "cmd", "internal", "pkg", "src", "vendor", "node_modules", "helm", "deploy", "chart", "build", "dist", "target", "app", "api", "lib", "static", "public", "migrations":
		return true
	}
	return false
}

// The runtimes check knows. A GoFr service follows GoFr's configuration
// contract, so GoFr's rules apply to it; a generic one gets the rules that
// hold for any service.
const (
	RuntimeGoFr    = "gofr"
	RuntimeGeneric = "generic"
)

var goModGoFr = lazyre.New(`(?m)^\s*(?:require\s+)?(gofr\.dev|github\.com/ferrydev/ferry/kit)\s+v`)

// detectRuntime decides whether the service follows GoFr's contract, and
// says why.
func (p *Project) detectRuntime() (runtime, reason string, err error) {
	switch p.File.Runtime {
	case RuntimeGoFr, RuntimeGeneric:
		return p.File.Runtime, FileName + " says runtime: " + p.File.Runtime, nil
	case "":
	default:
		return "", "", fmt.Errorf("%s: runtime %q is neither gofr nor generic", FileName, p.File.Runtime)
	}
	// The service's go.mod is the nearest one above its chart: the chart's
	// own service directory in a monorepo (services/orders/chart), else
	// the repository root, which may be above the project directory (-C
	// deploy/helm).
	for d := path.Dir(p.Chart); p.Chart != "" && d != "." && d != "/"; d = path.Dir(d) {
		data, err := readIn(p.Dir, path.Join(d, "go.mod"))
		if err != nil {
			p.noteRefused(path.Join(d, "go.mod"), err)
			continue
		}
		if m := goModGoFr.Get().FindSubmatch(data); m != nil {
			return RuntimeGoFr, fmt.Sprintf("%s/go.mod requires %s", d, m[1]), nil
		}
		if p.Configs == "" || !isFileIn(p.Dir, path.Join(p.Configs, ".env")) {
			return RuntimeGeneric, fmt.Sprintf("%s/go.mod requires neither gofr.dev nor ferry's kit, and there is no configs/.env", d), nil
		}
		break
	}
	// Above the project, on purpose, but never above the repository
	// root (.git): a chart checked with -C deploy/helm has its go.mod
	// there. Each go.mod is read confined to its own directory.
	dir, top := p.Dir, repoTop(p.Dir)
	for range 4 {
		data, err := readIn(dir, "go.mod")
		rel, _ := filepath.Rel(p.Dir, filepath.Join(dir, "go.mod"))
		if p.noteRefused(filepath.ToSlash(rel), err) {
			break
		}
		if err == nil {
			if m := goModGoFr.Get().FindSubmatch(data); m != nil {
				return RuntimeGoFr, fmt.Sprintf("%s requires %s", filepath.ToSlash(rel), m[1]), nil
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || dir == top {
			break
		}
		dir = filepath.Dir(dir)
	}
	if p.Configs != "" && isFileIn(p.Dir, path.Join(p.Configs, ".env")) {
		return RuntimeGoFr, p.Configs + "/.env exists", nil
	}
	return RuntimeGeneric, "no gofr.dev or ferry kit in go.mod, no configs/.env", nil
}

// LoadAll loads every project under dir, each with its own ferry.yaml: a
// monorepo's services/orders/ferry.yaml governs the charts below
// services/orders (its accepted findings, runtime, environments and
// layers), and the root's ferry.yaml only the charts no nearer one
// claims. A directory that is one project is loaded as Load does. The
// projects that load are returned with the errors of those that do not.
func LoadAll(dir string) ([]*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if isFileIn(abs, "Chart.yaml") {
		p, err := Load(dir)
		if err != nil {
			return nil, err
		}
		return []*Project{p}, nil
	}
	owners := ownerDirs(abs)
	if len(owners) == 0 {
		p, err := Load(dir)
		var several *SeveralChartsError
		if !errors.As(err, &several) {
			if err != nil {
				return nil, err
			}
			return []*Project{p}, nil
		}
		return loadEach(dir, "", several.Charts)
	}
	charts, err := FindCharts(abs)
	if err != nil {
		return nil, err
	}
	// Each chart belongs to the nearest directory above it (or its own)
	// that holds a ferry.yaml; the rest to dir.
	byOwner := map[string][]string{}
	for _, c := range charts {
		owner := ""
		for _, o := range owners {
			if (c == o || strings.HasPrefix(c, o+"/")) && len(o) > len(owner) {
				owner = o
			}
		}
		byOwner[owner] = append(byOwner[owner], c)
	}
	var out []*Project
	var errs []error
	for _, o := range owners {
		sub := filepath.Join(dir, o)
		var ps []*Project
		var err error
		if len(byOwner[o]) == 0 {
			// A service of configs/ only, or one whose ferry.yaml names
			// its chart: Load finds what it has. A ferry.yaml above other
			// services' own is not a project by itself.
			if f, _ := readFileIfAny(sub); !isDirIn(sub, "configs") && (f == nil || f.Chart == "") {
				continue
			}
			var p *Project
			if p, err = Load(sub); err == nil {
				ps = []*Project{p}
			}
		} else {
			ps, err = loadEach(sub, o, byOwner[o])
		}
		out = append(out, ps...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o, err))
		}
	}
	if rest := byOwner[""]; len(rest) > 0 {
		ps, err := loadEach(dir, "", rest)
		out = append(out, ps...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// loadEach loads one project per chart of dir (charts relative to the
// directory above dir by prefix, "" when they are relative to dir).
// A ferry.yaml that names its chart makes dir one project.
func loadEach(dir, prefix string, charts []string) ([]*Project, error) {
	if f, err := readFileIfAny(dir); err == nil && f != nil && f.Chart != "" {
		p, err := Load(dir)
		if err != nil {
			return nil, err
		}
		return []*Project{p}, nil
	}
	if len(charts) == 1 && prefix != "" {
		p, err := LoadChart(dir, strings.TrimPrefix(strings.TrimPrefix(charts[0], prefix), "/"))
		if err != nil {
			return nil, err
		}
		return []*Project{p}, nil
	}
	var out []*Project
	var errs []error
	for _, c := range charts {
		rel := c
		if prefix != "" {
			rel = strings.TrimPrefix(strings.TrimPrefix(c, prefix), "/")
		}
		if rel == "" {
			rel = "."
		}
		p, err := LoadChart(dir, rel)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// readFileIfAny parses dir's ferry.yaml; nil when there is none.
func readFileIfAny(dir string) (*File, error) {
	data, err := readIn(dir, FileName)
	if err != nil { // one that leads out is refused by Load, naming it
		return nil, nil
	}
	return ParseFile(FileName, data)
}

// ownerDirs are the directories below root (relative, slash-separated)
// that hold their own ferry.yaml, searched as deep as charts are.
func ownerDirs(root string) []string {
	var out []string
	walkDirs(root, func(r *confine.Root, rel string) error {
		if rel == "." {
			return nil
		}
		name := path.Base(rel)
		if skipDirs[name] || hiddenDir(name) || strings.Count(rel, "/")+1 > maxChartDepth {
			return fs.SkipDir
		}
		own := present(r.Stat(path.Join(rel, FileName)))
		if regular(r.Stat(path.Join(rel, "Chart.yaml"))) && !own {
			return fs.SkipDir // a chart's own subcharts are not projects
		}
		if own {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// hiddenDir reports a dot directory discovery skips: all but .helm and
// its variants (.helm-own, .helm-staging), where werf and others keep
// charts.
func hiddenDir(name string) bool {
	return strings.HasPrefix(name, ".") && !strings.HasPrefix(name, ".helm")
}

// baseNote says that a values file's name ends in .base, read as the
// environment's own values.
func baseNote(file string) string {
	if strings.HasSuffix(strings.TrimSuffix(path.Base(file), path.Ext(file)), ".base") {
		return "; the environment's .base values, taken as its layer"
	}
	return ""
}

// underscoreNote says that a values file's name gave its environment's
// name with '_' read as '-' (values-primary_dev.yaml: primary-dev), for
// the definition.
func underscoreNote(file string) string {
	if b := path.Base(file); strings.HasPrefix(b, "values") && strings.Contains(b, "_") {
		return "; '_' in the file's name read as '-', as namespaces need"
	}
	return ""
}

// Cloud regions as values files name them: Azure's (eastus2), AWS's
// (eu-west-1) and Google Cloud's (europe-west4).
var (
	azureRegion = lazyre.New(`^(eastus|eastus2|westus|westus2|westus3|centralus|northcentralus|southcentralus|westcentralus|northeurope|westeurope|uksouth|ukwest|francecentral|germanywestcentral|swedencentral|switzerlandnorth|norwayeast|eastasia|southeastasia|japaneast|japanwest|australiaeast|australiasoutheast|canadacentral|canadaeast|brazilsouth|centralindia|southindia|koreacentral|uaenorth|southafricanorth)$`)
	dashRegion  = lazyre.New(`^((?:us|eu|ap|ca|sa|me|af|il|mx)-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-[0-9]|(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)[0-9]{1,2})[-.](.+)$`)
)

// splitRegion splits a values file's environment part that starts with
// a cloud region (eastus.demo, eastus2-qa, eu-west-1-prod) into the
// region and the environment; "" when it names no region.
func splitRegion(s string) (region, env string) {
	if m := dashRegion.Get().FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	if i := strings.IndexAny(s, ".-"); i > 0 && azureRegion.Get().MatchString(s[:i]) {
		return s[:i], s[i+1:]
	}
	return "", s
}

// fileRegion is the cloud region a values file's name gives
// (values.eastus.demo.yaml: eastus), "" when it names none.
func fileRegion(file string) string {
	stem := strings.TrimSuffix(path.Base(file), path.Ext(file))
	for _, pre := range []string{"values-", "values."} {
		if strings.HasPrefix(stem, pre) {
			r, env := splitRegion(strings.TrimPrefix(stem, pre))
			if r != "" && envNameRe.Get().MatchString(env) {
				return r
			}
		}
	}
	return ""
}

// WerfProject is the werf project whose chart is the directory dir, ""
// when it is none: werf deploys a .helm directory beside its werf.yaml
// as the chart, with or without a Chart.yaml (the chart's name is then
// werf.yaml's project:).
func WerfProject(dir string) string {
	if filepath.Base(dir) != ".helm" || !isDirIn(dir, "templates") {
		return ""
	}
	for _, name := range []string{"werf.yaml", "werf.yml"} {
		data, err := readIn(filepath.Dir(dir), name)
		if err != nil {
			continue
		}
		// werf.yaml is several documents, templated with Go templates: the
		// project: line of the first is all ferry reads.
		if m := werfProjectLine.Get().FindSubmatch(data); m != nil {
			if name := strings.Trim(string(m[1]), `"'`); werfName.Get().MatchString(name) {
				return name
			}
		}
		// project: {{ env "PROJECT" }}: known when werf runs; the
		// directory names the project until then.
		return strings.ToLower(filepath.Base(filepath.Dir(dir)))
	}
	return ""
}

var (
	werfProjectLine = lazyre.New(`(?m)^project:\s*(\S+)\s*$`)
	werfName        = lazyre.New(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)
