package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// Where a rendered object's field was written: the rules about the
// objects themselves (duplicates, Service ports, Ingress hosts and paths)
// cite the values line that set the field when one path can be told, the
// template line that writes it literally otherwise, and the template with
// no line when neither is certain. A line is never guessed.

// objectLoc locates a field of o in e: the one template line that
// reads `key: literal`, else the one values path the template reads
// whose value match accepts, else the template alone.
func objectLoc(in *Input, e *Env, o render.Object, key, literal string, match func(path string, v any) bool) Location {
	if line := itemKeyLine(in.files(), in.dir(), o.Template, key, literal); line > 0 {
		return templateLoc(e.Name, key, literal, o.Template, line)
	}
	if l, ok := templateValuesLoc(in, e, o.Template, match); ok {
		return l
	}
	return templateLoc(e.Name, key, literal, o.Template, 0)
}

// templateValuesLoc finds the one values path under what tpl reads
// (.Values.ingress.host, or an element of .Values.ingress.hosts a range
// walks) whose value match accepts, and the line that set it.
func templateValuesLoc(in *Input, e *Env, tpl string, match func(path string, v any) bool) (Location, bool) {
	if e.Result == nil || tpl == "" || match == nil {
		return Location{}, false
	}
	data, err := in.files().ReadFile(filepath.Join(in.dir(), tpl))
	if err != nil {
		return Location{}, false
	}
	refs := valuesPaths(string(data))
	var found []string
	for p, s := range e.Result.ValueSources {
		if s.Kind != render.KindValues && s.Kind != render.KindCI {
			continue
		}
		if !slices.ContainsFunc(refs, func(r string) bool {
			return r != "" && (p == r || strings.HasPrefix(p, r+".") || strings.HasPrefix(p, r+"["))
		}) {
			continue
		}
		if v, ok := pathValue(e.Result.Values, p); ok && match(p, v) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return Location{}, false
	}
	p := found[0]
	s := e.Result.ValueSources[p]
	v, _ := pathValue(e.Result.Values, p)
	return Location{Environment: e.Name, Key: p, Value: scalarString(v), Source: s.String(), File: s.File, Line: s.Line}, true
}

// pathValue is the value at a dotted values path whose list elements
// are written [i] (ingress.hosts[0].paths[0].path).
func pathValue(vals map[string]any, p string) (any, bool) {
	var cur any = vals
	for _, seg := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[name]; !ok {
				return nil, false
			}
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			l, isList := cur.([]any)
			if !ok || err != nil || !isList || i < 0 || i >= len(l) {
				return nil, false
			}
			cur, rest = l[i], strings.TrimPrefix(after, "[")
		}
	}
	return cur, true
}

// leaf is the last key of a values path: host for ingress.hosts[0].host.
func leaf(p string) string {
	if i := strings.LastIndex(p, "."); i >= 0 {
		p = p[i+1:]
	}
	name, _, _ := strings.Cut(p, "[")
	return name
}

// itemKeyLine is the one line of file (relative to dir) reading `key:
// value` literally, as a map key or a list item's first key; 0 when none
// or several do.
func itemKeyLine(files *tree, dir, file, key, value string) int {
	data, err := files.ReadFile(filepath.Join(dir, file))
	if err != nil || file == "" {
		return 0
	}
	found := 0
	for i, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "- "), ":")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		v, _, _ = strings.Cut(v, " #")
		v = strings.TrimSpace(v)
		// An empty value must be written so: a bare key opens a block.
		if strings.Trim(v, `"'`) != value || (value == "" && v != `""` && v != "''") {
			continue
		}
		if found != 0 {
			return 0
		}
		found = i + 1
	}
	return found
}

// keyLine is the one line of file (relative to dir) that writes key as a
// map key, whatever its value; 0 when none or several do.
func keyLine(files *tree, dir, file, key string) int {
	data, err := files.ReadFile(filepath.Join(dir, file))
	if err != nil || file == "" {
		return 0
	}
	found := 0
	for i, line := range strings.Split(string(data), "\n") {
		k, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "- "), ":")
		if !ok || strings.Trim(strings.TrimSpace(k), `"'`) != key {
			continue
		}
		if found != 0 {
			return 0
		}
		found = i + 1
	}
	return found
}

// objectLine is the line of tmpl that names an object of kind: the name:
// under metadata: of the one document of that kind (or, when several
// are, of the one whose name is written literally), else that document's
// kind: line; 0 when it cannot be told.
func objectLine(files *tree, dir, tmpl, kind, name string) int {
	data, err := files.ReadFile(filepath.Join(dir, tmpl))
	if err != nil || tmpl == "" {
		return 0
	}
	lines := strings.Split(string(data), "\n")
	type doc struct{ kindLine, nameLine int }
	var docs []doc
	cur := doc{}
	inMeta, metaIndent := false, 0
	flush := func() {
		if cur.kindLine > 0 {
			docs = append(docs, cur)
		}
		cur, inMeta = doc{}, false
	}
	for i, line := range lines {
		t := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case strings.HasPrefix(t, "---"):
			flush()
		case indent == 0 && strings.HasPrefix(t, "kind:"):
			if k := strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "kind:")), `"'`); k == kind {
				cur.kindLine = i + 1
			}
		case indent == 0 && t == "metadata:":
			inMeta, metaIndent = true, -1
		case inMeta && t != "" && !strings.HasPrefix(t, "{{") && !strings.HasPrefix(t, "#"):
			if indent == 0 {
				inMeta = false
				continue
			}
			if metaIndent < 0 {
				metaIndent = indent
			}
			if indent == metaIndent && strings.HasPrefix(t, "name:") && cur.nameLine == 0 {
				cur.nameLine = i + 1
			}
		}
	}
	flush()
	line := func(d doc) int {
		if d.nameLine > 0 {
			return d.nameLine
		}
		return d.kindLine
	}
	switch len(docs) {
	case 0:
		return 0
	case 1:
		return line(docs[0])
	}
	found := 0
	for _, d := range docs {
		if d.nameLine == 0 {
			continue
		}
		_, v, _ := strings.Cut(lines[d.nameLine-1], ":")
		if strings.Trim(strings.TrimSpace(v), `"'`) != name {
			continue
		}
		if found != 0 {
			return 0
		}
		found = d.nameLine
	}
	return found
}

// templateLoc is a location in a template, with its line when known.
func templateLoc(env, key, value, tmpl string, line int) Location {
	l := Location{Environment: env, Key: key, Value: value, Source: "template " + tmpl, File: tmpl, Line: line}
	if line > 0 {
		l.Source = fmt.Sprintf("template %s:%d", tmpl, line)
	}
	return l
}

// hook reports an object Helm runs as a hook (helm.sh/hook): it is not
// part of the release's objects, and is made and deleted on its own.
func hook(body map[string]any) bool {
	_, ok := digMap(body, "metadata", "annotations")["helm.sh/hook"]
	return ok
}

// eachObject calls fn for every object of kind that an environment
// renders, Helm hooks left out.
func eachObject(in *Input, kind string, fn func(e *Env, o render.Object)) {
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, o := range e.Result.Objects {
			if o.Kind == kind && !hook(o.Body) {
				fn(e, o)
			}
		}
	}
}

// envFindings folds one mistake found in several environments at one
// location into one finding naming them all; each message starts with
// the environments' names.
type envFindings struct {
	out   []Finding
	tails []string // each message after the environments' names
	at    map[string]int
}

// add records f (with its message after the names, tail) under id, or
// adds e and l to the finding already recorded under id.
func (g *envFindings) add(id string, e *Env, l Location, f Finding, tail string) {
	if g.at == nil {
		g.at = map[string]int{}
	}
	if i, ok := g.at[id]; ok {
		g.out[i].Environments = append(g.out[i].Environments, e.Name)
		g.out[i].Locations = append(g.out[i].Locations, l)
		return
	}
	g.at[id] = len(g.out)
	f.Environments, f.Locations = []string{e.Name}, []Location{l}
	g.out = append(g.out, f)
	g.tails = append(g.tails, tail)
}

func (g *envFindings) findings() []Finding {
	for i := range g.out {
		g.out[i].Message = andList(g.out[i].Environments) + ": " + g.tails[i]
	}
	return g.out
}
