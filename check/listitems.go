package check

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/template/parse"

	"go.yaml.in/yaml/v3"
)

// A values list of maps (externalSecrets.secrets, extraEnv, hosts) is
// read item by item: {{ range .Values.externalSecrets.secrets }} …
// {{ .remoteRef.key }}. Items written in another shape than the templates
// read are a mistake no leaf path shows: Helm ignores the item keys no
// template reads (FERRY080) and renders the keys it reads empty
// (FERRY088). The templates are parsed (text/template/parse, which Helm
// links anyway) to tell what a range's dot and variables hold.

// itemRead is one read of a list item's field inside a range.
type itemRead struct {
	list  string   // the values path ranged over
	field []string // the path within the item; empty for the item whole
	plain bool     // printed as is, or handed on whole: no default in its pipeline
	test  bool     // tested or defaulted (if, with, default, required …)
}

// itemScope is what a range's dot (or a variable) holds: an item of list
// (at prefix within it), or nothing known when list is "".
type itemScope struct {
	list   string
	prefix []string
	vars   map[string]itemScope
}

type itemWalker struct {
	reads []itemRead
	uses  []string // root .Values paths used otherwise than as a range's list or an if's test
}

// itemReads parses one template file and returns the reads of list items
// inside ranges over .Values lists and the .Values paths used otherwise
// (toYaml .Values.x hands its items on whole). ok is false when the text
// does not parse.
func itemReads(name, text string) (reads []itemRead, uses []string, ok bool) {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	set := map[string]*parse.Tree{}
	root, err := t.Parse(text, "", "", set)
	if err != nil {
		return nil, nil, false
	}
	w := &itemWalker{}
	if root.Root != nil {
		w.list(root.Root, itemScope{})
	}
	for _, d := range set {
		if d != root && d.Root != nil {
			w.list(d.Root, itemScope{})
		}
	}
	return w.reads, w.uses, true
}

func (w *itemWalker) list(l *parse.ListNode, s itemScope) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			w.pipe(n.Pipe, s, true, false)
		case *parse.TemplateNode:
			w.pipe(n.Pipe, s, true, false)
		case *parse.IfNode:
			w.pipe(n.Pipe, s, false, true)
			w.list(n.List, s)
			w.list(n.ElseList, s)
		case *parse.WithNode:
			w.pipe(n.Pipe, s, true, true)
			inner := itemScope{vars: s.vars}
			if l, f, ok := w.single(n.Pipe, s); ok && l != "" {
				inner = itemScope{list: l, prefix: f, vars: s.vars}
			}
			w.list(n.List, inner)
			w.list(n.ElseList, s)
		case *parse.RangeNode:
			inner := itemScope{vars: s.vars}
			if p, ok := w.rootSingle(n.Pipe, s); ok {
				inner = itemScope{list: p, vars: map[string]itemScope{}}
				for k, v := range s.vars {
					inner.vars[k] = v
				}
				if d := n.Pipe.Decl; len(d) > 0 {
					inner.vars[d[len(d)-1].Ident[0]] = itemScope{list: p}
				}
			} else {
				// Ranging over an item's own list (or anything else)
				// reads it whole: its items are not followed.
				w.pipe(n.Pipe, s, true, false)
			}
			w.list(n.List, inner)
			w.list(n.ElseList, s)
		}
	}
}

// ref resolves a node to an item's field (list set) or to a root .Values
// path (list "", root set).
func (w *itemWalker) ref(n parse.Node, s itemScope) (list string, field []string, root string, ok bool) {
	item := func(at itemScope, rest []string) (string, []string, string, bool) {
		return at.list, append(slices.Clone(at.prefix), rest...), "", at.list != ""
	}
	switch n := n.(type) {
	case *parse.DotNode:
		return item(s, nil)
	case *parse.FieldNode:
		if s.list != "" {
			return item(s, n.Ident)
		}
		if n.Ident[0] == "Values" {
			return "", nil, strings.Join(n.Ident[1:], "."), true
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" && len(n.Ident) > 1 && n.Ident[1] == "Values" {
			return "", nil, strings.Join(n.Ident[2:], "."), true
		}
		if v, bound := s.vars[n.Ident[0]]; bound {
			return item(v, n.Ident[1:])
		}
	}
	return "", nil, "", false
}

// single resolves a pipeline of one argument ({{ with .remoteRef }}).
func (w *itemWalker) single(p *parse.PipeNode, s itemScope) (string, []string, bool) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "", nil, false
	}
	l, f, _, ok := w.ref(p.Cmds[0].Args[0], s)
	return l, f, ok
}

// rootSingle resolves a range's pipeline to the root .Values list it
// ranges over.
func (w *itemWalker) rootSingle(p *parse.PipeNode, s itemScope) (string, bool) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "", false
	}
	l, _, root, ok := w.ref(p.Cmds[0].Args[0], s)
	return root, ok && l == "" && root != ""
}

// printFuncs format a value without testing or replacing it.
var printFuncs = map[string]bool{"quote": true, "squote": true, "toString": true, "b64enc": true, "trim": true,
	"upper": true, "lower": true, "toYaml": true, "toJson": true, "toPrettyJson": true, "indent": true, "nindent": true}

// pipe records the reads of a pipeline. use: a root path here is used
// (not only tested); test: the pipeline is an if's or with's.
func (w *itemWalker) pipe(p *parse.PipeNode, s itemScope, use, test bool) {
	if p == nil {
		return
	}
	plain := !test && len(p.Decl) == 0
	for _, c := range p.Cmds {
		for _, a := range c.Args {
			if id, ok := a.(*parse.IdentifierNode); ok {
				plain = plain && printFuncs[id.Ident]
				test = test || guardWords[id.Ident]
			}
		}
	}
	for _, c := range p.Cmds {
		for _, a := range c.Args {
			switch a := a.(type) {
			case *parse.PipeNode:
				w.pipe(a, s, use, test)
				continue
			case *parse.ChainNode:
				if sub, ok := a.Node.(*parse.PipeNode); ok {
					w.pipe(sub, s, use, test)
				}
				continue
			}
			l, f, root, ok := w.ref(a, s)
			switch {
			case !ok:
			case l != "":
				w.reads = append(w.reads, itemRead{list: l, field: f, plain: plain, test: test})
			case use:
				w.uses = append(w.uses, root)
			}
		}
	}
}

// itemKeysOf returns the leaf paths of the items of the list at path in
// a values document, each with its line, item by item.
func itemKeysOf(doc *yaml.Node, path string) (items [][]valuesPath) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	for _, it := range n.Content {
		var ps []valuesPath
		leafPaths(it, nil, &ps)
		items = append(items, ps)
	}
	return items
}

// itemKnown reports whether a key of an item of list is read by a range
// over it, or set in values.yaml's items.
func (m *chartModel) itemKnown(list string, key []string) bool {
	if m.itemBase[list+"|"+strings.Join(key, ".")] {
		return true
	}
	for _, r := range m.items[list] {
		if len(r) <= len(key) && equalPrefix(r, key) || len(r) > len(key) && equalPrefix(key, r) {
			return true
		}
	}
	return false
}

// loadItems completes m with the item reads of a chart's templates:
// lists used whole anywhere are left out, values.yaml's item keys
// declared, and the fields printed without a test or default noted.
func (m *chartModel) loadItems(reads []itemRead, uses []string, base *yaml.Node) {
	tested := map[string]bool{}
	for _, r := range reads {
		if r.test {
			tested[r.list+"|"+strings.Join(r.field, ".")] = true
		}
	}
	for _, r := range reads {
		l := r.list
		if slices.ContainsFunc(uses, func(u string) bool { return u == "" || l == u || strings.HasPrefix(l, u+".") }) {
			continue
		}
		if _, seen := m.items[l]; !seen && base != nil {
			for _, it := range itemKeysOf(base, l) {
				for _, p := range it {
					for i := 1; i <= len(p.Path); i++ {
						m.itemBase[l+"|"+strings.Join(p.Path[:i], ".")] = true
					}
				}
			}
		}
		m.items[l] = append(m.items[l], r.field)
		if f := strings.Join(r.field, "."); r.plain && f != "" && !underGuard(l+"|"+f, tested) {
			m.itemPrinted[l] = append(m.itemPrinted[l], f)
		}
	}
}

// unknownItems is FERRY080 for the items of the lists templates range
// over: one finding per list and file, naming the keys nothing reads and
// the printed keys items then lack (the two halves of one wrong shape).
func (m *chartModel) unknownItems(doc *yaml.Node, file, base string, envs []string) []Finding {
	var out []Finding
	for l := range m.items {
		var keys, lack []string
		line := 0
		for _, it := range itemKeysOf(doc, l) {
			for _, p := range it {
				if k := strings.Join(p.Path, "."); !m.itemKnown(l, p.Path) && !slices.Contains(keys, k) {
					line = cmp.Or(line, p.Line)
					keys = append(keys, k)
				}
			}
			for _, f := range m.itemPrinted[l] {
				if !slices.ContainsFunc(it, func(p valuesPath) bool { return strings.HasPrefix(strings.Join(p.Path, ".")+".", f+".") }) && !slices.Contains(lack, f) {
					lack = append(lack, f)
				}
			}
		}
		if len(keys) == 0 {
			continue
		}
		src := fmt.Sprintf("%s:%d", file, line)
		msg := fmt.Sprintf("%s sets %s in the items of %q, which %s's items lack and no template reads, so Helm ignores them", src, strings.Join(keys, ", "), l, base)
		if len(lack) > 0 {
			msg += " and prints the items' " + strings.Join(lack, ", ") + " empty"
		}
		out = append(out, Finding{
			Environments: envs, Key: l + "[]", File: file, Line: line,
			Locations: []Location{{Key: l + "[]", Source: src, File: file, Line: line}},
			Message:   msg + ": give the items the keys the template reads, or delete them.",
		})
	}
	return out
}
