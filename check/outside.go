package check

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// A value the chart requires that no file of the repository sets
// (app.key | required, filled in at deploy time from the
// infrastructure's secrets) used to stop the environment's render, and
// with it every manifest rule: FERRY055 on the Secret it goes into went
// unchecked (eval8 career2). The environment is rendered again with a
// stand-in for it, and FERRY092 says so as an info naming the key and the
// template line. A value the repository does set somewhere — another
// environment's file, a lint job's --set, a file no environment layers —
// is missing from this environment by mistake: that stays FERRY092's
// error or warning.

// pipedRequiredRe finds the values path piped into required:
// {{ .Values.app.key | required "app.key is required" }}.
var pipedRequiredRe = lazyre.New(`\.Values\.([A-Za-z0-9_.]+)\s*\|\s*required\b`)

// requiredPath is the values path the template line file:line requires,
// either way it is written; "" when the line is not a required.
func requiredPath(dir, file string, line int) string {
	if k := requiredKey(dir, file, line); k != "" {
		return k
	}
	if m := pipedRequiredRe.Get().FindStringSubmatch(templateLine(dir, file, line)); m != nil {
		return strings.TrimSuffix(m[1], ".")
	}
	return ""
}

// renderOutside renders environment i of p again, with a stand-in for
// each value its chart requires that no file of the repository sets, a
// few at most; ok is false when err is not such a failure, and err is then
// the failure that stopped it (another required value, one the repository
// sets elsewhere). envs are the environments that rendered (nil for the
// others).
func renderOutside(ctx context.Context, r *render.Renderer, p *project.Project, i int, err error, envs []*Env) (*Env, error, bool) {
	e := p.Environments[i]
	var outs []render.Outside
	for range 4 {
		var ie *render.InputError
		if !errors.As(err, &ie) || ie.Line == 0 {
			return nil, err, false
		}
		key := requiredPath(p.Dir, ie.File, ie.Line)
		if key == "" || slices.ContainsFunc(outs, func(o render.Outside) bool { return o.Path == key }) ||
			setInRepository(ctx, r, p, key, envs) {
			return nil, err, false
		}
		outs = append(outs, render.Outside{Path: key, File: ie.File, Line: ie.Line})
		res, rerr := r.RenderOutside(ctx, e.Name, i+1, outs)
		if rerr == nil {
			return &Env{Name: e.Name, Spec: e, Result: res, SetByCI: ciSets(e), outside: outs}, nil, true
		}
		err = rerr
	}
	return nil, err, false
}

// setInRepository reports whether a file of the repository sets key: a
// deploy or lint command's --set, an environment's values (read alone
// for those that did not render), or a values file beside the chart
// that no environment layers.
func setInRepository(ctx context.Context, r *render.Renderer, p *project.Project, key string, envs []*Env) bool {
	sets := func(s project.SetFlag) bool { return s.Path == key }
	for _, d := range p.Deploys {
		if slices.ContainsFunc(d.Set, sets) {
			return true
		}
	}
	for i, e := range p.Environments {
		if slices.ContainsFunc(e.Set, sets) {
			return true
		}
		var res *render.Result
		if i < len(envs) && envs[i] != nil {
			res = envs[i].Result
		} else if vo, err := r.ValuesOnly(ctx, e.Name); err == nil {
			res = vo
		}
		if res == nil {
			continue
		}
		if v, ok := pathValue(res.Values, key); ok && v != nil && scalarString(v) != "" {
			return true
		}
	}
	return unlayeredFile(&Input{Project: p}, key) != ""
}

// outsideFindings are FERRY092's infos for the values an environment was
// rendered with a stand-in for: one per key and template line (dedupe).
func outsideFindings(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		for _, o := range e.outside {
			l := Location{Environment: e.Name, Key: o.Path, Source: o.File + ":" + strconv.Itoa(o.Line), File: o.File, Line: o.Line}
			out = append(out, Finding{
				Severity: Info, Environments: []string{e.Name}, Key: o.Path, Locations: []Location{l},
				Message: l.Source + " requires " + o.Path + ", which no file of the repository sets: the manifests were checked with a stand-in for it, as set outside the repository (the infrastructure's secrets, the pipeline's variables); make sure the deploy sets it.",
			})
		}
	}
	return dedupe(out)
}
