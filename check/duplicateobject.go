package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/render"
)

// Two objects of one kind and name in one namespace are one object to the
// API server: a release that renders both fails when Helm creates the
// second, or one silently replaces the other on upgrade. It happens when
// two templates take the name from two values keys that hold the same
// name (an IRSA ServiceAccount made for External Secrets and the chart's
// own ServiceAccount, both external-secrets-sa).

func init() {
	register(Rule{
		ID: "FERRY095", Name: "duplicate-object", Severity: Error,
		Summary: "The chart renders two objects of one kind with one name in one namespace",
		Help: "Kubernetes keeps one object per kind, namespace and name. When a release renders two " +
			"(two templates whose names come from values that hold the same name, a range that " +
			"repeats one), Helm's install fails creating the second (\"already exists\"), and an " +
			"upgrade applies both to one object, the later silently winning. Give each its own " +
			"name, or render it once. Helm hooks are made apart from the release and are not compared.",
		Check: checkDuplicateObject,
	})
	projectRules["FERRY095"] = true
}

// renderedAgain is the warning render gives for an object a later
// document renders again, keeping the later one (render/chart.go,
// dedupeObjects): "TEMPLATE: KIND/NAME is rendered again by TEMPLATE; an
// install keeps the last one".
var renderedAgain = lazyre.New(`^(\S+): ([^/\s]+)/(\S+) is rendered again by (\S+); an install keeps the last one$`)

// duplicate is one object a release renders more than once.
type duplicate struct {
	kind, name, ns string
	templates      []string // each rendering, in manifest order
}

// duplicatesOf lists the objects e renders more than once, Helm hooks
// left out. Render keeps the last of them only: a template holding a hook
// may have rendered the dropped one, and is left out too.
func duplicatesOf(in *Input, e *Env) []duplicate {
	var out []duplicate
	idx := map[string]int{}
	for _, w := range e.Result.Warnings {
		m := renderedAgain.Get().FindStringSubmatch(w)
		if m == nil {
			continue
		}
		kind, name, kept := m[2], m[3], m[4]
		i := slices.IndexFunc(e.Result.Objects, func(o render.Object) bool {
			return o.Kind == kind && o.Name == name && o.Template == kept
		})
		if i < 0 || hook(e.Result.Objects[i].Body) || holdsHook(in, m[1]) {
			continue
		}
		id := kind + "/" + name + "@" + e.Result.Objects[i].Namespace
		j, ok := idx[id]
		if !ok {
			j = len(out)
			idx[id] = j
			out = append(out, duplicate{kind: kind, name: name, ns: e.Result.Objects[i].Namespace, templates: []string{kept}})
		}
		d := &out[j]
		d.templates = slices.Insert(d.templates, len(d.templates)-1, m[1])
	}
	return out
}

// holdsHook reports whether template tpl writes a Helm hook annotation.
func holdsHook(in *Input, tpl string) bool {
	data, err := in.files().ReadFile(filepath.Join(in.dir(), tpl))
	return err == nil && strings.Contains(string(data), "helm.sh/hook")
}

func checkDuplicateObject(in *Input) []Finding {
	type group struct {
		f     Finding
		d     duplicate
		where []string // each environment's namespace, "env: ns"
		nss   []string
		srcs  []string
	}
	var groups []*group
	at := map[string]*group{} // the object and its templates, across environments
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, d := range duplicatesOf(in, e) {
			key := d.kind + "/" + d.name
			var ls []Location
			var srcs []string
			for _, t := range d.templates {
				l := templateLoc(e.Name, key, "", t, objectLine(in.files(), in.dir(), t, d.kind, d.name))
				ls = append(ls, l)
				srcs = append(srcs, l.Source)
			}
			gid := key + "\x00" + strings.Join(srcs, "\x00")
			g, ok := at[gid]
			if !ok {
				g = &group{f: Finding{Key: key}, d: d, srcs: uniqStrings(srcs)}
				at[gid] = g
				groups = append(groups, g)
			}
			g.f.Environments = append(g.f.Environments, e.Name)
			g.f.Locations = append(g.f.Locations, ls...)
			g.nss = append(g.nss, d.ns)
			if d.ns != "" {
				g.where = append(g.where, e.Name+": "+d.ns)
			}
		}
	}
	out := make([]Finding, 0, len(groups))
	for _, g := range groups {
		where := "cluster-wide"
		if len(g.where) > 0 {
			where = "in one namespace (" + strings.Join(g.where, ", ") + ")"
		}
		if nss := uniqStrings(g.nss); len(nss) == 1 && nss[0] != "" {
			where = "in namespace " + nss[0]
		}
		times := "twice"
		if n := len(g.d.templates); n > 2 {
			times = fmt.Sprintf("%d times", n)
		}
		g.f.Message = fmt.Sprintf("the chart renders %s %s %s %s, from %s: Helm's install fails creating the second (\"already exists\"), or one silently replaces the other; give each its own name, or render it once.",
			g.d.kind, g.d.name, times, where, andList(g.srcs))
		out = append(out, g.f)
	}
	return out
}

// uniqStrings drops repeats, keeping the first of each.
func uniqStrings(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
