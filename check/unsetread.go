package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// A template that prints a values key no values file sets renders it
// empty: `key1: "{{ .Values.key1 }}"` makes an empty Secret in every
// environment, `path: {{ .Values.ingress.path }}` an Ingress path of "".

func init() {
	register(Rule{
		ID: "FERRY088", Name: "unset-values-read", Severity: Warning,
		Summary: "A template prints a values key that no values file sets",
		Help: "A template that prints .Values.x with no default, where neither values.yaml nor the " +
			"environment's files set x, renders it empty (Helm prints nothing for a missing key): a " +
			"Secret key, an env value or an Ingress path that is silently \"\". Set the key in " +
			"values.yaml (or the environment's file), give the template a default, or make it " +
			"required. A read guarded by if, with, default or required is not reported. A map that " +
			"bounds the pod handed on whole (toYaml .Values.resources, a securityContext) renders null: " +
			"reported where an environment leaves it unset while another sets it.",
		Check: checkUnsetValuesRead,
	})
	projectRules["FERRY088"] = true
}

var (
	// plainRead is an action that prints (or binds) one values path as
	// it is: no default, no required.
	plainRead = lazyre.New(`^(\$\w+\s*:?=\s*)?\$?\.Values\.([A-Za-z0-9_.]+)(\s*\|\s*(quote|squote|toString|b64enc|trim|upper|lower))*$`)
	// wholeRead hands one values path on whole, as YAML or JSON:
	// {{ toYaml .Values.resources | indent 12 }}. Unset, it renders null.
	wholeRead = lazyre.New(`^(?:(?:toYaml|toJson|toPrettyJson)\s+\$?\.Values\.([A-Za-z0-9_.]+)|\$?\.Values\.([A-Za-z0-9_.]+)\s*\|\s*(?:toYaml|toJson|toPrettyJson))(\s*\|\s*(n?indent\s+\d+|trim))*$`)
)

// wholePath is the values path an action hands on whole, "" for any
// other action.
func wholePath(act string) string {
	m := wholeRead.Get().FindStringSubmatch(act)
	if m == nil {
		return ""
	}
	return m[1] + m[2]
}

// guardWords are the functions and actions that test or default a value.
var guardWords = map[string]bool{"if": true, "with": true, "default": true, "required": true, "hasKey": true,
	"empty": true, "and": true, "or": true, "not": true, "coalesce": true}

// valuesPaths returns the .Values paths an action names.
func valuesPaths(act string) []string {
	var out []string
	for {
		i := strings.Index(act, ".Values.")
		if i < 0 {
			return out
		}
		act = act[i+len(".Values."):]
		j := 0
		for j < len(act) && (keyChar(act[j]) && act[j] != '-' && act[j] != '/') {
			j++
		}
		out = append(out, strings.TrimSuffix(act[:j], "."))
		act = act[j:]
	}
}

// guarded reports whether an action tests or defaults what it reads.
func guarded(act string) bool {
	for _, w := range strings.FieldsFunc(act, func(r rune) bool { return r == ' ' || r == '(' || r == '|' || r == ')' }) {
		if guardWords[w] {
			return true
		}
	}
	return false
}

// plainReads returns the values paths a template prints without a guard,
// with the first line that does.
func plainReads(text string) map[string]int {
	lines := strings.Split(text, "\n")
	guards := map[string]bool{}
	for _, line := range lines {
		if !strings.Contains(line, ".Values.") {
			continue
		}
		for _, act := range actions(line) {
			if guarded(act) {
				for _, p := range valuesPaths(act) {
					guards[p] = true
				}
			}
		}
	}
	out := map[string]int{}
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || !strings.Contains(line, ".Values.") {
			continue
		}
		for _, act := range actions(line) {
			p := wholePath(act)
			if r := plainRead.Get().FindStringSubmatch(act); r != nil {
				p = r[2]
			}
			if p == "" || underGuard(p, guards) {
				continue
			}
			if _, ok := out[p]; !ok {
				out[p] = i + 1
			}
		}
	}
	return out
}

// openIfs lists the values paths that the if blocks open at the end of
// lines test plainly ({{ if .Values.db.enabled }}): what follows renders
// only where each is true. An else branch, and with, range and define
// blocks, test nothing known here (""). Never nil.
func openIfs(lines []string) []string {
	open := []string{}
	for _, line := range lines {
		for _, act := range actions(line) {
			word, rest, _ := strings.Cut(act, " ")
			switch word {
			case "if", "with", "range", "define", "block":
				p, ok := strings.CutPrefix(strings.TrimPrefix(rest, "$"), ".Values.")
				if word != "if" || !ok || strings.ContainsAny(p, " |()") {
					p = ""
				}
				open = append(open, p)
			case "else":
				if len(open) > 0 {
					open[len(open)-1] = ""
				}
			case "end":
				if len(open) > 0 {
					open = open[:len(open)-1]
				}
			}
		}
	}
	return open
}

// falsy reports whether an if on values path p is false: p unset, false,
// zero or empty.
func falsy(vals map[string]any, p string) bool {
	var cur any = vals
	for _, seg := range strings.Split(p, ".") {
		m, _ := cur.(map[string]any)
		cur = m[seg]
	}
	switch fmt.Sprint(cur) {
	case "<nil>", "false", "", "0", "map[]", "[]":
		return true
	}
	return false
}

// underGuard reports whether path or a map above it is tested.
func underGuard(path string, guarded map[string]bool) bool {
	for p := path; p != ""; {
		if guarded[p] {
			return true
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return false
}

// valueSet reports whether path holds a value (of any type) in vals.
func valueSet(vals map[string]any, path string) bool {
	var cur any = vals
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[seg]; !ok {
			return false
		}
	}
	return cur != nil
}

// subchartScope is where a template's .Values live in the parent's
// values: "keycloak." for charts/keycloak/templates/x.yaml, relative to
// the chart's directory.
func subchartScope(template string) string {
	parts := strings.Split(filepath.ToSlash(template), "/")
	scope := ""
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "charts" && i+2 < len(parts) {
			scope += parts[i+1] + "."
		}
	}
	return scope
}

// localScope is subchartScope of a template of a file:// dependency the
// render loaded from its own directory.
func localScope(e *Env, template string) (string, bool) {
	if e == nil || e.Result == nil {
		return "", false
	}
	for dir, scope := range e.Result.LocalCharts {
		if strings.HasPrefix(filepath.ToSlash(template), dir+"/") {
			return scope, true
		}
	}
	return "", false
}

func checkUnsetValuesRead(in *Input) []Finding {
	envsOf := map[string][]string{}
	kinds := map[string][]string{} // template → the kinds it renders
	var files []string
	byName := map[string]*Env{}
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		byName[e.Name] = e
		for _, o := range e.Result.Objects {
			// A helm test hook is no workload: what it prints runs only
			// under helm test.
			if o.Template != "" && !testHook(o.Body) {
				kinds[o.Template] = addKind(kinds[o.Template], o.Kind)
				files = addUser(envsOf, files, o.Template, e.Name)
			}
		}
	}
	chart := chartDir(in)
	var out []Finding
	for _, f := range files {
		data, err := in.files().ReadFile(filepath.Join(in.dir(), f))
		if err != nil {
			continue
		}
		text := string(data)
		reads := plainReads(text)
		lines := strings.Split(text, "\n")
		// A line whose key the mapping writes again later is dropped by
		// YAML (FERRY059 reports it): what it prints never counts.
		dropped := map[int]bool{}
		for _, ls := range templateDuplicates(text) {
			for _, l := range ls[:len(ls)-1] {
				dropped[l] = true
			}
		}
		paths := make([]string, 0, len(reads))
		for p := range reads {
			paths = append(paths, p)
		}
		slices.SortFunc(paths, func(a, b string) int { return reads[a] - reads[b] })
		scope, ok := localScope(byName[envsOf[f][0]], f)
		if !ok {
			scope = subchartScope(strings.TrimPrefix(filepath.ToSlash(f), chart))
		} else if scope == "" {
			continue // several aliases of one chart: which values it reads is not one path
		}
		for _, p := range paths {
			var unset []string
			line := reads[p]
			var ifs []string // the if blocks around the line, read when p is unset somewhere
			for _, env := range envsOf[f] {
				vals := byName[env].Result.Values
				if valueSet(vals, scope+p) || strings.HasPrefix(p, "global.") && valueSet(vals, p) {
					continue
				}
				if ifs == nil {
					ifs = openIfs(lines[:line])
				}
				if !slices.ContainsFunc(ifs, func(c string) bool { return c != "" && falsy(vals, scope+c) }) {
					unset = append(unset, env)
				}
			}
			if dropped[line] {
				continue
			}
			if imageLine(lines[line-1]) {
				// The image this line composes has no repository or no
				// tag where p is unset: FERRY003 or FERRY002 reports that
				// image, which is the one thing to fix.
				unset = slices.DeleteFunc(unset, func(env string) bool { return imageReported(in, byName[env], f) })
			}
			if len(unset) == 0 || defaultedField(lines[line-1], kinds[f]) {
				continue
			}
			l := Location{Key: p, Source: fmt.Sprintf("template %s:%d", f, line), File: f, Line: line}
			if whole := slices.ContainsFunc(actions(lines[line-1]), func(a string) bool { return wholePath(a) == p }); whole {
				// A map handed on whole is optional by design (annotations,
				// nodeSelector only prod needs), but one that bounds or
				// confines the pod (resources, securityContext) left out
				// by one environment where others set it runs that one
				// without what they get: prod without limits.
				if !boundingMap(p) {
					continue
				}
				var set []string
				for _, env := range envsOf[f] {
					if !slices.Contains(unset, env) {
						set = append(set, env)
					}
				}
				if len(set) == 0 {
					continue
				}
				out = append(out, Finding{
					Environments: unset, Key: p, File: f, Line: line, Locations: []Location{l},
					Message: fmt.Sprintf("%s:%d hands .Values.%s on whole, which no values file of %s sets, so it renders null there while %s %s it: set it in values.yaml or the environment's file, or guard it with `with`.",
						f, line, p, andList(unset), andList(set), map[bool]string{true: "sets", false: "set"}[len(set) == 1]),
				})
				continue
			}
			out = append(out, Finding{
				Environments: unset, Key: p, File: f, Line: line, Locations: []Location{l},
				Message: fmt.Sprintf("%s:%d prints .Values.%s, which no values file of %s sets, so it renders empty: set it in values.yaml or the environment's file, or give the template a default.",
					f, line, p, andList(unset)),
			})
		}
	}
	return out
}

// chartDir is the chart's directory with a trailing slash ("" when none),
// the prefix of template paths.
func chartDir(in *Input) string {
	if in.Project == nil || in.Project.Chart == "" {
		return ""
	}
	return strings.TrimSuffix(filepath.ToSlash(in.Project.Chart), "/") + "/"
}

// imageLine reports a template line that sets a container's image.
func imageLine(line string) bool {
	t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
	return strings.HasPrefix(t, "image:")
}

// imageReported reports whether e runs a container from template tpl
// whose image FERRY003 (no repository) or FERRY002 (no tag) reports.
func imageReported(in *Input, e *Env, tpl string) bool {
	for _, w := range e.Result.Workloads {
		if w.Template != tpl {
			continue
		}
		for _, c := range w.Containers {
			repo, tag, digest := imageRef(c.Image)
			if repo == "" || strings.HasSuffix(repo, "/") {
				return true
			}
			if tag == "" && digest == "" && !(devStage(in, e) && e != in.last()) {
				return true
			}
		}
	}
	return false
}

// boundingMaps are the maps that bound or confine a pod: an environment
// without them runs unlimited or as the image's user.
var boundingMaps = map[string]bool{"resources": true, "limits": true, "requests": true,
	"securityContext": true, "podSecurityContext": true, "containerSecurityContext": true}

// boundingMap reports whether values path p names one of boundingMaps.
func boundingMap(p string) bool {
	return boundingMaps[p[strings.LastIndex(p, ".")+1:]]
}

func addKind(ks []string, k string) []string {
	if slices.Contains(ks, k) {
		return ks
	}
	return append(ks, k)
}

// defaultedField reports a template line setting a field the API server
// defaults when it is empty: a Service's type: "" is ClusterIP.
func defaultedField(line string, kinds []string) bool {
	return strings.HasPrefix(strings.TrimSpace(line), "type:") && slices.Equal(kinds, []string{"Service"})
}
