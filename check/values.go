package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// Values rules: what a per-environment values file sets must mean
// something to the chart.

func init() {
	register(Rule{
		ID: "FERRY080", Name: "unknown-values-key", Severity: Warning,
		Summary: "A per-environment values path that the chart neither declares nor reads",
		Help: "Helm silently ignores a values path that no template reads, so a misspelt key in " +
			"values-<env>.yaml leaves the environment on the base value. A path counts as known when " +
			"values.yaml has it, when a .Values reference in the chart is a prefix of it (a map that " +
			"a template ranges over is read whole), or, where the chart ships values.schema.json, " +
			"when the schema describes it. The keys of a list's items count as known when a range over the " +
			"list reads them or values.yaml's items have them. Fix the key's spelling or delete it.",
		Check: checkUnknownValuesKey,
	}, Rule{
		ID: "FERRY081", Name: "duplicate-values-key", Severity: Warning,
		Summary: "A key repeated in one mapping of a values file",
		Help: "YAML keeps the last of two equal keys in one mapping without a word, so the first " +
			"line looks effective and is not. Delete one of them.",
		Check: checkDuplicateValuesKey,
	})
}

func checkDuplicateValuesKey(in *Input) []Finding {
	var out []Finding
	seen := map[string]int{}
	for _, e := range in.Envs {
		for _, d := range e.Result.Duplicates {
			id := fmt.Sprintf("%s:%d", d.File, d.Line)
			if i, ok := seen[id]; ok {
				out[i].Environments = append(out[i].Environments, e.Name)
				continue
			}
			seen[id] = len(out)
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: d.Path, File: d.File, Line: d.Line,
				Locations: []Location{
					{Key: d.Path, Source: fmt.Sprintf("%s:%d", d.File, d.FirstLine), File: d.File, Line: d.FirstLine},
					{Key: d.Path, Source: fmt.Sprintf("%s:%d", d.File, d.Line), File: d.File, Line: d.Line},
				},
				Message: fmt.Sprintf("%s is set at %s:%d and again at line %d of the same mapping; YAML keeps the last silently: delete one.",
					d.Path, d.File, d.FirstLine, d.Line),
			})
		}
	}
	return out
}

// valuesPath is one leaf path of a values file.
type valuesPath struct {
	Path []string
	Line int
	// Lines are the lines of the keys along Path: Lines[i] is where
	// Path[:i+1] is set.
	Lines []int
	// Anchor is set when the key holds a YAML anchor that the file
	// aliases elsewhere (dataPath: &data /data, read as *data): the key
	// exists to name the value, not for a template.
	Anchor bool
	// Empty is set when the key holds nothing: {}, [], "" or null. Helm
	// has nothing there to ignore, so no template needs to read it.
	Empty bool
}

// leafPaths lists the leaf paths of a YAML values document: scalars,
// sequences and empty maps.
func leafPaths(n *yaml.Node, prefix []string, out *[]valuesPath) {
	leafPathsAt(n, prefix, nil, out)
}

func leafPathsAt(n *yaml.Node, prefix []string, lines []int, out *[]valuesPath) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			leafPathsAt(c, prefix, lines, out)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := append(append([]string(nil), prefix...), k.Value)
		ls := append(append([]int(nil), lines...), k.Line)
		if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			leafPathsAt(v, p, ls, out)
			continue
		}
		*out = append(*out, valuesPath{Path: p, Line: k.Line, Lines: ls, Empty: emptyNode(v)})
	}
}

// emptyNode reports whether a values node holds nothing: an empty map or
// list, "" or null.
func emptyNode(v *yaml.Node) bool {
	switch v.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(v.Content) == 0
	case yaml.ScalarNode:
		return v.Tag == "!!null" || v.Tag == "!!str" && v.Value == ""
	}
	return false
}

func readValues(files *tree, path string) ([]valuesPath, error) {
	doc, err := parseValues(files, path)
	if err != nil {
		return nil, err
	}
	var out []valuesPath
	leafPaths(doc, nil, &out)
	if aliased := aliasedAnchors(doc, nil); len(aliased) > 0 {
		lines := anchorKeyLines(doc, aliased, nil)
		for i := range out {
			out[i].Anchor = lines[out[i].Line]
		}
	}
	if sopsFile(doc) { // sops: is the file's encryption metadata, not a value
		out = slices.DeleteFunc(out, func(p valuesPath) bool { return len(p.Path) > 0 && p.Path[0] == "sops" })
	}
	return out, nil
}

func parseValues(files *tree, path string) (*yaml.Node, error) {
	data, err := files.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// valuesDoc is the parsed values file at path, nil when it cannot be
// read.
func valuesDoc(files *tree, path string) *yaml.Node {
	doc, _ := parseValues(files, path)
	return doc
}

// aliasedAnchors collects the anchors a document's aliases name.
func aliasedAnchors(n *yaml.Node, into map[string]bool) map[string]bool {
	if n.Kind == yaml.AliasNode {
		if into == nil {
			into = map[string]bool{}
		}
		into[n.Value] = true
	}
	for _, c := range n.Content {
		into = aliasedAnchors(c, into)
	}
	return into
}

// anchorKeyLines are the lines of the mapping keys whose value carries
// one of the anchors.
func anchorKeyLines(n *yaml.Node, anchors map[string]bool, into map[int]bool) map[int]bool {
	if into == nil {
		into = map[int]bool{}
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; v.Anchor != "" && anchors[v.Anchor] {
				// A map anchored whole (defaults: &defaults, merged with
				// <<: *defaults) holds its keys for the aliases too.
				into[n.Content[i].Line] = true
				markKeyLines(v, into)
			}
		}
	}
	for _, c := range n.Content {
		anchorKeyLines(c, anchors, into)
	}
	return into
}

// markKeyLines marks the line of every mapping key under n.
func markKeyLines(n *yaml.Node, into map[int]bool) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			into[n.Content[i].Line] = true
		}
	}
	for _, c := range n.Content {
		markKeyLines(c, into)
	}
}

// sopsFile reports a values document with SOPS's metadata: a top-level
// sops: mapping holding its mac or version.
func sopsFile(doc *yaml.Node) bool {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return false
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "sops" || m.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		meta := m.Content[i+1]
		for j := 0; j+1 < len(meta.Content); j += 2 {
			if k := meta.Content[j].Value; k == "mac" || k == "version" || k == "lastmodified" {
				return true
			}
		}
	}
	return false
}

// chartModel is what FERRY080 knows about a chart.
type chartModel struct {
	base     map[string]bool // every path and path prefix of values.yaml
	open     map[string]bool // base paths that are empty maps or null: anything below is fine
	refs     [][]string      // .Values references in templates
	readsAll bool            // a template hands .Values on whole
	subchart map[string]bool // top-level keys that configure dependencies
	schema   map[string]any
	// items are the lists templates range over, each with the item
	// fields the ranges read (see listitems.go); itemBase the keys of
	// values.yaml's items ("list|key"), itemPrinted the fields printed
	// without a test or default.
	items       map[string][][]string
	itemBase    map[string]bool
	itemPrinted map[string][]string
}

var (
	valuesRef = lazyre.New(`(index\s+)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s+"[^"]*")*)`)
	quoted    = lazyre.New(`"([^"]*)"`)
	// tplFileRef is a chart file a template hands to tpl by name.
	tplFileRef = lazyre.New(`tpl\s*\(\s*\$?\.Files\.Get\s+"([^"]+)"\s*\)`)
)

func loadChart(files *tree, dir string) (*chartModel, error) {
	m := &chartModel{base: map[string]bool{}, open: map[string]bool{}, subchart: map[string]bool{"global": true},
		items: map[string][][]string{}, itemBase: map[string]bool{}, itemPrinted: map[string][]string{}}
	var uses []string
	var reads []itemRead
	itemsOK := true
	if ps, err := readValues(files, filepath.Join(dir, "values.yaml")); err == nil {
		for _, p := range ps {
			for i := 1; i <= len(p.Path); i++ {
				m.base[strings.Join(p.Path[:i], ".")] = true
			}
		}
		// Empty maps and nulls in values.yaml invite arbitrary content.
		data, _ := files.ReadFile(filepath.Join(dir, "values.yaml"))
		var v map[string]any
		if yaml.Unmarshal(data, &v) == nil {
			markOpen(v, nil, m.open)
		}
	}
	err := files.WalkDir(filepath.Join(dir, "templates"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		ranges := bytes.Contains(data, []byte("range"))
		if ranges {
			rs, u, ok := itemReads(path, string(data))
			itemsOK = itemsOK && ok
			uses, reads = append(uses, u...), append(reads, rs...)
		}
		// A chart file the template renders with tpl reads values too
		// (tpl (.Files.Get "config/app.yaml") .).
		for _, fm := range tplFileRef.Get().FindAllSubmatch(data, -1) {
			if more, err := files.ReadFile(filepath.Join(dir, filepath.FromSlash(string(fm[1])))); err == nil {
				data = append(append(data, '\n'), more...)
			}
		}
		for _, sm := range valuesRef.Get().FindAllSubmatch(data, -1) {
			var ref []string
			if len(sm[2]) > 0 {
				ref = strings.Split(strings.TrimPrefix(string(sm[2]), "."), ".")
			}
			if len(sm[1]) > 0 && len(sm[2]) == 0 {
				for _, q := range quoted.Get().FindAllSubmatch(sm[3], -1) {
					ref = append(ref, string(q[1]))
				}
			}
			if len(ref) == 0 {
				m.readsAll = true
			}
			if !ranges {
				uses = append(uses, strings.Join(ref, "."))
			}
			m.refs = append(m.refs, ref)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	entries, _ := files.ReadDir(filepath.Join(dir, "charts"))
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".tgz")
		if i := strings.LastIndex(name, "-"); i > 0 && !e.IsDir() {
			name = name[:i] // mysql-9.4.1.tgz
		}
		m.subchart[name] = true
	}
	if data, err := files.ReadFile(filepath.Join(dir, "Chart.yaml")); err == nil {
		chartDeps(data, m.subchart)
	}
	if data, err := files.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		_ = json.Unmarshal(data, &m.schema)
	}
	// A template that does not parse, or reads .Values whole, may read
	// any item key; a schema says itself what items hold.
	if itemsOK && !m.readsAll && m.schema == nil && len(reads) > 0 {
		m.loadItems(reads, uses, valuesDoc(files, filepath.Join(dir, "values.yaml")))
	}
	return m, nil
}

func markOpen(v any, prefix []string, open map[string]bool) {
	switch v := v.(type) {
	case nil:
		open[strings.Join(prefix, ".")] = true
	case map[string]any:
		if len(v) == 0 {
			open[strings.Join(prefix, ".")] = true
		}
		for k, c := range v {
			markOpen(c, append(append([]string(nil), prefix...), k), open)
		}
	}
}

// known reports whether the chart declares or reads path.
func (m *chartModel) known(path []string) bool {
	if m.schema != nil {
		return schemaDescribes(m.schema, path)
	}
	if m.readsAll || m.subchart[path[0]] || m.base[strings.Join(path, ".")] {
		return true
	}
	for i := 1; i < len(path); i++ {
		if m.open[strings.Join(path[:i], ".")] {
			return true
		}
	}
	for _, r := range m.refs {
		if len(r) <= len(path) && equalPrefix(r, path) {
			return true
		}
		if len(r) > len(path) && equalPrefix(path, r) {
			return true
		}
	}
	return false
}

func equalPrefix(prefix, path []string) bool {
	for i := range prefix {
		if prefix[i] != path[i] {
			return false
		}
	}
	return true
}

// schemaDescribes walks a JSON schema's properties along path. An object
// that allows additional properties (the JSON Schema default) describes
// anything below it.
func schemaDescribes(s map[string]any, path []string) bool {
	for _, seg := range path {
		props, _ := s["properties"].(map[string]any)
		if next, ok := props[seg].(map[string]any); ok {
			s = next
			continue
		}
		if pp, ok := s["patternProperties"].(map[string]any); ok {
			matched := false
			for pat, sub := range pp {
				if re, err := regexp.Compile(pat); err == nil && re.MatchString(seg) {
					s, _ = sub.(map[string]any)
					matched = true
					break
				}
			}
			if matched && s != nil {
				continue
			}
		}
		ap, has := s["additionalProperties"]
		if !has || ap == true {
			return true
		}
		if sub, ok := ap.(map[string]any); ok {
			s = sub
			continue
		}
		return false
	}
	return true
}

// checkUnknownValuesKey is FERRY080. FERRY081 asks for the same
// findings (see unknownValuesKeys); the rule's own copy keeps what the
// runner does to its findings from reaching them.
func checkUnknownValuesKey(in *Input) []Finding {
	shared := in.unknownValuesKeys()
	if shared == nil {
		return nil
	}
	out := make([]Finding, len(shared))
	for i, f := range shared {
		f.Environments = slices.Clone(f.Environments)
		f.Locations = slices.Clone(f.Locations)
		for j := range f.Locations {
			f.Locations[j].Environments = slices.Clone(f.Locations[j].Environments)
		}
		out[i] = f
	}
	return out
}

// unknownValuesKeys are FERRY080's findings, found once per Input:
// loading the chart's model and reading every values file again is the
// costlier half of the rule, and FERRY081 needs them as well.
func (in *Input) unknownValuesKeys() []Finding {
	in.unknownOnce.Do(func() { in.unknown = findUnknownValuesKeys(in) })
	return in.unknown
}

func findUnknownValuesKeys(in *Input) []Finding {
	if in.Project == nil || in.Project.Chart == "" {
		return nil
	}
	chartDir := filepath.Join(in.Project.Dir, in.Project.Chart)
	m, err := loadChart(in.files(), chartDir)
	if err != nil {
		return nil
	}
	base := filepath.Join(in.Project.Chart, "values.yaml")
	users := map[string][]string{}
	var files []string
	for _, e := range in.withFailed() {
		if e.Spec == nil {
			continue
		}
		for _, v := range e.Spec.Values {
			if filepath.Clean(v) == base {
				continue
			}
			files = addUser(users, files, v, e.Name)
		}
	}
	sort.Strings(files)
	var out []Finding
	leaves := map[string][]string{} // group → the leaf paths it stands for
	under := map[int]Location{}     // a single key's finding → the missing map above it
	for _, file := range files {
		ps, err := readValues(in.files(), filepath.Join(in.Project.Dir, file))
		if err != nil {
			continue // render reports unreadable values files
		}
		if len(m.items) > 0 {
			if doc := valuesDoc(in.files(), filepath.Join(in.Project.Dir, file)); doc != nil {
				out = append(out, m.unknownItems(doc, filepath.ToSlash(file), filepath.ToSlash(base), users[file])...)
			}
		}
		// Unknown leaves under one unknown map (backup.schedule,
		// backup.s3.bucket …) are one finding: the map is what Helm
		// ignores.
		// The group is the top-most map values.yaml lacks, even where a
		// template reads some other key below it (logCollector.image in
		// a helper): logCollector.enabled, .resources and .config are
		// one thing Helm ignores.
		groups := map[string][]valuesPath{}
		mapLine := map[string]int{} // group → the line of its map's key
		var order []string
		for _, p := range ps {
			if m.known(p.Path) || p.Anchor || p.Empty {
				continue
			}
			g := p.Path
			for i := 1; i < len(p.Path); i++ {
				if !m.known(p.Path[:i]) || !m.base[strings.Join(p.Path[:i], ".")] && !m.subchart[p.Path[0]] {
					g = p.Path[:i]
					break
				}
			}
			id := strings.Join(g, ".")
			if _, ok := groups[id]; !ok {
				order = append(order, id)
				if len(g) < len(p.Path) && len(p.Lines) == len(p.Path) {
					mapLine[id] = p.Lines[len(g)-1]
				}
			}
			groups[id] = append(groups[id], p)
		}
		// Single keys and unknown maps under one known map
		// (ingress.annotations.a, .b; elastic.url beside elastic.tags.*)
		// are one finding too.
		byParent := map[string][]string{}
		for _, id := range order {
			vp := groups[id][0]
			p := vp.Path // id is a head of it; keys may hold dots
			for k := len(p); k > 1; k-- {
				if strings.Join(p[:k], ".") == id {
					parent := strings.Join(p[:k-1], ".")
					byParent[parent] = append(byParent[parent], id)
					if _, ok := mapLine[parent]; !ok && len(vp.Lines) == len(p) {
						mapLine[parent] = vp.Lines[k-2] // the parent map's own key line
					}
					break
				}
			}
		}
		for parent, ids := range byParent {
			if len(ids) < 2 {
				continue
			}
			for _, id := range ids {
				groups[parent] = append(groups[parent], groups[id]...)
				delete(groups, id)
			}
			order = append(order, parent)
		}
		for _, id := range order {
			if _, ok := groups[id]; !ok {
				continue
			}
			g := groups[id]
			if len(g) > 1 {
				line, under := mapLine[id]
				if !under {
					line = g[0].Line
				}
				src := fmt.Sprintf("%s:%d", filepath.ToSlash(file), line)
				var keys []string
				for _, p := range g {
					keys = append(keys, strings.Join(p.Path, "."))
				}
				for _, k := range keys {
					if !slices.Contains(leaves[id], k) {
						leaves[id] = append(leaves[id], k)
					}
				}
				out = append(out, Finding{
					unread:       keys,
					Environments: users[file], Key: id, File: filepath.ToSlash(file), Line: line,
					Locations: []Location{{Key: id, Source: src, File: filepath.ToSlash(file), Line: line}},
					Message: fmt.Sprintf("%s sets %d keys under %q (%s), which %s lacks and no template reads, so Helm ignores them: fix the spelling, or delete them.",
						src, len(g), id, strings.Join(keys, ", "), filepath.ToSlash(base)),
				})
				continue
			}
			p := g[0]
			dotted := strings.Join(p.Path, ".")
			hint := "fix the key's spelling or delete it"
			if s := m.suggest(dotted); s != "" {
				hint = "did you mean " + strconv.Quote(s) + "? Fix the key's spelling or delete it"
			}
			src := fmt.Sprintf("%s:%d", filepath.ToSlash(file), p.Line)
			if line, ok := mapLine[id]; ok {
				// Alone here, but another file may set more under the
				// same missing map: acrossFiles folds it there.
				under[len(out)] = Location{Key: id, Source: fmt.Sprintf("%s:%d", filepath.ToSlash(file), line), File: filepath.ToSlash(file), Line: line}
			}
			out = append(out, Finding{
				unread:       []string{dotted},
				Environments: users[file], Key: dotted, File: filepath.ToSlash(file), Line: p.Line,
				Locations: []Location{{Key: dotted, Source: src, File: filepath.ToSlash(file), Line: p.Line}},
				Message: fmt.Sprintf("%s sets %q, which %s lacks and no template reads, so Helm ignores it: %s.",
					src, dotted, filepath.ToSlash(base), hint),
			})
		}
	}
	return append(acrossFiles(out, leaves, under), m.unknownSetKeys(in)...)
}

// unknownSetKeys is FERRY080 for the keys an environment's deploy
// command sets (--set migrations.containers.migrate.image.tag=$SHA where
// values.yaml has migrations.app.containers…): Helm takes the path as
// written, no template reads it, and the image keeps the chart's tag.
// That CI fills the value in changes nothing: the path is what is wrong.
// A path under a map a template ranges over or hands on whole counts
// only when values.yaml has a path one key away from it. One finding per
// command: fixing its flags is one change.
func (m *chartModel) unknownSetKeys(in *Input) []Finding {
	var out []Finding
	at := map[string]int{}
	for _, e := range in.withFailed() {
		if e.Spec == nil || e.Spec.Deploy == nil {
			continue
		}
		d := e.Spec.Deploy
		f := Finding{Environments: []string{e.Name}, File: d.File, Line: d.Line}
		var what []string
		lines := ""
		for _, s := range e.Spec.Set {
			path := strings.Split(s.Path, ".")
			near, known := m.nearBase(path), m.known(path)
			if known && near == "" || strings.ContainsAny(s.Path, `[\\`) {
				continue // list indexes and escaped dots: not a plain path
			}
			if !known {
				near = m.suggest(s.Path)
			}
			line := d.Line
			if s.Line > 0 {
				line = s.Line
			}
			if n := strconv.Itoa(line); !strings.HasSuffix(lines, ":"+n) && !strings.HasSuffix(lines, ", "+n) {
				lines += ", " + n
			}
			f.unread = append(f.unread, s.Path)
			f.Locations = append(f.Locations, Location{Environment: e.Name, Key: s.Path, File: d.File, Line: line,
				Source: "CI " + d.File + ":" + strconv.Itoa(line) + " (" + s.Flag() + ")"})
			if near != "" {
				s.Path += " (did you mean " + strconv.Quote(near) + "?)"
			}
			what = append(what, s.Path)
		}
		if len(what) == 0 {
			continue
		}
		id := d.Loc() + strings.Join(what, ",")
		if i, ok := at[id]; ok {
			out[i].Environments = append(out[i].Environments, e.Name)
			continue
		}
		at[id] = len(out)
		f.Key, f.Line = f.unread[0], f.Locations[0].Line
		it := "it: fix the path."
		if len(what) > 1 {
			it = "them: fix the paths."
		}
		f.Message = "CI " + d.File + ":" + lines[2:] + " sets " + strings.Join(what, ", ") +
			", which values.yaml lacks and no template reads, so Helm ignores " + it
		out = append(out, f)
	}
	return out
}

// nearBase returns the path of values.yaml one key away from path (a key
// left out or one too many), "" when none is.
func (m *chartModel) nearBase(path []string) string {
	if m.base[strings.Join(path, ".")] {
		return ""
	}
	var best string
	for q := range m.base {
		qs := strings.Split(q, ".")
		if (oneKeyAway(path, qs) || oneKeyAway(qs, path)) && (best == "" || q < best) {
			best = q
		}
	}
	return best
}

// oneKeyAway reports whether long is short with one key inserted.
func oneKeyAway(short, long []string) bool {
	if len(long) != len(short)+1 || len(short) < 2 {
		return false
	}
	i := 0
	for i < len(short) && short[i] == long[i] {
		i++
	}
	for ; i < len(short); i++ {
		if short[i] != long[i+1] {
			return false
		}
	}
	return true
}

// acrossFiles folds the findings of one values path that several
// environments' files set alike into one naming every file. A single
// key under a map values.yaml lacks (under: its index → the map's
// location) joins that map's finding from another file.
func acrossFiles(fs []Finding, leaves map[string][]string, under map[int]Location) []Finding {
	var out []Finding
	idx := map[string]int{}
	for j, f := range fs {
		key := f.Key
		if l, ok := under[j]; ok && len(leaves[l.Key]) > 0 {
			if !slices.Contains(leaves[l.Key], f.Key) {
				leaves[l.Key] = append(leaves[l.Key], f.Key)
			}
			key, f.Key, f.Locations, f.File, f.Line = l.Key, l.Key, []Location{l}, l.File, l.Line
		}
		i, ok := idx[key]
		if !ok {
			idx[key] = len(out)
			out = append(out, f)
			continue
		}
		out[i].Environments = append(out[i].Environments, f.Environments...)
		out[i].Locations = append(out[i].Locations, f.Locations...)
		for _, k := range f.unread {
			if !slices.Contains(out[i].unread, k) {
				out[i].unread = append(out[i].unread, k)
			}
		}
	}
	for i, f := range out {
		if len(f.Locations) < 2 {
			continue
		}
		var at []string
		for _, l := range f.Locations {
			at = append(at, l.Source)
		}
		if ks := leaves[f.Key]; len(ks) > 0 {
			out[i].Message = fmt.Sprintf("%s under %q are set at %s, and no template reads them, so Helm ignores them: fix the spelling, or delete them.",
				strings.Join(ks, ", "), f.Key, strings.Join(at, ", "))
			continue
		}
		out[i].Message = fmt.Sprintf("%q is set at %s, and no template reads it, so Helm ignores it: fix the spelling, or delete it.",
			f.Key, strings.Join(at, ", "))
	}
	return out
}

// suggest returns the declared or read path closest to a misspelt one.
func (m *chartModel) suggest(path string) string {
	cands := make([]string, 0, len(m.base)+len(m.refs))
	for p := range m.base {
		cands = append(cands, p)
	}
	for _, r := range m.refs {
		cands = append(cands, strings.Join(r, "."))
	}
	sort.Strings(cands)
	best, bestD := "", 3
	for _, c := range cands {
		if d := editDistance(path, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// foldRenamedKeys makes one finding of a renamed key: an environment's
// file sets keys nobody reads (FERRY080) while templates read unset keys
// under the same parent in the same environments (FERRY088:
// service.internalPort set, service.port read). It is one mistake, the
// values file still using the old names.
func foldRenamedKeys(fs []Finding) []Finding {
	parentOf := func(k string) string {
		if i := strings.LastIndex(k, "."); i >= 0 {
			return k[:i]
		}
		return ""
	}
	drop := map[int]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Rule != "FERRY080" || f.Accepted {
			continue
		}
		var reads []string
		at := map[string][]string{}
		for j, g := range fs {
			if g.Rule != "FERRY088" || g.Accepted || drop[j] {
				continue
			}
			p := parentOf(g.Key)
			if p == "" || p != f.Key && p != parentOf(f.Key) || !subset(g.Environments, f.Environments) || !resembles(g.Key, f.unread) {
				continue
			}
			drop[j] = true
			if _, ok := at[g.Key]; !ok {
				reads = append(reads, g.Key)
			}
			for _, l := range g.Locations {
				at[g.Key] = append(at[g.Key], strings.TrimPrefix(l.Source, "template "))
			}
			f.Locations = append(f.Locations, g.Locations...)
		}
		if len(reads) == 0 {
			continue
		}
		parts := make([]string, len(reads))
		for k, r := range reads {
			parts[k] = fmt.Sprintf("%s (%s)", r, strings.Join(at[r], ", "))
		}
		msg := f.Message
		if k := strings.LastIndex(msg, ", so Helm ignores"); k >= 0 {
			msg = msg[:k]
		}
		f.Message = fmt.Sprintf("%s, while the templates read %s, which no values file of %s sets: a renamed key, so Helm ignores the one and renders the other empty: set the names the templates read, and delete the old ones.",
			msg, strings.Join(parts, ", "), andList(f.Environments))
	}
	var out []Finding
	for i, f := range fs {
		if !drop[i] {
			out = append(out, f)
		}
	}
	return out
}

// resembles reports whether a read key shares a word with one of the
// unread keys' last names (port and externalPort, targetPort and
// internalPort): a rename keeps a word; autoscaling.minReplicas read
// while autoscaling.enabled is set is another story.
func resembles(read string, unread []string) bool {
	words := func(k string) []string {
		k = k[strings.LastIndex(k, ".")+1:]
		var out []string
		start := 0
		for i := 1; i <= len(k); i++ {
			if i == len(k) || k[i] >= 'A' && k[i] <= 'Z' || k[i] == '_' || k[i] == '-' {
				if w := strings.ToLower(strings.Trim(k[start:i], "_-")); len(w) >= 3 {
					out = append(out, w)
				}
				start = i
			}
		}
		return out
	}
	rw := words(read)
	for _, u := range unread {
		for _, w := range words(u) {
			if slices.Contains(rw, w) {
				return true
			}
		}
	}
	return false
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
