package render

import (
	"path"
	"strings"
	"text/template/parse"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// checksumStandIn is what a marked render writes for a checksum of
// another rendered template: hex like a real one, and no number to
// YAML.
const checksumStandIn = "0fe44ed0" + "0fe44ed0" + "0fe44ed0" + "0fe44ed0" + "0fe44ed0" + "0fe44ed0" + "0fe44ed0" + "0fe44ed0"

// traceTemplates returns, for the templates of c and its subcharts that
// checksum another of their chart's rendered templates as a whole action
// (the restart-on-change annotation
// {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}),
// a copy whose action writes checksumStandIn instead, keyed by the
// original. Marked renders use the copies: the checksum carries no marker
// either way, so no provenance changes, and a chart whose values fill a
// large ConfigMap does not render it twice more. The included template is
// rendered on its own with the same values in the same render, so
// whatever it would fail on still fails there.
func traceTemplates(c *chart.Chart) map[*common.File]*common.File {
	out := map[*common.File]*common.File{}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		rendered := map[string]bool{}
		for _, t := range c.Templates {
			if t != nil && renders(t.Name) {
				rendered[t.Name] = true
			}
		}
		for _, t := range c.Templates {
			if t == nil || !renders(t.Name) {
				continue
			}
			if data, ok := withoutChecksums(t.Name, string(t.Data), rendered, func(string) string { return `"` + checksumStandIn + `"` }); ok {
				cp := *t
				cp.Data = []byte(data)
				out[t] = &cp
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(c)
	return out
}

// renders reports whether Helm renders template name (relative to its
// chart) on its own: partials and NOTES.txt only when included.
func renders(name string) bool {
	return !strings.HasPrefix(path.Base(name), "_") && !strings.HasSuffix(name, "NOTES.txt")
}

// withoutChecksums rewrites the checksum actions of one template (see
// traceTemplates) as with(the checksummed template's name under the
// chart's templates/, "/configmap.yaml") returns; ok is false when it
// has none, or does not parse (the render reports that).
func withoutChecksums(name, text string, rendered map[string]bool, with func(file string) string) (string, bool) {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	main, err := t.Parse(text, "", "", map[string]*parse.Tree{})
	if err != nil || main.Root == nil {
		return "", false
	}
	var spans [][2]int
	var files []string
	var visit func(l *parse.ListNode)
	visit = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.ActionNode:
				if file, ok := checksumOfRendered(n.Pipe, rendered); ok {
					if s, e, ok := actionSpan(text, int(n.Pos)); ok {
						spans = append(spans, [2]int{s, e})
						files = append(files, file)
					}
				}
			case *parse.IfNode:
				// if keeps dot; range and with change it, and a define
				// runs with whatever its caller passes.
				visit(n.List)
				visit(n.ElseList)
			}
		}
	}
	visit(main.Root)
	if len(spans) == 0 {
		return "", false
	}
	var b strings.Builder
	last := 0
	for i, sp := range spans {
		b.WriteString(text[last:sp[0]])
		b.WriteString(with(files[i]))
		last = sp[1]
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// checksumOfRendered reports whether p is
// include (print $.Template.BasePath "/x.yaml") . | sha256sum
// (or $ for the dot) for a template x.yaml the chart renders, and
// returns "/x.yaml".
func checksumOfRendered(p *parse.PipeNode, rendered map[string]bool) (string, bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 2 {
		return "", false
	}
	if last := p.Cmds[1].Args; len(last) != 1 || !isIdent(last[0], "sha256sum") {
		return "", false
	}
	inc := p.Cmds[0].Args
	if len(inc) != 3 || !isIdent(inc[0], "include") {
		return "", false
	}
	switch dot := inc[2].(type) {
	case *parse.DotNode:
	case *parse.VariableNode:
		if len(dot.Ident) != 1 || dot.Ident[0] != "$" {
			return "", false
		}
	default:
		return "", false
	}
	name, ok := inc[1].(*parse.PipeNode)
	if !ok || len(name.Decl) > 0 || len(name.Cmds) != 1 {
		return "", false
	}
	args := name.Cmds[0].Args
	if len(args) != 3 || !isIdent(args[0], "print") {
		return "", false
	}
	base, ok := args[1].(*parse.VariableNode)
	if !ok || strings.Join(base.Ident, ".") != "$.Template.BasePath" {
		return "", false
	}
	file, ok := args[2].(*parse.StringNode)
	if !ok || !strings.HasPrefix(file.Text, "/") {
		return "", false
	}
	tpl := "templates" + file.Text
	return file.Text, path.Clean(tpl) == tpl && rendered[tpl]
}

func isIdent(n parse.Node, name string) bool {
	id, ok := n.(*parse.IdentifierNode)
	return ok && id.Ident == name
}

// actionSpan is the span of the action whose pipeline starts at pos,
// without its delimiters and trim markers: from after "{{" (and "- ")
// to before (" -" and) "}}".
func actionSpan(text string, pos int) (start, end int, ok bool) {
	open := strings.LastIndex(text[:pos], "{{")
	if open < 0 || strings.Trim(text[open+2:pos], " \t\r\n-") != "" {
		return 0, 0, false
	}
	start = open + 2
	if start+1 < len(text) && text[start] == '-' && isTrimSpace(text[start+1]) {
		start += 2
	}
	// The pipeline's strings may hold "}}": skip them.
	for i := pos; i < len(text); i++ {
		switch text[i] {
		case '"', '\'':
			q := text[i]
			for i++; i < len(text) && text[i] != q; i++ {
				if text[i] == '\\' {
					i++
				}
			}
		case '`':
			j := strings.IndexByte(text[i+1:], '`')
			if j < 0 {
				return 0, 0, false
			}
			i += j + 1
		case '}':
			if strings.HasPrefix(text[i:], "}}") {
				end = i
				if end-2 >= start && text[end-1] == '-' && isTrimSpace(text[end-2]) {
					end -= 2
				}
				return start, end, end >= start
			}
		}
	}
	return 0, 0, false
}

// isTrimSpace reports the spaces text/template wants beside a trim
// marker.
func isTrimSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// withTraceTemplates returns a copy of c (a render's copyChart) and its
// subcharts whose templates are the trace copies where there are any.
func withTraceTemplates(c *chart.Chart, tpls map[*common.File]*common.File) *chart.Chart {
	if len(tpls) == 0 {
		return c
	}
	cp := *c
	cp.Templates = make([]*common.File, len(c.Templates))
	for i, t := range c.Templates {
		if r, ok := tpls[t]; ok {
			t = r
		}
		cp.Templates[i] = t
	}
	subs := make([]*chart.Chart, 0, len(c.Dependencies()))
	for _, d := range c.Dependencies() {
		subs = append(subs, withTraceTemplates(d, tpls))
	}
	cp.SetDependencies(subs...)
	return &cp
}
