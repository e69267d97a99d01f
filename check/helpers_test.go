package check

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// envOf builds a rendered environment from "KEY=VALUE" or
// "KEY=VALUE@file:line" pairs; without a source a pair is set in the
// environment's own values file at its position. "KEY=@ext" is an external
// Secret reference.
func envOf(name string, pairs ...string) *Env {
	var entries []render.Entry
	for i, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		src := render.Source{Kind: render.KindValues, File: "values-" + name + ".yaml", Line: i + 1}
		if j := strings.LastIndex(v, "@"); j >= 0 {
			loc := v[j+1:]
			v = v[:j]
			if loc == "ext" {
				entries = append(entries, render.Entry{Key: k, External: true, Secret: true,
					Source: render.Source{Kind: render.KindExternal, Detail: "Secret s/" + strings.ToLower(k)}})
				continue
			}
			f, l, _ := strings.Cut(loc, ":")
			n, _ := strconv.Atoi(l)
			src = render.Source{Kind: render.KindValues, File: f, Line: n}
			if strings.HasPrefix(f, "configs/") {
				src.Kind = render.KindFile
			}
		}
		entries = append(entries, render.Entry{Key: k, Value: v, Source: src})
	}
	return &Env{
		Name:   name,
		Spec:   &project.Environment{Name: name, Target: "local", Namespace: name, Values: []string{"chart/values.yaml", "values-" + name + ".yaml"}},
		Result: &render.Result{Environment: name, Config: render.NewConfig(entries), ValueSources: map[string]render.Source{}},
	}
}

// withWorkload gives e a primary Deployment.
func withWorkload(e *Env, w render.Workload) *Env {
	if w.Kind == "" {
		w.Kind = "Deployment"
	}
	if w.Name == "" {
		w.Name = "app"
	}
	if w.Replicas == 0 {
		w.Replicas = 1
	}
	if w.TerminationGracePeriodSeconds == 0 {
		w.TerminationGracePeriodSeconds = 30
	}
	if len(w.Containers) == 0 {
		w.Containers = []render.Container{{Name: "app", Template: "chart/templates/deployment.yaml"}}
	}
	e.Result.Workloads = append(e.Result.Workloads, w)
	return e
}

// inputOf builds an Input whose promotion path is the environments in
// order.
func inputOf(envs ...*Env) *Input {
	p := &project.Project{Dir: "", Path: names(envs), Database: project.Database{MaxConnections: 100}}
	for _, e := range envs {
		p.Environments = append(p.Environments, e.Spec)
	}
	return &Input{Project: p, Envs: envs}
}

type ruleCase struct {
	name string
	in   *Input
	// want lists findings as "SEVERITY env1,env2 KEY".
	want []string
}

// testRule runs one rule over each case and checks that every finding is
// complete: environments, key, a location and a message that says what
// to do.
func testRule(t *testing.T, id string, cases []ruleCase) {
	t.Helper()
	r, ok := RuleByID(id)
	if !ok {
		t.Fatalf("RuleByID(%q): no such rule", id)
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range r.Check(tt.in) {
				f = complete(r, f)
				got = append(got, fmt.Sprintf("%s %s %s", f.Severity, strings.Join(f.Environments, ","), f.Key))
				if len(f.Environments) == 0 || f.Key == "" || !strings.Contains(f.Message, ": ") || !strings.HasSuffix(f.Message, ".") {
					t.Errorf("%s finding is incomplete: %+v", id, f)
				}
				if len(f.Locations) == 0 {
					t.Errorf("%s finding has no locations: %+v", id, f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s findings (-want +got):\n%s", id, diff)
			}
		})
	}
}

// findings runs one rule and returns its completed findings.
func findings(t *testing.T, id string, in *Input) []Finding {
	t.Helper()
	r, ok := RuleByID(id)
	if !ok {
		t.Fatalf("RuleByID(%q): no such rule", id)
	}
	var out []Finding
	for _, f := range r.Check(in) {
		out = append(out, complete(r, f))
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// loadDir loads and renders the project in dir.
func loadDir(tb testing.TB, dir string) (*Input, error) {
	tb.Helper()
	p, err := project.Load(dir)
	if err != nil {
		return nil, err
	}
	return Load(tb.Context(), p)
}
