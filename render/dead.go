package render

import (
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template/parse"

	"github.com/gobwas/glob"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// Values that never arrive: keys an environment's values files set that
// no template reads, and references to ConfigMaps and Secrets that
// nothing provides. Both are invisible in the rendered configuration:
// the first changes nothing, the second leaves the pod waiting.

// valuesReads is what the chart's templates read of .Values, as values
// paths from the top chart (a subchart's .Values.x is <subchart>.x). A
// segment "*" stands for any key: what a range's element reads
// (range $name, $svc := .Values.services … $svc.replicas is
// services.*.replicas), so a key beside the ones read under a ranged map
// is still unread.
type valuesReads struct {
	// paths are read with everything under them (printed, handed to a
	// function, toYaml'd); nodes only as themselves (an if's test, a
	// range's or with's subject).
	paths, nodes map[string]bool
	wild         []wildRead // the reads of either with "*" segments
	// whole is set when a template reads .Values as a whole (toYaml
	// .Values, a variable bound to it): then no key can be called unread.
	whole bool
}

var valuesRefAll = regexp.MustCompile(`\.Values((?:\.[A-Za-z0-9_-]+)*)`)

// chartReads collects the .Values paths every template of c and of its
// subcharts reads, and the conditions and tags of its dependencies.
// global counts as read only where there are subcharts, to which Helm
// hands it whole: a chart without any reads of global what its
// templates name.
func chartReads(c *chart.Chart) *valuesReads {
	vr := &valuesReads{paths: map[string]bool{}, nodes: map[string]bool{}}
	if len(c.Dependencies()) > 0 {
		vr.paths["global"] = true
	}
	w := &readWalker{vr: vr, defines: map[string]*parse.Tree{}, prefixes: map[string]string{}, seen: map[string]bool{}, charts: map[string]*chart.Chart{}}
	var files []tplFile
	w.parseAll(c, "", &files)
	for _, f := range files {
		if f.tree == nil {
			vr.whole = true // Helm fails on it too: judge no key by it
			continue
		}
		// NOTES.txt counts: Helm renders it (a required there fails
		// the install).
		w.list(f.tree.Root, rootScope(f.prefix), 0)
	}
	// A define no constant include reached (a name made by printf, or
	// one nothing includes) reads as from its own chart's top.
	var unreached []string
	for name := range w.defines {
		if !w.seen[name] {
			unreached = append(unreached, name)
		}
	}
	for _, name := range unreached {
		w.list(w.defines[name].Root, rootScope(w.prefixes[name]), 1)
	}
	vr.indexWild()
	return vr
}

// tplFile is one template of the chart tree, parsed (tree nil when it
// does not parse).
type tplFile struct {
	prefix string
	tree   *parse.Tree
}

// parseAll parses the templates of c and its subcharts (prefix is the
// values path of c) and collects every define: Helm shares them across
// the chart tree, the last one loaded winning.
func (w *readWalker) parseAll(c *chart.Chart, prefix string, files *[]tplFile) {
	join := func(p string) string {
		if prefix == "" || p == "" {
			return prefix + p
		}
		return prefix + "." + p
	}
	w.charts[prefix] = c
	for _, t := range c.Templates {
		if t == nil {
			continue
		}
		f := tplFile{prefix: prefix}
		pt := parse.New(t.Name)
		pt.Mode = parse.SkipFuncCheck
		set := map[string]*parse.Tree{}
		if tree, err := pt.Parse(string(t.Data), "", "", set); err == nil {
			f.tree = tree
			for name, d := range set {
				if name != t.Name && d.Root != nil {
					w.defines[name] = d
					w.prefixes[name] = prefix
				}
			}
		}
		*files = append(*files, f)
	}
	aliases := map[string]string{}
	if c.Metadata != nil {
		for _, d := range c.Metadata.Dependencies {
			for _, cond := range strings.Split(d.Condition, ",") {
				if cond = strings.TrimSpace(cond); cond != "" {
					w.vr.paths[join(cond)] = true
				}
			}
			for _, tag := range d.Tags {
				w.vr.paths[join("tags."+tag)] = true
			}
			if d.Alias != "" {
				aliases[d.Name] = d.Alias
			}
		}
	}
	for _, sub := range c.Dependencies() {
		name := sub.Name()
		if a, ok := aliases[name]; ok {
			name = a
		}
		w.parseAll(sub, join(name), files)
	}
}

// read reports whether a template reads p, a part of it or something
// under it.
func (vr *valuesReads) read(p string) bool {
	if vr.paths[p] || vr.nodes[p] {
		return true
	}
	for q := p; ; {
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
		if vr.paths[q] {
			return true
		}
	}
	dot, brk := p+".", p+"["
	for _, set := range []map[string]bool{vr.paths, vr.nodes} {
		for r := range set {
			if strings.HasPrefix(r, dot) || strings.HasPrefix(r, brk) {
				return true
			}
		}
	}
	if len(vr.wild) == 0 {
		return false
	}
	seg := strings.Split(p, ".")
	for _, w := range vr.wild {
		if wildMatch(w.seg, seg, w.whole) {
			return true
		}
	}
	return false
}

// wildRead is a read with "*" segments, split.
type wildRead struct {
	seg   []string
	whole bool
}

// indexWild lists the reads with "*" segments, for read.
func (vr *valuesReads) indexWild() {
	for i, set := range []map[string]bool{vr.paths, vr.nodes} {
		for r := range set {
			if strings.Contains(r, "*") {
				vr.wild = append(vr.wild, wildRead{strings.Split(r, "."), i == 0})
			}
		}
	}
}

// wildMatch matches a read with "*" segments against the segments of a
// values path: the path is read when it is the read (or under it, for a
// read whole), or when the read is under the path.
func wildMatch(r, p []string, whole bool) bool {
	n := min(len(r), len(p))
	for i := range n {
		if r[i] != "*" && r[i] != p[i] {
			return false
		}
	}
	return len(r) >= len(p) || whole
}

// aval is what a template value holds, as far as reads of .Values go:
// "$"+prefix for a chart's top context (prefix is its values path),
// "."+path for a values path ("." for .Values whole), "{"+n for the
// n-th dict of constant keys built in the template (readWalker.dicts),
// "" for anything else (a string, a function's result).
type aval string

func (v aval) isPath() bool { return len(v) > 0 && v[0] == '.' }

// child is the values path k under path v.
func (v aval) child(k string) aval {
	if v == "." {
		return v + aval(k)
	}
	return v + "." + aval(k)
}

// scope is what dot and the variables hold where a node runs; prefix is
// the values path of the chart whose template runs, for a .Values on
// something unknown.
type scope struct {
	dot    aval
	vars   map[string]aval
	prefix string
	own    bool // vars is this block's own copy
}

func rootScope(prefix string) scope {
	root := aval("$" + prefix)
	return scope{dot: root, vars: map[string]aval{"$": root}, prefix: prefix, own: true}
}

// in returns the scope of a block in s whose dot is dot: its variables
// end with it, so it copies them before it sets one (see set).
func (s scope) in(dot aval) scope {
	return scope{dot: dot, vars: s.vars, prefix: s.prefix}
}

func (s *scope) set(name string, v aval) {
	if !s.own {
		s.vars, s.own = maps.Clone(s.vars), true
	}
	s.vars[name] = v
}

// readWalker follows what dot and variables hold through a template's
// actions, ranges, withs and includes (text/template/parse, which Helm
// links anyway), recording the values paths read.
type readWalker struct {
	vr       *valuesReads
	defines  map[string]*parse.Tree
	prefixes map[string]string // the values path of the chart defining each define
	seen     map[string]bool   // define and argument already walked
	// dicts are what dict "k" v … holds, each made once by its content
	// (dictIDs), so that a define handed the same dict twice is walked
	// once.
	dicts   []map[string]aval
	dictIDs map[string]aval
	// charts are the charts of the tree by values path, whose files a
	// template hands to tpl.
	charts map[string]*chart.Chart
}

// dict models dict "k1" v1 "k2" v2 … whose keys are constants: a define
// handed (dict "Values" .Values) reads what it reads of them, not all
// of .Values. ok is false for any other dict, which is used whole.
func (w *readWalker) dict(c *parse.CommandNode, args []aval) (aval, bool) {
	if len(args) != len(c.Args) || len(args)%2 == 0 {
		return "", false // a value piped in, or a key without a value
	}
	m := map[string]aval{}
	for i := 1; i < len(args); i += 2 {
		k, ok := c.Args[i].(*parse.StringNode)
		if !ok {
			return "", false
		}
		m[k.Text] = args[i+1]
	}
	var content strings.Builder
	for _, k := range sortedKeys(m) {
		content.WriteString(k + "\x00" + string(m[k]) + "\x01")
	}
	id, ok := w.dictIDs[content.String()]
	if !ok {
		if w.dictIDs == nil {
			w.dictIDs = map[string]aval{}
		}
		id = aval("{" + strconv.Itoa(len(w.dicts)))
		w.dicts = append(w.dicts, m)
		w.dictIDs[content.String()] = id
	}
	return id, true
}

// members are what dict v holds; nil when v is not a dict.
func (w *readWalker) members(v aval) map[string]aval {
	if len(v) < 2 || v[0] != '{' {
		return nil
	}
	n, _ := strconv.Atoi(string(v[1:]))
	return w.dicts[n]
}

// child is key k under v, a values path or a dict; "" when v is
// neither or the dict has no k.
func (w *readWalker) child(v aval, k string) aval {
	if m := w.members(v); m != nil {
		return m[k]
	}
	if v.isPath() {
		return v.child(k)
	}
	return ""
}

// maxIncludeDepth bounds includes within includes (a recursive define).
const maxIncludeDepth = 24

// use records v as read with everything under it; test only as itself
// (an if's test, a range's subject).
func (w *readWalker) use(v aval)  { w.record(v, true) }
func (w *readWalker) test(v aval) { w.record(v, false) }

func (w *readWalker) record(v aval, whole bool) {
	for _, m := range w.members(v) {
		w.record(m, whole) // a dict handed on or printed: what it holds
	}
	switch {
	case v == ".":
		w.vr.whole = w.vr.whole || whole
	case !v.isPath():
	case whole:
		w.vr.paths[string(v[1:])] = true
	default:
		w.vr.nodes[string(v[1:])] = true
	}
}

// field follows .a.b from v. A .Values on something unknown (the
// context a dict hands a define: .context.Values.x) is taken as the
// running chart's.
func (w *readWalker) field(v aval, idents []string, s scope) aval {
	for _, id := range idents {
		switch {
		case w.members(v) != nil:
			v = w.child(v, id)
		case v.isPath():
			v = v.child(id)
		case id != "Values" && v != "":
			return "" // .Release, .Chart
		case id != "Values":
		case v == "":
			v = aval("." + s.prefix)
		default: // a chart's top
			v = "." + v[1:]
		}
	}
	return v
}

// arg evaluates one argument of a command.
func (w *readWalker) arg(n parse.Node, s scope, depth int) aval {
	switch n := n.(type) {
	case *parse.DotNode:
		return s.dot
	case *parse.FieldNode:
		return w.field(s.dot, n.Ident, s)
	case *parse.VariableNode:
		return w.field(s.vars[n.Ident[0]], n.Ident[1:], s)
	case *parse.ChainNode:
		return w.field(w.arg(n.Node, s, depth), n.Field, s)
	case *parse.PipeNode:
		return w.pipe(n, s, false, depth)
	}
	return ""
}

// testFuncs look at their arguments without handing them on.
var testFuncs = map[string]bool{"not": true, "empty": true, "eq": true, "ne": true, "hasKey": true, "kindIs": true}

// pipe evaluates a pipeline and returns what it yields (not yet read:
// its user decides). test: an if's, with's or range's pipeline.
func (w *readWalker) pipe(p *parse.PipeNode, s scope, test bool, depth int) aval {
	var v aval
	for i, c := range p.Cmds {
		args := make([]aval, len(c.Args))
		for j, a := range c.Args {
			args[j] = w.arg(a, s, depth)
		}
		if i > 0 {
			args = append(args, v) // the value piped in comes last
		}
		v = w.cmd(c, args, s, test, depth)
	}
	return v
}

// cmd evaluates one command whose arguments hold args.
func (w *readWalker) cmd(c *parse.CommandNode, args []aval, s scope, test bool, depth int) aval {
	id, isFunc := c.Args[0].(*parse.IdentifierNode)
	switch {
	case !isFunc:
		if len(args) == 1 {
			return args[0]
		}
	case (id.Ident == "index" || id.Ident == "get") && len(c.Args) > 2 && (args[1].isPath() || w.members(args[1]) != nil):
		v := args[1]
		for _, a := range c.Args[2:] {
			switch k := a.(type) {
			case *parse.StringNode:
				v = w.child(v, k.Text)
			case *parse.NumberNode:
				v = w.child(v, "*")
				if !v.isPath() {
					v = ""
				}
			default:
				v = ""
			}
		}
		if v != "" && len(args) == len(c.Args) {
			return v
		}
	case id.Ident == "dict":
		if v, ok := w.dict(c, args); ok {
			return v
		}
	case id.Ident == "include" && len(c.Args) > 1:
		if name, ok := c.Args[1].(*parse.StringNode); ok {
			w.include(name.Text, args[len(args)-1], s, depth)
			return ""
		}
	case id.Ident == "tpl" && len(c.Args) == 3:
		w.tplFiles(c.Args[1], args[2], s, depth)
	case testFuncs[id.Ident] || (test && (id.Ident == "and" || id.Ident == "or")):
		for _, a := range args[1:] {
			w.test(a)
		}
		return ""
	}
	for _, a := range args {
		w.use(a)
	}
	return ""
}

// tplFiles walks, as templates run with dot ctx, the chart's files that
// text (tpl's first argument) reads with .Files.Get or .Files.Glob: a
// config file in the chart that names .Values reads them when rendered
// by tpl. A name that is no constant (ranging over a Glob) stands for
// every file the chart's templates glob. A file only read, not handed
// to tpl, is data: its .Values are text.
func (w *readWalker) tplFiles(text parse.Node, ctx aval, s scope, depth int) {
	c := w.charts[s.prefix]
	if c == nil || depth > maxIncludeDepth {
		return
	}
	pats, dynamic := filePatterns(text)
	if dynamic {
		pats = append(pats, chartGlobs(c)...)
	}
	for _, f := range c.Files {
		if f == nil || !slices.ContainsFunc(pats, func(p string) bool { return p == f.Name || globMatch(p, f.Name) }) {
			continue
		}
		key := "tpl\x00" + s.prefix + "\x00" + f.Name + "\x00" + string(ctx)
		if w.seen[key] {
			continue
		}
		w.seen[key] = true
		pt := parse.New(f.Name)
		pt.Mode = parse.SkipFuncCheck
		tree, err := pt.Parse(string(f.Data), "", "", map[string]*parse.Tree{})
		if err != nil {
			w.vr.whole = true // tpl fails on it too: judge no key by it
			continue
		}
		w.list(tree.Root, scope{dot: ctx, vars: map[string]aval{"$": ctx}, prefix: s.prefix, own: true}, depth+1)
	}
}

// filePatterns are the names and Glob patterns text passes to
// .Files.Get and .Files.Glob; dynamic when one is not a constant.
func filePatterns(n parse.Node) (pats []string, dynamic bool) {
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.PipeNode:
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.CommandNode:
			if len(n.Args) > 1 && filesCall(n.Args[0]) {
				if str, ok := n.Args[1].(*parse.StringNode); ok {
					pats = append(pats, str.Text)
				} else {
					dynamic = true
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		}
	}
	walk(n)
	return pats, dynamic
}

// filesCall reports whether n names .Files.Get or .Files.Glob (on dot,
// $ or a variable).
func filesCall(n parse.Node) bool {
	var idents []string
	switch n := n.(type) {
	case *parse.FieldNode:
		idents = n.Ident
	case *parse.VariableNode:
		idents = n.Ident[1:]
	case *parse.ChainNode:
		idents = n.Field
	}
	k := len(idents)
	return k >= 2 && idents[k-2] == "Files" && (idents[k-1] == "Get" || idents[k-1] == "Glob")
}

var filesGlobRe = regexp.MustCompile(`Files\.Glob\s+"([^"]+)"`)

// chartGlobs are the patterns c's templates pass to .Files.Glob.
func chartGlobs(c *chart.Chart) []string {
	var out []string
	for _, t := range c.Templates {
		for _, m := range filesGlobRe.FindAllSubmatch(t.Data, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out
}

// globMatch matches name as Helm's .Files.Glob does.
func globMatch(pattern, name string) bool {
	g, err := glob.Compile(pattern, '/')
	return err == nil && g.Match(name)
}

// include walks define name with dot arg, once per argument.
func (w *readWalker) include(name string, arg aval, s scope, depth int) {
	t := w.defines[name]
	if t == nil || depth > maxIncludeDepth {
		w.use(arg)
		return
	}
	key := name + "\x00" + string(arg)
	if w.seen[key] {
		return
	}
	w.seen[key], w.seen[name] = true, true
	w.list(t.Root, scope{dot: arg, vars: map[string]aval{"$": arg}, prefix: s.prefix, own: true}, depth+1)
}

// list walks the nodes of a template body.
func (w *readWalker) list(l *parse.ListNode, s scope, depth int) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		var p *parse.PipeNode
		var body, elseBody *parse.ListNode
		switch n := n.(type) {
		case *parse.ActionNode:
			v := w.pipe(n.Pipe, s, false, depth)
			if len(n.Pipe.Decl) == 0 {
				w.use(v)
			}
			for _, d := range n.Pipe.Decl {
				s.set(d.Ident[0], v)
			}
			continue
		case *parse.TemplateNode:
			var v aval
			if n.Pipe != nil {
				v = w.pipe(n.Pipe, s, false, depth)
			}
			w.include(n.Name, v, s, depth)
			continue
		case *parse.ListNode:
			w.list(n, s, depth)
			continue
		case *parse.IfNode:
			p, body, elseBody = n.Pipe, n.List, n.ElseList
		case *parse.WithNode:
			p, body, elseBody = n.Pipe, n.List, n.ElseList
		case *parse.RangeNode:
			p, body, elseBody = n.Pipe, n.List, n.ElseList
		default:
			continue
		}
		v := w.pipe(p, s, true, depth)
		w.test(v)
		inner := s.in(s.dot)
		switch n.(type) {
		case *parse.WithNode:
			inner.dot = v
		case *parse.RangeNode:
			if w.members(v) != nil {
				w.use(v) // ranging over a dict hands on what it holds
			}
			if v.isPath() {
				v = v.child("*")
				w.test(v) // ranging reads each key
			} else {
				v = ""
			}
			inner.dot = v
			if len(p.Decl) == 2 {
				inner.set(p.Decl[0].Ident[0], "") // the key or index
			}
		}
		if len(p.Decl) > 0 {
			inner.set(p.Decl[len(p.Decl)-1].Ident[0], v)
		}
		w.list(body, inner, depth)
		w.list(elseBody, s.in(s.dot), depth)
	}
}

// unread lists the keys of files (an environment's values files, the
// deploy command's --set) that no template reads, each as high up as
// nothing under it is read. Values that hold a template (for tpl) count
// as templates.
func unread(vr *valuesReads, sources map[string]Source, values map[string]any, files []string) []Unread {
	if vr == nil || vr.whole {
		return nil
	}
	reads := vr
	if extra := tplReads(values); len(extra) > 0 {
		reads = &valuesReads{paths: maps.Clone(vr.paths), nodes: vr.nodes, wild: vr.wild}
		for _, p := range extra {
			reads.paths[p] = true
		}
	}
	top := map[string]bool{}
	for p, src := range sources {
		if strings.Contains(p, "[") || (src.Kind != KindValues && src.Kind != KindCI) {
			continue
		}
		if src.Kind == KindValues && !slices.Contains(files, src.File) {
			continue
		}
		if v, ok := lookupPath(values, p); ok {
			if _, isMap := v.(map[string]any); isMap || emptyValue(v) {
				continue // its leaves speak for it; an empty value holds nothing to ignore
			}
		}
		if reads.read(p) {
			continue
		}
		// Climb while nothing under the parent is read either.
		for {
			i := strings.LastIndex(p, ".")
			if i < 0 {
				break
			}
			parent := p[:i]
			if _, ok := sources[parent]; !ok || reads.read(parent) {
				break
			}
			p = parent
		}
		top[p] = true
	}
	out := make([]Unread, 0, len(top))
	for p := range top {
		out = append(out, Unread{Path: p, Source: sources[p]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// UnreadValues lists the keys env's own values files (and deploy
// command) set that no template reads, for a Result that ValuesOnly made
// because the chart did not render: what the templates read of .Values
// is known whenever the chart loads, so these keys can still be judged.
// Nil when the chart does not load.
func (r *Renderer) UnreadValues(env string, res *Result) []Unread {
	if res == nil || r.load() != nil || r.reads == nil {
		return nil
	}
	e, err := r.p.Env(env)
	if err != nil {
		return nil
	}
	return unread(r.reads, res.ValueSources, res.Values, envFiles(r.p.Chart, e.Values))
}

// emptyValue reports whether v holds nothing: an empty list, "" or null
// (FERRY080 skips the same keys, so check and render agree).
func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// tplReads are the .Values paths named inside values that hold template
// text (rendered by tpl).
func tplReads(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			out = append(out, tplReads(c)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, tplReads(c)...)
		}
	case string:
		if strings.Contains(x, "{{") {
			for _, m := range valuesRefAll.FindAllStringSubmatch(x, -1) {
				out = append(out, strings.TrimPrefix(m[1], "."))
			}
		}
	}
	return out
}

// podReferences lists the ConfigMaps and Secrets a pod reads (envFrom,
// valueFrom, volumes) that the chart does not render in the pod's
// namespace. Optional references are left out: the pod starts without
// them.
func (r *resolver) podReferences(o manifest, pod map[string]any, label string) []Reference {
	var out []Reference
	add := func(kind, name, key string, opt bool) {
		if name == "" || opt {
			return
		}
		if _, ok := r.find(kind, name, o.ns); ok {
			return
		}
		out = append(out, Reference{Kind: kind, Name: name, Namespace: o.ns, Key: key, Workload: label, Template: o.template})
	}
	for _, field := range []string{"initContainers", "containers"} {
		for _, ci := range list(pod[field]) {
			cm, _ := ci.(map[string]any)
			for _, ef := range list(cm["envFrom"]) {
				efm, _ := ef.(map[string]any)
				if efm["configMapRef"] != nil {
					add("ConfigMap", str(efm, "configMapRef", "name"), "", optional(efm, "configMapRef"))
				}
				if efm["secretRef"] != nil {
					add("Secret", str(efm, "secretRef", "name"), "", optional(efm, "secretRef"))
				}
			}
			for _, ev := range list(cm["env"]) {
				evm, _ := ev.(map[string]any)
				vf, _ := evm["valueFrom"].(map[string]any)
				if vf["secretKeyRef"] != nil {
					add("Secret", str(vf, "secretKeyRef", "name"), str(vf, "secretKeyRef", "key"), optional(vf, "secretKeyRef"))
				}
				if vf["configMapKeyRef"] != nil {
					add("ConfigMap", str(vf, "configMapKeyRef", "name"), str(vf, "configMapKeyRef", "key"), optional(vf, "configMapKeyRef"))
				}
			}
		}
	}
	for _, v := range list(pod["volumes"]) {
		vm, _ := v.(map[string]any)
		if vm["secret"] != nil {
			add("Secret", str(vm, "secret", "secretName"), "", optional(vm, "secret"))
		}
		if vm["configMap"] != nil {
			add("ConfigMap", str(vm, "configMap", "name"), "", optional(vm, "configMap"))
		}
	}
	return out
}

// provided names the Secrets and ConfigMaps that objects the chart
// renders create at run time: an ExternalSecret's target, a SealedSecret,
// a cert-manager Certificate's secretName, a CSI SecretProviderClass's
// synced Secrets.
func provided(objs []manifest) map[string]string {
	out := map[string]string{}
	var by string
	add := func(kind, ns, name string) {
		if name != "" {
			out[kind+"/"+ns+"/"+name] = by
		}
	}
	for _, o := range objs {
		kind := str(o.body, "kind")
		by = kind + " " + str(o.body, "metadata", "name")
		switch kind {
		case "ExternalSecret", "ClusterExternalSecret":
			name := str(o.body, "spec", "target", "name")
			if name == "" {
				name = str(o.body, "metadata", "name")
			}
			add("Secret", o.ns, name)
		case "SealedSecret":
			name := str(o.body, "spec", "template", "metadata", "name")
			if name == "" {
				name = str(o.body, "metadata", "name")
			}
			add("Secret", o.ns, name)
		case "Certificate":
			add("Secret", o.ns, str(o.body, "spec", "secretName"))
		case "SecretProviderClass":
			for _, so := range list(dig(o.body, "spec")["secretObjects"]) {
				m, _ := so.(map[string]any)
				add("Secret", o.ns, str(m, "secretName"))
			}
		case "VaultStaticSecret", "VaultDynamicSecret", "OnePasswordItem", "InfisicalSecret", "AzureKeyVaultSecret":
			name := str(o.body, "spec", "destination", "name")
			if name == "" {
				name = str(o.body, "metadata", "name")
			}
			add("Secret", o.ns, name)
		}
	}
	return out
}

// envFiles are the files an environment's values come from, for unread.
func envFiles(chartDir string, values []string) []string {
	out := []string{path.Join(chartDir, "values.yaml")}
	for _, v := range values {
		out = append(out, path.Clean(v))
	}
	return out
}

// markProviders says, on each entry read from a Secret or ConfigMap the
// chart does not render, what makes it at run time (an ExternalSecret)
// or that nothing in the repository does.
func markProviders(ws []Workload, made map[string]string, missing []Reference) {
	none := map[string]bool{}
	for _, r := range missing {
		none[r.Kind+"/"+r.Namespace+"/"+r.Name] = true
	}
	for i := range ws {
		for j := range ws[i].Containers {
			c := &ws[i].Containers[j]
			for k := range c.env {
				src := &c.env[k].Source
				if src.Kind != KindExternal {
					continue
				}
				kind, rest, _ := strings.Cut(src.Detail, " ")
				name, _, _ := strings.Cut(rest, "/")
				id := kind + "/" + ws[i].Namespace + "/" + name
				switch {
				case made[id] != "":
					src.Provider = made[id]
				case none[id]:
					src.Provider = "-"
				}
			}
		}
	}
}
