package render

import (
	"fmt"

	"github.com/ferrydev/ferry/secret"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// IsSensitive reports whether a key's name marks its value as secret. It
// is secret.Name, kept for callers of the old API.
func IsSensitive(key string) bool { return secret.Name(key) }

// resolver resolves container environments against the rendered objects.
type resolver struct {
	objects   []manifest
	marked    []manifest // the marked twin of each object, by manifest.idx
	taint     *taint
	skipped   []string            // values left unmarked: a template compares them
	sources   map[string]Source   // values path → line
	templates map[string][]string // template path → its lines
	values    map[string]any      // the coalesced values
	warnings  *[]string
	keyRe     map[string]*regexp.Regexp // lineOf's pattern per key
	links     map[string]Entry          // service links of the pod being resolved
	// linksIn caches the service links a pod sees, per namespace.
	linksIn map[string]map[string]Entry
	text    map[string]string // a template's whole text, for mentions
	// secrets caches secret.Is by key and value from the second
	// container on: every container that takes a ConfigMap whole judges
	// each of its keys again, and a chart with one container (of 30,000
	// keys, say) would only pay for the cache.
	secrets    map[[2]string]bool
	containers int
}

// isSecret is secret.Is, once per key and value.
func (r *resolver) isSecret(key, value string) bool {
	if r.containers < 2 {
		return secret.Is(key, value)
	}
	kv := [2]string{key, value}
	is, ok := r.secrets[kv]
	if !ok {
		if r.secrets == nil {
			r.secrets = map[[2]string]bool{}
		}
		is = secret.Is(key, value)
		r.secrets[kv] = is
	}
	return is
}

func objKey(m manifest) string {
	return str(m.body, "kind") + "/" + str(m.body, "metadata", "name")
}

// find returns the object of kind and name that a pod in namespace ns
// reads: envFrom and valueFrom resolve within the pod's own namespace, so
// one rendered into another namespace is not it.
func (r *resolver) find(kind, name, ns string) (manifest, bool) {
	for _, m := range r.objects {
		if str(m.body, "kind") != kind || str(m.body, "metadata", "name") != name {
			continue
		}
		if m.ns != ns {
			continue
		}
		return m, true
	}
	return manifest{}, false
}

// twin returns obj's marked twin. Objects are paired by position: two
// objects of one kind and name (in two namespaces) are two objects.
func (r *resolver) twin(obj manifest) (manifest, bool) {
	if obj.idx < 0 || obj.idx >= len(r.marked) {
		return manifest{}, false
	}
	return r.marked[obj.idx], true
}

// linksFor returns the service links a pod in namespace ns sees.
func (r *resolver) linksFor(ns string) map[string]Entry {
	if l, ok := r.linksIn[ns]; ok {
		return l
	}
	if r.linksIn == nil {
		r.linksIn = map[string]map[string]Entry{}
	}
	l := serviceLinks(r.objects, ns)
	r.linksIn[ns] = l
	return l
}

// provenance tells where a rendered string came from. fieldPath locates
// the same string in the marked twin of obj.
func (r *resolver) provenance(obj manifest, get func(m manifest) (string, bool), key string) Source {
	tpl := obj.template
	if r.taint != nil {
		if twin, ok := r.twin(obj); ok {
			if s, ok := get(twin); ok {
				paths, exact := r.taint.trace(s)
				if exact {
					if src, ok := r.sources[paths[0]]; ok {
						return src
					}
					// A chart default with no values line we know of
					// (a subchart's values, say).
					return Source{Kind: KindUnknown, Detail: ".Values." + paths[0]}
				}
				if len(paths) > 0 {
					var read []string
					sealed := false
					for _, p := range paths {
						if src, ok := r.sources[p]; ok {
							read = append(read, p+" ("+src.String()+")")
							sealed = sealed || src.Encrypted
						} else {
							read = append(read, p)
						}
					}
					return Source{Kind: KindTemplate, File: tpl, Line: r.lineOf(tpl, key), Detail: "computed from " + strings.Join(read, ", "), Encrypted: sealed}
				}
			}
		}
	}
	if r.taint == nil {
		// The tracing render failed: a template line would be a guess.
		return Source{Kind: KindUnknown, File: tpl, Detail: "the chart could not be traced"}
	}
	return r.untraced(tpl, obj, get, key)
}

var valuesRefRe = regexp.MustCompile(`\.Values\.([A-Za-z0-9_.]+)`)

// untraced locates a value that carries no marker: a template literal, or
// a bool, an empty string or a number (markers cannot stand in for
// those without changing which branches the templates take). The
// template line that names the key decides: when it (or the next two
// lines) reads exactly one .Values path whose value is the rendered one,
// that path's values line; when it reads values otherwise, unknown;
// when it reads none, the template line itself.
func (r *resolver) untraced(tpl string, obj manifest, get func(m manifest) (string, bool), key string) Source {
	line := r.lineOf(tpl, key)
	if line == 0 {
		// An env block from an included helper: the one template that
		// names the key.
		var hits []string
		for _, other := range sortedKeys(r.templates) {
			if other != tpl && r.lineOf(other, key) > 0 {
				hits = append(hits, other)
			}
		}
		if len(hits) == 1 {
			tpl, line = hits[0], r.lineOf(hits[0], key)
		}
	}
	rendered, _ := get(obj)
	lines := r.templates[tpl]
	if line == 0 {
		// A template that names the key on several lines (one per
		// branch of an if/else) chose one of them by values: which
		// line, and so whether a value decided it, is not known.
		// A template that reads the chart's files (.Files.Get) may have
		// taken the key from one, whose path the values may choose.
		if rendered == "" || boolOrNumber(rendered) || r.mentions(tpl, key) || r.readsFiles(tpl) {
			return Source{Kind: KindUnknown, File: tpl}
		}
		return Source{Kind: KindTemplate, File: tpl}
	}
	// The key's line and the lines indented under it (an env entry's
	// value: below its name:).
	text := lines[line-1] + "\n"
	first := lines[line-1]
	indent := len(first) - len(strings.TrimLeft(first, " -"))
	item := strings.HasPrefix(strings.TrimLeft(first, " "), "-")
	for i := line; i < min(line+3, len(lines)); i++ {
		l := lines[i]
		in := len(l) - len(strings.TrimLeft(l, " "))
		// A list item's fields sit at its own indentation; a map key's
		// value lines sit deeper.
		if in < indent || (!item && in == indent) || strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "-") || strings.Contains(l, "name:") {
			break
		}
		text += l + "\n"
	}
	refs := valuesRefRe.FindAllStringSubmatch(text, -1)
	var match []string
	for _, m := range refs {
		if v, ok := lookupPath(r.values, m[1]); ok && scalar(v) == rendered {
			match = append(match, m[1])
		}
	}
	if len(match) == 1 {
		if src, ok := r.sources[match[0]]; ok {
			return src
		}
		return Source{Kind: KindUnknown, File: tpl, Line: line, Detail: ".Values." + match[0]}
	}
	actions := strings.Join(actionRe.FindAllString(text, -1), " ")
	// A value that may have read an encrypted one is secret.
	sealed := false
	for _, m := range refs {
		sealed = sealed || r.sources[m[1]].Encrypted
	}
	if len(refs) > 0 && strings.Contains(actions, "default") {
		var read []string
		for _, m := range refs {
			read = append(read, ".Values."+m[1])
		}
		return Source{Kind: KindTemplate, File: tpl, Line: line, Detail: "default; reads " + strings.Join(read, ", "), Encrypted: sealed}
	}
	if len(refs) > 0 || strings.Contains(actions, "include") || strings.Contains(actions, "tpl ") || strings.Contains(actions, "$") {
		return Source{Kind: KindUnknown, File: tpl, Line: line, Encrypted: sealed}
	}
	if actions == "" && rendered != "" && !strings.Contains(text, rendered) {
		// A literal line that does not hold the value (the same key in
		// another document of the template) did not set it.
		return Source{Kind: KindUnknown, File: tpl}
	}
	return Source{Kind: KindTemplate, File: tpl, Line: line}
}

var actionRe = regexp.MustCompile(`\{\{.*?\}\}`)

func boolOrNumber(s string) bool {
	if s == "true" || s == "false" {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// lookupPath reads a dotted path of the coalesced values.
func lookupPath(vals map[string]any, p string) (any, bool) {
	var cur any = vals
	for more := true; more; {
		// Cut, not Split: unread looks up every key a values file sets.
		var part string
		part, p, more = strings.Cut(p, ".")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// valuesRead returns the values paths a rendered field was made from, and
// whether that could be told at all (the tracing render worked).
func (r *resolver) valuesRead(obj manifest, get func(m manifest) (string, bool)) ([]string, bool) {
	if r.taint == nil {
		return nil, false
	}
	twin, ok := r.twin(obj)
	if !ok {
		return nil, false
	}
	s, ok := get(twin)
	if !ok {
		return nil, false
	}
	paths, _ := r.taint.trace(s)
	return paths, true
}

// mentions is a cheap pre-check for lineOf: most templates do not name the
// key at all.
func (r *resolver) mentions(tpl, key string) bool {
	return strings.Contains(r.textOf(tpl), key)
}

// readsFiles reports a template that reads the chart's files.
func (r *resolver) readsFiles(tpl string) bool {
	return strings.Contains(r.textOf(tpl), ".Files.")
}

// textOf is template tpl's text, joined once.
func (r *resolver) textOf(tpl string) string {
	if r.text == nil {
		r.text = map[string]string{}
	}
	t, ok := r.text[tpl]
	if !ok {
		t = strings.Join(r.templates[tpl], "\n")
		r.text[tpl] = t
	}
	return t
}

// lineOf finds the template line that names key, when exactly one does;
// 0 otherwise (better no line than a wrong one).
func (r *resolver) lineOf(tpl, key string) int {
	lines, ok := r.templates[tpl]
	if !ok || key == "" {
		return 0
	}
	if !r.mentions(tpl, key) {
		return 0
	}
	re := r.keyRe[key]
	if re == nil {
		re = regexp.MustCompile(`(^|[\s"'-])` + regexp.QuoteMeta(key) + `["']?\s*:|name:\s*["']?` + regexp.QuoteMeta(key) + `["']?\s*$`)
		if r.keyRe == nil {
			r.keyRe = map[string]*regexp.Regexp{}
		}
		r.keyRe[key] = re
	}
	found := 0
	for i, line := range lines {
		if re.MatchString(line) {
			if found != 0 {
				return 0
			}
			found = i + 1
		}
	}
	return found
}

// containerEnv resolves one container's process environment, in
// Kubernetes order: envFrom sources in order, then env entries, a later
// definition winning.
func (r *resolver) containerEnv(obj manifest, podPath []string, field string, ci int, c map[string]any, reads map[string]bool) ([]Entry, []EnvFrom) {
	r.containers++
	// Room for the container's own env, the service links and a file
	// layer (see layer) after a large envFrom, which sizes the list.
	l := &envList{at: map[string]int{}, room: len(list(c["env"])) + len(r.links) + 64}
	for _, ef := range list(c["envFrom"]) {
		efm, _ := ef.(map[string]any)
		r.envFrom(l, obj, efm, reads)
	}
	for i, ev := range list(c["env"]) {
		evm, _ := ev.(map[string]any)
		at := envAddr{podPath: podPath, field: field, container: ci, entry: i}
		r.envVar(l, obj, at, evm, reads)
	}
	// Service links come last and never replace the container's own.
	for _, k := range sortedKeys(r.links) {
		if _, ok := l.at[k]; !ok {
			l.set(r.links[k])
		}
	}
	return l.entries(r.isSecret), l.unrendered
}

// envList is a container's environment as it is built: a later
// definition of a key shadows the earlier ones. Entries stay in the order
// first defined, in one slice that entries returns: a 30,000-key envFrom
// is not copied again.
type envList struct {
	list       []Entry
	at         map[string]int // key → index in list
	unrendered []EnvFrom      // envFrom sources the chart does not render
	room       int            // entries to leave room for after an envFrom's
}

// lookup returns the entry of key name, else the service link of that
// name: what a $(VAR) reference reads.
func (l *envList) lookup(links map[string]Entry) func(name string) (Entry, bool) {
	return func(name string) (Entry, bool) {
		if i, ok := l.at[name]; ok {
			return l.list[i], true
		}
		e, ok := links[name]
		return e, ok
	}
}

func (l *envList) set(e Entry) {
	if e.Source.Encrypted {
		e.Secret = true
	}
	if e.Source.CI {
		e.External, e.Value = true, ""
	}
	if i, ok := l.at[e.Key]; ok {
		old := l.list[i]
		e.Shadows = append([]Shadowed{{Value: old.Value, Source: old.Source, Secret: old.Secret}}, old.Shadows...)
		l.list[i] = e
		return
	}
	l.at[e.Key] = len(l.list)
	l.list = append(l.list, e)
}

// entries are the keys in the order first defined, each marked secret by
// its name or value where nothing marked it before.
func (l *envList) entries(isSecret func(key, value string) bool) []Entry {
	for i := range l.list {
		if e := &l.list[i]; !e.Secret && isSecret(e.Key, e.Value) {
			e.Secret = true
		}
	}
	return l.list
}

// envFrom adds every key of one envFrom source (a ConfigMap's or a
// Secret's), with its prefix.
func (r *resolver) envFrom(l *envList, obj manifest, efm map[string]any, reads map[string]bool) {
	kind, ref := "ConfigMap", "configMapRef"
	switch {
	case efm["configMapRef"] != nil:
	case efm["secretRef"] != nil:
		kind, ref = "Secret", "secretRef"
	default:
		return
	}
	name, prefix := str(efm, ref, "name"), str(efm, "prefix")
	reads[kind+"/"+name] = true
	src, ok := r.find(kind, name, obj.ns)
	if !ok {
		*r.warnings = append(*r.warnings, fmt.Sprintf("envFrom %s %q is not rendered by the chart: its keys are set at run time", kind, name))
		l.unrendered = append(l.unrendered, EnvFrom{Kind: kind, Name: name, Prefix: prefix, Optional: optional(efm, ref), Template: obj.template})
		return
	}
	isSecret := kind == "Secret"
	keys := src.keys()
	if len(l.list) == 0 {
		// Sized once: a large ConfigMap grew it key by key.
		l.at, l.list = make(map[string]int, len(keys)+l.room), make([]Entry, 0, len(keys)+l.room)
	}
	for _, k := range keys {
		v, _ := src.value(k)
		l.set(Entry{Key: prefix + k, Value: v, Secret: isSecret, FromSecret: isSecret, Source: r.provenance(src, dataKey(k), k)})
	}
}

// envAddr is where an env entry sits in a workload: its pod spec's path,
// the containers field, the container's and the entry's index.
type envAddr struct {
	podPath          []string
	field            string
	container, entry int
}

// envVar adds one env entry: a value (with $(VAR) references expanded),
// a key of a ConfigMap or Secret, or a field known only at run time.
func (r *resolver) envVar(l *envList, obj manifest, at envAddr, evm map[string]any, reads map[string]bool) {
	name := str(evm, "name")
	if name == "" {
		return
	}
	switch vf, _ := evm["valueFrom"].(map[string]any); {
	case vf == nil:
		r.envValue(l, obj, at, name, scalar(evm["value"]))
	case vf["secretKeyRef"] != nil:
		r.envKeyRef(l, obj, name, "Secret", "secretKeyRef", vf, reads)
	case vf["configMapKeyRef"] != nil:
		r.envKeyRef(l, obj, name, "ConfigMap", "configMapKeyRef", vf, reads)
	case vf["fieldRef"] != nil:
		l.set(Entry{Key: name, External: true, Source: Source{Kind: KindRuntime, File: obj.template, Detail: "fieldRef " + str(vf, "fieldRef", "fieldPath")}})
	case vf["resourceFieldRef"] != nil:
		l.set(Entry{Key: name, External: true, Source: Source{Kind: KindRuntime, File: obj.template, Detail: "resourceFieldRef " + str(vf, "resourceFieldRef", "resource")}})
	}
}

// envValue adds an env entry with a value, traced to where it was copied
// or computed from; $(VAR) references are expanded from the entries
// before it.
func (r *resolver) envValue(l *envList, obj manifest, at envAddr, name, raw string) {
	lookup := l.lookup(r.links)
	val, read, runtime := expand(raw, lookup)
	src := r.provenance(obj, func(m manifest) (string, bool) {
		e := envAt(m.body, at.podPath, at.field, at.container, at.entry)
		if e == nil {
			return "", false
		}
		return scalar(e["value"]), true
	}, name)
	if len(read) > 0 {
		src = expandedSource(src, read, lookup)
	}
	if runtime {
		l.set(Entry{Key: name, External: true, Source: Source{Kind: KindRuntime, File: obj.template, Line: src.Line, Detail: "expands " + strings.Join(read, ", ") + " at run time"}})
		return
	}
	// A $(VAR) copy of a secret is as secret as what it copies.
	l.set(Entry{Key: name, Value: val, Source: src, Secret: slices.ContainsFunc(read, func(k string) bool {
		i, ok := l.at[k] // a service link is never secret
		return ok && l.list[i].Secret
	})})
}

// envKeyRef adds an env entry read from one key of a ConfigMap or Secret
// (kind; ref is the valueFrom field naming it): its value when the chart
// renders the object, else missing (the object lacks the key) or
// external (the chart does not render it).
func (r *resolver) envKeyRef(l *envList, obj manifest, name, kind, ref string, vf map[string]any, reads map[string]bool) {
	oname, key := str(vf, ref, "name"), str(vf, ref, "key")
	reads[kind+"/"+oname] = true
	detail := kind + " " + oname + "/" + key
	isSecret := kind == "Secret"
	src, ok := r.find(kind, oname, obj.ns)
	switch {
	case !ok:
		l.set(Entry{Key: name, Secret: isSecret, FromSecret: isSecret, External: true, Source: Source{Kind: KindExternal, File: obj.template, Detail: detail}})
	case hasKey(src, key):
		v, _ := src.value(key)
		l.set(Entry{Key: name, Value: v, Secret: isSecret, FromSecret: isSecret, Source: r.provenance(src, dataKey(key), key)})
	case optional(vf, ref):
		// Kubernetes leaves it unset, or keeps an earlier definition.
	default:
		l.set(Entry{Key: name, Secret: isSecret, FromSecret: isSecret, External: true, Missing: true, Source: Source{Kind: KindMissing, File: src.template, Detail: detail}})
	}
}

func hasKey(m manifest, k string) bool {
	_, ok := m.value(k)
	return ok
}

// dataKey reads key of a ConfigMap's or Secret's data, in the object or
// its marked twin.
func dataKey(key string) func(m manifest) (string, bool) {
	return func(m manifest) (string, bool) { return m.value(key) }
}

// expand applies the kubelet's $(VAR) expansion (its
// third_party/forked/golang/expansion): $$ is a literal $, $(NAME) is the
// value of NAME defined earlier in the container (any name envFrom can
// bring, dots and dashes included) or of a service link, and an unknown
// or unterminated reference stays as written. It returns the names read
// and whether one of them is known only at run time.
func expand(s string, lookup func(name string) (Entry, bool)) (out string, read []string, runtime bool) {
	if !strings.Contains(s, "$") {
		return s, nil, false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String(), read, runtime
			}
			name := s[i+2 : i+2+end]
			e, ok := lookup(name)
			if ok && name != "" {
				read = append(read, name)
				if e.External {
					runtime = true
				}
				b.WriteString(e.Value)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), read, runtime
}

// expandedSource says what a $(VAR) reference read: the value is computed
// by the kubelet from the variables it names.
func expandedSource(src Source, read []string, lookup func(name string) (Entry, bool)) Source {
	var parts []string
	for _, n := range read {
		e, _ := lookup(n)
		parts = append(parts, n+" ("+e.Source.String()+")")
		src.Encrypted = src.Encrypted || e.Source.Encrypted
	}
	if src.Kind != KindTemplate {
		src.Kind, src.Line = KindTemplate, 0
	}
	src.Detail = "expands " + strings.Join(parts, ", ")
	return src
}

// optional reads a key reference's optional: true.
func optional(vf map[string]any, ref string) bool {
	o, _ := dig(vf, ref)["optional"].(bool)
	return o
}

// envAt returns env entry idx of container ci in the pod spec at podPath.
func envAt(body map[string]any, podPath []string, field string, ci, idx int) map[string]any {
	spec := dig(body, podPath...)
	cs := list(spec[field])
	if ci >= len(cs) {
		return nil
	}
	c, _ := cs[ci].(map[string]any)
	env := list(c["env"])
	if idx >= len(env) {
		return nil
	}
	e, _ := env[idx].(map[string]any)
	return e
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		m = next
	}
	return m
}

func str(m map[string]any, path ...string) string {
	if len(path) == 0 {
		return ""
	}
	return scalar(dig(m, path[:len(path)-1]...)[path[len(path)-1]])
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func toInt(v any, def int) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int:
		return x
	case int64:
		return int(x)
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return n
		}
	}
	return def
}
