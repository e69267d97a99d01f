package check

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// Problem is something check could not read: an environment that does not
// render, or a project that does not load. Every other environment and
// project is still checked; a report with problems exits 2.
type Problem struct {
	// Environment is empty when the whole project could not be read.
	Environment string `json:"environment,omitempty"`
	File        string `json:"file,omitempty"`
	Line        int    `json:"line,omitempty"`
	// Message is one line naming the reason.
	Message string `json:"message"`
	// Partial is set when the environment was checked but not all of it:
	// a SOPS values file that could not be decrypted here had its keys
	// checked and its values stand in as secrets.
	Partial bool `json:"partial,omitempty"`
	// Project is the project directory as the user named it, set when
	// several projects are checked at once.
	Project string `json:"project,omitempty"`
	// Info is set for a project left out that leaves the run complete: a
	// chart with no environment beside projects that were checked (a
	// cluster-wide chart Terraform installs once per cluster).
	Info bool `json:"info,omitempty"`
}

// ProjectInfo says what check looked at: which chart, and which runtime
// it detected and why.
type ProjectInfo struct {
	// Name is the service's name, as in every other JSON output's project.
	Name          string   `json:"name"`
	Dir           string   `json:"dir"`
	Chart         string   `json:"chart"`
	Runtime       string   `json:"runtime"`
	RuntimeReason string   `json:"runtimeReason"`
	Environments  []string `json:"environments"`
	// OrderReason says why the environments are in this order:
	// ferry.yaml's path, or what their names say.
	OrderReason string `json:"orderReason,omitempty"`
	// Definitions say, per environment in order, where its definition
	// came from: ferry.yaml, the CI deploy command, or discovery.
	Definitions []EnvDefinition `json:"definitions,omitempty"`
}

// EnvDefinition is where one environment's definition came from
// (project.Origin), for the report header.
type EnvDefinition struct {
	Name          string `json:"name"`
	Definition    string `json:"definition"`
	Release       string `json:"release,omitempty"`
	ReleaseFrom   string `json:"releaseFrom,omitempty"`
	Namespace     string `json:"namespace,omitempty"`
	NamespaceFrom string `json:"namespaceFrom,omitempty"`
	// Objects are the namespaces its rendered objects land in, when a
	// manifest names its own (namespace: {{ .Values.namespace }}).
	Objects    []string `json:"objectNamespaces,omitempty"`
	Values     []string `json:"values,omitempty"`
	ValuesFrom string   `json:"valuesFrom,omitempty"`
}

// problemOf turns a load or render error into a Problem, with the file and
// line of bad input where there is one.
func problemOf(env string, err error) Problem {
	pr := Problem{Environment: env, Message: err.Error()}
	var ie *render.InputError
	if errors.As(err, &ie) {
		pr.File, pr.Line = ie.File, ie.Line
	}
	return pr
}

// Failed reports a project that could not be loaded at all.
func Failed(dir string, err error) *Report {
	return &Report{Dir: dir, Findings: []Finding{}, Problems: []Problem{problemOf("", err)}}
}

// infoOf describes p for reports.
func infoOf(dir string, p *project.Project) *ProjectInfo {
	chart := p.Chart
	if chart == "" {
		chart = "(none: configs/ only)"
	}
	info := &ProjectInfo{Name: p.Service, Dir: dir, Chart: chart, Runtime: p.Runtime, RuntimeReason: p.RuntimeReason, Environments: p.EnvNames(), OrderReason: p.OrderReason}
	for _, e := range p.Environments {
		info.Definitions = append(info.Definitions, EnvDefinition{
			Name: e.Name, Definition: e.From.Definition,
			Release: e.Release, ReleaseFrom: e.From.Release,
			Namespace: e.Namespace, NamespaceFrom: e.From.Namespace,
			Values: e.Values, ValuesFrom: e.From.Values,
		})
	}
	return info
}

// Projects loads the projects in dir: one, or one per chart when discovery
// finds several. A project that cannot be loaded is returned as an error
// alone.
func Projects(dir string) ([]*project.Project, error) {
	p, err := project.Load(dir)
	var several *project.SeveralChartsError
	if !errors.As(err, &several) {
		if err != nil {
			return nil, err
		}
		return []*project.Project{p}, nil
	}
	out := make([]*project.Project, 0, len(several.Charts))
	var errs []error
	for _, c := range several.Charts {
		p, err := project.LoadChart(dir, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// CheckProject loads, renders and checks p; environments that fail to
// render become the report's problems.
func CheckProject(ctx context.Context, dir string, p *project.Project) (*Report, error) {
	in, err := Load(ctx, p)
	if err != nil {
		return nil, err
	}
	rep := Run(in)
	rep.Dir = dir
	rep.Project.Dir = dir
	return rep, nil
}
