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

// objectLoc locates a field of o in e: the one line of o's document in
// its template that reads `key: literal`, else (when o's document does
// not write it literally, or, where o's document cannot be told, no line
// of the template does) the one values path the template reads whose
// value match accepts, else the template alone.
func objectLoc(in *Input, e *Env, o render.Object, key, literal string, match func(path string, v any) bool) Location {
	d, lines, ok := objectDoc(in.files(), in.dir(), o.Template, o.Kind, o.Name)
	if ok {
		switch line, n := keyValueLines(lines[d.start-1:d.end], key, literal); {
		case n == 1:
			return templateLoc(e.Name, key, literal, o.Template, d.start-1+line)
		case n > 1:
			return templateLoc(e.Name, key, literal, o.Template, 0)
		}
	} else if _, n := itemKeyLines(in.files(), in.dir(), o.Template, key, literal); n > 0 {
		// Written literally somewhere in a template whose document for o
		// cannot be told: perhaps o's, perhaps another's.
		return templateLoc(e.Name, key, literal, o.Template, 0)
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
	if line, n := itemKeyLines(files, dir, file, key, value); n == 1 {
		return line
	}
	return 0
}

// itemKeyLines counts the lines of file reading `key: value` literally,
// and gives the first.
func itemKeyLines(files *tree, dir, file, key, value string) (first, n int) {
	data, err := files.ReadFile(filepath.Join(dir, file))
	if err != nil || file == "" {
		return 0, 0
	}
	return keyValueLines(strings.Split(string(data), "\n"), key, value)
}

// keyValueLines counts the lines reading `key: value` literally (a map
// key or a list item's first key), and gives the first, 1-based.
func keyValueLines(lines []string, key, value string) (first, n int) {
	for i, line := range lines {
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
		if n == 0 {
			first = i + 1
		}
		n++
	}
	return first, n
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

// doc is one YAML document of a template: its lines (1-based, end
// inclusive), and its kind: and metadata name: lines.
type doc struct{ start, end, kindLine, nameLine int }

// docsOf lists the documents of a template's lines that are of kind.
func docsOf(lines []string, kind string) []doc {
	var docs []doc
	cur := doc{start: 1}
	inMeta, metaIndent := false, 0
	flush := func(end int) {
		if cur.kindLine > 0 {
			cur.end = end
			docs = append(docs, cur)
		}
		cur, inMeta = doc{start: end + 1}, false
	}
	for i, line := range lines {
		t := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case strings.HasPrefix(t, "---"):
			flush(i)
			cur.start = i + 2
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
	flush(len(lines))
	return docs
}

// objectDoc finds the document of tmpl that renders the object of kind
// and name: the one document of that kind, or the one of several whose
// name: is written literally as name. A document whose literal name is
// another is not it (the object came from an included helper).
func objectDoc(files *tree, dir, tmpl, kind, name string) (doc, []string, bool) {
	data, err := files.ReadFile(filepath.Join(dir, tmpl))
	if err != nil || tmpl == "" {
		return doc{}, nil, false
	}
	lines := strings.Split(string(data), "\n")
	literal := func(d doc) (string, bool) {
		if d.nameLine == 0 {
			return "", false
		}
		_, v, _ := strings.Cut(lines[d.nameLine-1], ":")
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		return v, !strings.Contains(v, "{{")
	}
	docs := docsOf(lines, kind)
	if len(docs) == 1 {
		if v, ok := literal(docs[0]); ok && v != name {
			return doc{}, nil, false
		}
		return docs[0], lines, true
	}
	var found []doc
	for _, d := range docs {
		if v, ok := literal(d); ok && v == name {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		return doc{}, nil, false
	}
	return found[0], lines, true
}

// objectLine is the line of tmpl that names an object of kind: the name:
// under metadata: of its document (see objectDoc), else that document's
// kind: line; 0 when it cannot be told.
func objectLine(files *tree, dir, tmpl, kind, name string) int {
	d, _, ok := objectDoc(files, dir, tmpl, kind, name)
	switch {
	case !ok:
		return 0
	case d.nameLine > 0:
		return d.nameLine
	}
	return d.kindLine
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
