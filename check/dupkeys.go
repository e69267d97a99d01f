package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// A key written twice in one mapping of a template: the rendered YAML
// has both, and the YAML decoder Helm and the API server use keeps only
// the last. Three `envFrom:` blocks guarded by three ifs deliver one
// Secret, not three. The rendered objects have lost the evidence, so the
// template's text is read.

func init() {
	register(Rule{
		ID: "FERRY059", Name: "duplicate-manifest-key", Severity: Error,
		Summary: "A template writes one key twice in the same mapping; only the last survives",
		Help: "Two `envFrom:` (or `env:`, `volumeMounts:`, …) keys in one container, each under its own " +
			"{{ if }}, render as a duplicate YAML key when both conditions hold: Kubernetes keeps the " +
			"last and silently drops the others, so the container misses what they deliver. Write the " +
			"key once and put the conditional items under it. Keys in the branches of one " +
			"if/else are not duplicates.",
		Check: checkDuplicateManifestKey,
	})
	projectRules["FERRY059"] = true
}

// frame is one open template block ({{ if }}, {{ with }}, {{ range }}):
// two keys in different branches of the same block never both render.
type frame struct {
	id, branch int
	cond       string
	// outer is the key scope around a define or block, whose body is a
	// mapping of its own: restored at its end.
	outer map[int]map[string]keySeen
}

type keySeen struct {
	line   int
	frames []frame
}

// actions returns the bodies of the template actions on line, trimmed of
// braces, dashes and spaces: "if .Values.x" for {{- if .Values.x }}.
// Hand-written: it runs on every line of every template, and a regexp
// costs several times more.
func actions(line string) []string {
	var out []string
	for {
		i := strings.Index(line, "{{")
		if i < 0 {
			return out
		}
		line = line[i+2:]
		j := strings.Index(line, "}}")
		if j < 0 {
			return out
		}
		body := strings.TrimSpace(line[:j])
		body = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(body, "-"), "-"))
		out = append(out, body)
		line = line[j+2:]
	}
}

// yamlKey parses a line "  - key: value" into the key's column, whether
// it opens a list item, the key, and the rest after the colon; ok is false
// for a line that is not a plain mapping key.
func yamlKey(line string) (col int, item bool, key, rest string, ok bool) {
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if strings.HasPrefix(line[i:], "- ") {
		item = true
		i += 2
		for i < len(line) && line[i] == ' ' {
			i++
		}
	}
	col = i
	if i < len(line) && (line[i] == '"' || line[i] == '\'') {
		end := strings.IndexByte(line[i+1:], line[i])
		if end < 0 {
			return 0, false, "", "", false
		}
		key, i = line[i+1:i+1+end], i+2+end
	} else {
		start := i
		for i < len(line) && keyChar(line[i]) {
			i++
		}
		key = line[start:i]
	}
	if key == "" || i >= len(line) || line[i] != ':' || (i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t') {
		return 0, false, "", "", false
	}
	return col, item, key, line[i+1:], true
}

func keyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/'
}

// blockScalar reports a value that opens a block scalar (| or >).
func blockScalar(rest string) bool {
	rest, _, _ = strings.Cut(rest, " #")
	rest = strings.TrimSpace(rest)
	return rest != "" && (rest[0] == '|' || rest[0] == '>') && strings.Trim(rest[1:], "-+0123456789") == ""
}

// exclusive reports whether two keys' blocks can never both render: they
// sit in different branches of one block, or in blocks whose conditions
// are X and not X.
func exclusive(a, b []frame) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].id == b[i].id {
			if a[i].branch != b[i].branch {
				return true
			}
			continue
		}
		ca, oka := strings.CutPrefix(a[i].cond, "if ")
		cb, okb := strings.CutPrefix(b[i].cond, "if ")
		if !oka || !okb {
			return false
		}
		na, nb := strings.TrimSpace(strings.TrimPrefix(ca, "not ")), strings.TrimSpace(strings.TrimPrefix(cb, "not "))
		return na == nb && ca != cb
	}
	return false
}

// templateDuplicates returns each key a template writes twice in one
// mapping, with every line that writes it.
func templateDuplicates(text string) map[string][]int {
	out := map[string][]int{}
	var frames []frame
	next := 0
	scope := map[int]map[string]keySeen{} // indent → key → first write
	blockIndent := -1
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if blockIndent >= 0 {
			if trimmed == "" || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		if trimmed == "---" {
			scope = map[int]map[string]keySeen{}
			continue
		}
		at := slices.Clone(frames)
		for _, act := range actions(line) {
			switch word, _, _ := strings.Cut(act, " "); word {
			case "if", "with", "range":
				next++
				frames = append(frames, frame{id: next, cond: act})
			case "define", "block":
				next++
				frames = append(frames, frame{id: next, cond: act, outer: scope})
				scope = map[int]map[string]keySeen{}
			case "else":
				if len(frames) > 0 {
					frames[len(frames)-1].branch++
				}
			case "end":
				if n := len(frames); n > 0 {
					if frames[n-1].outer != nil {
						scope = frames[n-1].outer
					}
					frames = frames[:n-1]
				}
			}
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "{{") {
			continue
		}
		for d := range scope {
			if d > indent {
				delete(scope, d)
			}
		}
		col, item, key, rest, ok := yamlKey(line)
		if !ok {
			continue
		}
		if item {
			delete(scope, col) // a list item starts a new mapping
		}
		if blockScalar(rest) {
			blockIndent = col
		}
		if scope[col] == nil {
			scope[col] = map[string]keySeen{}
		}
		first, dup := scope[col][key]
		if !dup {
			scope[col][key] = keySeen{line: i + 1, frames: at}
			continue
		}
		if exclusive(first.frames, at) {
			continue
		}
		id := fmt.Sprintf("%s@%d", key, first.line)
		if len(out[id]) == 0 {
			out[id] = []int{first.line}
		}
		out[id] = append(out[id], i+1)
	}
	return out
}

func checkDuplicateManifestKey(in *Input) []Finding {
	envsOf := map[string][]string{}
	var files []string
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, o := range e.Result.Objects {
			if o.Template == "" {
				continue
			}
			files = addUser(envsOf, files, o.Template, e.Name)
		}
	}
	var out []Finding
	for _, f := range files {
		data, err := in.files().ReadFile(filepath.Join(in.dir(), f))
		if err != nil {
			continue
		}
		dups := templateDuplicates(string(data))
		ids := make([]string, 0, len(dups))
		for id := range dups {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return dups[ids[i]][0] < dups[ids[j]][0] })
		for _, id := range ids {
			key, _, _ := strings.Cut(id, "@")
			lines := dups[id]
			var locs []Location
			var at []string
			for _, n := range lines {
				locs = append(locs, Location{Key: key, Source: fmt.Sprintf("template %s:%d", f, n), File: f, Line: n})
				at = append(at, fmt.Sprint(n))
			}
			out = append(out, Finding{
				Environments: envsOf[f], Key: key, File: f, Line: lines[0], Locations: locs,
				Message: fmt.Sprintf("%s writes %s: %d times in one mapping (lines %s): when they render together YAML keeps only the last (line %d) and drops the rest; write the key once and put the conditional items under it.",
					f, key, len(lines), strings.Join(at, ", "), lines[len(lines)-1]),
			})
		}
	}
	return out
}

// addUser records that env uses file, once, and returns files with file
// added when it is new (in first-use order).
func addUser(users map[string][]string, files []string, file, env string) []string {
	if _, ok := users[file]; !ok {
		files = append(files, file)
	}
	if !slices.Contains(users[file], env) {
		users[file] = append(users[file], env)
	}
	return files
}
