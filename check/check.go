package check

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// Severity is how bad a finding is.
type Severity string

// The severities, worst first.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	default:
		return 2
	}
}

// Rule is one entry of the rule catalogue.
type Rule struct {
	// ID is stable: FERRY010.
	ID string
	// Name is the rule's kebab-case name: shared-database.
	Name string
	// Severity is the worst severity the rule reports; a rule with two
	// severities sets each finding's own.
	Severity Severity
	// Summary says in one line what the rule detects.
	Summary string
	// Help says why it matters and what to do. Rules that encode GoFr's
	// behaviour cite it here.
	Help string
	// Check returns the rule's findings for in. Findings may leave Rule,
	// Name and Severity empty: Run fills them from the rule.
	Check func(in *Input) []Finding
}

// gofrContract are the rules that encode GoFr's configuration contract:
// they run only for a service that follows it (project.RuntimeGoFr).
var gofrContract = map[string]bool{
	"FERRY015": true, "FERRY016": true, "FERRY017": true,
	"FERRY020": true, "FERRY021": true, "FERRY022": true, "FERRY023": true,
	"FERRY030": true, "FERRY031": true, "FERRY032": true,
	"FERRY050": true, "FERRY051": true, "FERRY052": true, "FERRY053": true, "FERRY054": true,
	"FERRY070": true,
}

// genericToo are contract rules with a generic equivalent: they run for
// every runtime, on the service's own containers, and check GoFr's keys
// for a GoFr service and other runtimes' known settings otherwise.
// FERRY031 runs on any Go service's code: branching on the environment's
// name is as wrong without GoFr as with it.
var genericToo = map[string]bool{"FERRY051": true, "FERRY031": true}

// GoFrOnly reports whether rule id applies only to GoFr services.
func GoFrOnly(id string) bool { return gofrContract[id] && !genericToo[id] }

// registry holds the catalogue. Each family file adds its rules in init;
// it is never written after package initialisation.
var registry []Rule

func register(rules ...Rule) { registry = append(registry, rules...) }

// Rules returns the catalogue sorted by ID.
func Rules() []Rule {
	out := slices.Clone(registry)
	// sort.Slice, not slices.SortFunc: each struct type sorted
	// generically links its own copy of pdqsort (~12 KB).
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RuleByID returns the rule with id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range registry {
		if r.ID == id {
			return r, true
		}
	}
	if id == staleAcceptance.ID {
		return staleAcceptance, true
	}
	return Rule{}, false
}

// Location is one value a finding involves: which environment and key,
// and the file:line that set it.
type Location struct {
	Environment string `json:"environment,omitempty"`
	// Environments, when the value is one every one of them reads (the
	// chart's values.yaml), lists them all; Environment is the first.
	Environments []string `json:"environments,omitempty"`
	Key          string   `json:"key,omitempty"`
	// Value is the value as it may be shown: secrets are redacted.
	Value string `json:"value,omitempty"`
	// Source is the full provenance: "chart/values.yaml:12",
	// "template chart/templates/deployment.yaml:20", "GoFr default".
	Source string `json:"source"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Finding is one problem a rule found.
type Finding struct {
	Rule         string   `json:"rule"`
	Name         string   `json:"name"`
	Severity     Severity `json:"severity"`
	Environments []string `json:"environments"`
	Key          string   `json:"key"`
	// Message says what is wrong and, in its last sentence, what to do.
	Message string `json:"message"`
	// File and Line are the primary location, relative to the project
	// directory.
	File string `json:"file"`
	Line int    `json:"line"`
	// Locations are every value involved, each with its source.
	Locations []Location `json:"locations,omitempty"`
	// Accepted findings are listed in ferry.yaml accept: with Reason; they
	// never fail a check.
	Accepted   bool   `json:"accepted,omitempty"`
	Reason     string `json:"reason,omitempty"`
	AcceptLine int    `json:"acceptLine,omitempty"`
	// Workload names the workloads the finding is about
	// ("Deployment/ledger-api, Deployment/ledger-worker"); empty for a
	// finding about the project or a chart without workloads.
	Workload string `json:"workload,omitempty"`
	// Project is the project directory as the user named it, set when
	// several projects are checked at once.
	Project string `json:"project,omitempty"`
	// unread are the values paths a FERRY080 finding stands for, for
	// foldRenamedKeys, or a FERRY085 finding for a map names.
	unread []string
	// named is the environment a FERRY019 finding's value names, for
	// foldForeignShared.
	named string
}

// Summary counts the findings that are not accepted, by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Accepted int `json:"accepted"`
}

// Report is the result of checking one project.
type Report struct {
	// Dir is the project directory as the user named it.
	Dir string `json:"-"`
	// Project says which chart was checked and which runtime was detected;
	// nil when the project could not be loaded.
	Project *ProjectInfo `json:"project,omitempty"`
	// Projects describes each project of a merged report.
	Projects []*ProjectInfo `json:"projects,omitempty"`
	Findings []Finding      `json:"findings"`
	// Problems are the environments and projects that could not be read;
	// everything else was checked.
	Problems []Problem `json:"problems,omitempty"`
	Summary  Summary   `json:"summary"`
}

// Failed reports whether the report fails a check: any error finding, or
// with strict any warning too. Accepted findings never fail.
func (r *Report) Failed(strict bool) bool {
	return r.Summary.Errors > 0 || (strict && r.Summary.Warnings > 0)
}

// Incomplete reports whether something could not be read: the check is
// then not a pass whatever the findings say.
func (r *Report) Incomplete() bool { return r.incomplete() > 0 }

// incomplete counts the problems that leave the check incomplete.
func (r *Report) incomplete() int {
	n := 0
	for _, p := range r.Problems {
		if !p.Info {
			n++
		}
	}
	return n
}

// Env is one rendered environment.
type Env struct {
	Name   string
	Spec   *project.Environment
	Result *render.Result
	// SetByCI maps the values paths the CI deploy command sets to the
	// CI file:line that sets them (see ci.go).
	SetByCI map[string]string
	// Failure is set for an environment whose chart did not render: its
	// Result holds its values alone (see failed.go).
	Failure *Failure
	// imagePath is the values map of Result.Image when the values pass
	// found it under a dependency's key (generic-chart.app.image), ""
	// for the top-level image.
	imagePath string
	// outside are the values the environment was rendered with a
	// stand-in for (see outside.go).
	outside []render.Outside
}

// Input is what rules see.
type Input struct {
	Project *project.Project
	// Envs are the project's environments that rendered, in project order
	// (promotion path first).
	Envs []*Env
	// Problems are the environments that did not render and could not be
	// checked at all.
	Problems []Problem
	// Failed are the environments that did not render but whose values
	// were read: FERRY092 reports each, and the rules that need only
	// values run over them too (valuesRules).
	Failed []*Env

	srcOnce  sync.Once
	src      *goSource
	treeOnce sync.Once
	tree     *tree
	// unknownOnce guards unknown, FERRY080's findings (unknownValuesKeys).
	unknownOnce sync.Once
	unknown     []Finding
	parent      *Input // a per-container view shares its project's source scan
	// checksumMu guards checksumActs, each workload template's checksum
	// annotations' actions (checksumActions): every environment's
	// workloads of one template ask.
	checksumMu   sync.Mutex
	checksumActs map[string]map[string]string
}

// Load renders every environment of p, concurrently, into an Input. An
// environment that does not render becomes one of the Input's Problems
// and the others are still checked; only an interruption is an error.
func Load(ctx context.Context, p *project.Project) (*Input, error) {
	in := &Input{Project: p}
	// A values file of an environment's name that CI deploys with other
	// files is checked by no environment: JSON and SARIF readers are told
	// so too, as an info that leaves the run complete.
	for _, u := range p.Unchecked {
		file, _, _ := strings.Cut(u, ": ")
		in.Problems = append(in.Problems, Problem{File: file, Message: u, Info: true})
	}
	envs := make([]*Env, len(p.Environments))
	errs := make([]error, len(p.Environments))
	var wg sync.WaitGroup
	// One Renderer: the chart is loaded and each values file parsed once
	// for every environment.
	r := render.New(p)
	// A SOPS file that cannot be decrypted here (no sops, no key) is
	// checked with stand-ins for its values, and the header says so:
	// everything else about the environment can still be read.
	r.ForCheck()
	for i, e := range p.Environments {
		wg.Go(func() {
			res, err := r.Render(ctx, e.Name)
			if err != nil {
				errs[i] = err
				return
			}
			envs[i] = &Env{Name: e.Name, Spec: e, Result: res, SetByCI: ciSets(e)}
		})
	}
	wg.Wait()
	anyRendered := slices.Contains(errs, nil)
	for i, err := range errs {
		switch {
		case err == nil:
			in.Envs = append(in.Envs, envs[i])
			for _, nd := range envs[i].Result.NotDecrypted {
				in.Problems = append(in.Problems, notDecrypted(envs[i].Name, nd))
			}
			if nv := envs[i].Result.NotVendored; nv != nil {
				// Rendered without its subcharts: their manifests alone
				// went unchecked, and FERRY092 says so.
				envs[i].Failure = &Failure{Problem: problemOf(envs[i].Name, fmt.Errorf("%s: %w", envs[i].Name, nv)), Dependency: true, Rendered: true}
			}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			e, err, ok := renderOutside(ctx, r, p, i, err, envs)
			if ok {
				in.Envs = append(in.Envs, e)
				continue
			}
			if e, ok := partial(ctx, r, p, p.Environments[i], err, anyRendered); ok {
				in.Failed = append(in.Failed, e)
				if e.Failure.Empty { // nothing rendered: still a problem
					pr := e.Failure.Problem
					pr.Message += "; its values alone were checked"
					in.Problems = append(in.Problems, pr)
				}
				continue
			}
			in.Problems = append(in.Problems, problemOf(p.Environments[i].Name, fmt.Errorf("%s: %w", p.Environments[i].Name, err)))
		}
	}
	in.pruneTestHooks()
	in.runtimeFromConfig()
	return in, nil
}

// Project checks the project in dir: load, render, run every rule. When
// dir holds several charts, only the first is checked: use Projects and
// CheckProject for all of them.
func Project(ctx context.Context, dir string) (*Report, error) {
	ps, err := Projects(dir)
	if len(ps) == 0 {
		return nil, err
	}
	return CheckProject(ctx, dir, ps[0])
}

// Run runs every rule over in, applies the project's acceptances and
// returns the sorted report.
func Run(in *Input) *Report {
	var all []Finding
	generic := in.Project != nil && in.Project.Runtime == project.RuntimeGeneric
	views := in.views()
	for _, r := range Rules() {
		if generic && gofrContract[r.ID] && !genericToo[r.ID] {
			continue
		}
		for _, f := range runRule(r, in, views) {
			all = append(all, complete(r, f))
		}
	}
	all = append(all, valuesPass(in)...)
	all = oneDeployment(in, all)
	all = foldPlaceholders(foldTagWarnings(mergeWorkloads(all)))
	var accepts []project.Acceptance
	if in.Project != nil {
		accepts = in.Project.Accept
	}
	// Acceptances name environments: they apply to each environment's
	// finding before a shared value's findings fold into one.
	stale := applyAcceptances(in, accepts, all)
	all = foldForeignShared(foldRenamedKeys(all))
	all = append(mergeSecretLines(mergeShared(all)), stale...)
	sortFindings(all)
	rep := &Report{Findings: all, Problems: in.Problems}
	if in.Project != nil {
		rep.Project = infoOf(in.Project.Dir, in.Project)
		for i, d := range rep.Project.Definitions {
			for _, e := range in.Envs {
				if e.Name != d.Name || e.Result == nil {
					continue
				}
				if !slices.Equal(e.Result.Namespaces, []string{d.Namespace}) {
					rep.Project.Definitions[i].Objects = e.Result.Namespaces
				}

			}
		}
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	for _, f := range all {
		switch {
		case f.Accepted:
			rep.Summary.Accepted++
		case f.Severity == Error:
			rep.Summary.Errors++
		case f.Severity == Warning:
			rep.Summary.Warnings++
		default:
			rep.Summary.Infos++
		}
	}
	return rep
}

// complete fills what a rule may leave out.
func complete(r Rule, f Finding) Finding {
	f.Rule, f.Name = r.ID, r.Name
	if f.Severity == "" {
		f.Severity = r.Severity
	}
	if f.Environments == nil {
		f.Environments = []string{}
	}
	sort.Strings(f.Environments)
	f.Environments = slices.Compact(f.Environments)
	if f.File == "" {
		for _, l := range f.Locations {
			if l.File != "" {
				f.File, f.Line = l.File, l.Line
				break
			}
		}
	}
	return f
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		return cmp.Or(
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			strings.Compare(a.Rule, b.Rule),
			strings.Compare(strings.Join(a.Environments, ","), strings.Join(b.Environments, ",")),
			strings.Compare(a.Key, b.Key),
			strings.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
		) < 0
	})
}

// notDecrypted is the problem of an environment checked without the
// values of a SOPS file that could not be decrypted here.
func notDecrypted(env string, e render.InputError) Problem {
	why := e.Msg
	if _, after, ok := strings.Cut(why, "could not be decrypted: "); ok {
		why = after
	} else if strings.Contains(why, "without SOPS decryption") {
		why = "this ferry decrypts nothing"
	}
	return Problem{Environment: env, File: e.File, Line: e.Line, Partial: true,
		Message: fmt.Sprintf("%s: %s:%d is SOPS-encrypted and was not decrypted here (%s): its keys were checked, its values were not", env, e.File, e.Line, why)}
}
