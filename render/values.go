package render

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// valuesFile is one parsed values file. A Renderer parses each file
// once and keeps it for every environment that names it: the walk that
// records the file's lines runs per environment, on the kept node.
type valuesFile struct {
	name string // relative to the project directory
	// root is the document's top node (its sops: section left out), nil
	// for an empty file.
	root      *yaml.Node
	encrypted bool
	// data is the (decrypted) text, parsed into values on first use.
	data       []byte
	valuesOnce sync.Once
	values     map[string]any
	err        error
	// sealed are the string values decrypted from a SOPS file.
	sealed []string
	// notDecrypted says why a SOPS file's values are stand-ins (see
	// Renderer.ForCheck); nil when it was decrypted.
	notDecrypted *InputError
}

// parseValues reads and parses a values file, decrypting a SOPS file.
// name is relative to dir. Its values are made lazily (see helmValues).
func parseValues(root *confine.Root, name string, standIns bool) (*valuesFile, error) {
	data, err := readValues(root, name)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := unreadable(name, data); err != nil {
		return nil, err
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlErr(name, err)
	}
	// A mapping is two nodes deep per level.
	if nodeTooDeep(&doc, 2*limits.ValuesDepth+2) {
		return nil, &InputError{File: name, Msg: fmt.Sprintf("values nest deeper than %d levels", limits.ValuesDepth)}
	}
	vf := &valuesFile{name: name, data: data}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if line := sopsMetadata(root); line > 0 {
			// The keys and their lines are in clear in a SOPS file: the
			// provenance is the committed file's, the values the
			// plaintext's.
			root = withoutKey(root, "sops")
			if vf.data, err = decrypt(name, line, data); err != nil {
				var ie *InputError
				if !standIns || !errors.As(err, &ie) {
					return nil, err
				}
				if vf.data, err = standInValues(root, name); err != nil {
					return nil, err
				}
				vf.notDecrypted = ie
			}
			vf.encrypted = true
		} else if line := encValue(root); line > 0 {
			return nil, &InputError{File: name, Line: line, Msg: "has SOPS-encrypted ENC[…] values but no sops: metadata to decrypt them with: restore the file's sops: section, or decrypt it in the pipeline and name the decrypted file in ferry.yaml values:"}
		}
		vf.root = root
	}
	if vf.encrypted {
		vals, err := vf.helmValues()
		if err != nil {
			return nil, err
		}
		vf.sealed = leaves(vals, nil)
	}
	return vf, nil
}

// readValues reads the values file name through root: a path that is
// absolute, climbs with "..", or passes through a link out of the
// project is refused, naming it; a file over project.MaxValuesSize is
// not read past the limit.
func readValues(root *confine.Root, name string) ([]byte, error) {
	data, over, err := readAtMost(root, name, project.MaxValuesSize)
	if over {
		return nil, &InputError{File: name, Msg: fmt.Sprintf("is larger than the %d MiB limit", project.MaxValuesSize>>20)}
	}
	return data, err
}

// helmValues are the file's values as Helm's loader reads them, made on
// first use from the parse parseValues did (nodeValues), else parsed by
// Helm's loader. They are shared: merge a copy (copyValues).
func (vf *valuesFile) helmValues() (map[string]any, error) {
	vf.valuesOnce.Do(func() {
		if !vf.encrypted {
			// The bytes parsed for the file's lines are not parsed again.
			if vals, ok := nodeValues(vf.data, vf.root); ok {
				vf.values, vf.data = vals, nil
				return
			}
		}
		vals, err := loader.LoadValues(bytes.NewReader(vf.data))
		switch {
		case err != nil && vf.encrypted:
			// The parser would quote the plaintext, at its own lines.
			vf.err = &InputError{File: vf.name, Msg: "its decrypted values are not a YAML mapping Helm can use"}
		case err != nil:
			vf.err = yamlErr(vf.name, err)
		default:
			vf.values = vals
		}
		vf.data = nil
	})
	return vf.values, vf.err
}

// record records where each path of the file is set, over what sources
// already holds.
func (vf *valuesFile) record(sources map[string]Source, warnings *[]string, dups *[]Duplicate) {
	if vf.root == nil {
		return
	}
	walkValues(vf.name, vf.root, "", sources, warnings, dups)
	if vf.encrypted {
		for p, src := range sources {
			if src.File == vf.name {
				src.Encrypted = true
				sources[p] = src
			}
		}
	}
}

// copyValues copies the maps and lists of v, so that merging and --set
// do not write into a parsed file another environment reads.
func copyValues(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = copyValues(c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = copyValues(c)
		}
		return out
	}
	return v
}

// walkValues records the line of every path under n. A later file
// overwrites an earlier one's paths, as Helm's merge does; a list is set
// wholesale by the line of its key.
//
// It takes time linear in the paths recorded: the paths already in sources
// are indexed once by each of their ancestors, so replacing a subtree
// visits only what it removes (a scan of every recorded path per key made
// a 30,000-key file take most of a minute).
func walkValues(file string, n *yaml.Node, prefix string, sources map[string]Source, warnings *[]string, dups *[]Duplicate) {
	w := &valuesWalk{file: file, sources: sources, below: make(map[string][]string, len(sources)), warnings: warnings, dups: dups}
	for p := range sources {
		w.index(p)
	}
	w.mapping(n, prefix)
}

// valuesWalk is one walk of a values file.
type valuesWalk struct {
	file    string
	sources map[string]Source
	// below maps a path to the recorded paths under it that start with
	// the path and ".", and path+"[" to those that start with that (its
	// list elements). A path is listed under each of its ancestors; a
	// list is dropped once its subtree is removed.
	below map[string][]string
	// lists is set once a list element is indexed: until then drop
	// looks up no path+"[" (a string made per key of a large file).
	lists    bool
	warnings *[]string
	dups     *[]Duplicate
}

func (w *valuesWalk) index(p string) {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '.':
			w.below[p[:i]] = append(w.below[p[:i]], p)
		case '[':
			w.below[p[:i+1]] = append(w.below[p[:i+1]], p)
			w.lists = true
		}
	}
}

func (w *valuesWalk) record(p string, line int) {
	if _, ok := w.sources[p]; !ok {
		w.index(p)
	}
	w.sources[p] = Source{Kind: KindValues, File: w.file, Line: line}
}

// drop removes what is recorded below p: its keys and its elements, or
// (elements only) its list elements.
func (w *valuesWalk) drop(p string, keys bool) {
	if w.lists {
		w.dropBelow(p + "[")
	}
	if keys {
		w.dropBelow(p)
	}
}

func (w *valuesWalk) dropBelow(l string) {
	for _, q := range w.below[l] {
		delete(w.sources, q)
	}
	delete(w.below, l)
}

func (w *valuesWalk) mapping(n *yaml.Node, prefix string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		if prev, dup := seen[k.Value]; dup {
			*w.warnings = append(*w.warnings, fmt.Sprintf("%s:%d: %s is set again (first at line %d); YAML keeps the last one silently", w.file, k.Line, path, prev))
			*w.dups = append(*w.dups, Duplicate{File: w.file, Path: path, Line: k.Line, FirstLine: prev})
		}
		seen[k.Value] = k.Line
		// A key set again in a later file replaces the earlier subtree's
		// provenance only where the later file sets it.
		w.record(path, k.Line)
		// Whatever an earlier file set below this key is replaced when this
		// file sets a scalar or a list (lists replace wholesale), and kept
		// under a map (maps merge) unless it was a list's elements.
		w.drop(path, v.Kind != yaml.MappingNode)
		w.node(v, path)
	}
}

// countPaths counts the paths walkValues records under n: its keys and
// list elements, at every depth.
func countPaths(n *yaml.Node) int {
	c := 0
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			c += 1 + countPaths(n.Content[i])
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			c += 1 + countPaths(e)
		}
	}
	return c
}

// node records the paths below a value: map keys, and list elements as
// path[i].
func (w *valuesWalk) node(v *yaml.Node, path string) {
	switch v.Kind {
	case yaml.MappingNode:
		w.mapping(v, path)
	case yaml.SequenceNode:
		for i, el := range v.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			w.record(p, el.Line)
			w.node(el, p)
		}
	}
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// yamlParserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it gives the 0-based line of the construct it was
// parsing (a flow list left open on line 3 is "line 2"), and no line at
// all when that is the first; scanner errors carry the true line.
var yamlParserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// yamlErr names the file and the true line of a yaml.v3 error in one line.
func yamlErr(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, rest := 0, msg
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		rest = strings.TrimSpace(m[2])
	}
	for _, p := range yamlParserProblems {
		if strings.HasPrefix(rest, p) {
			line++
			break
		}
	}
	if line > 0 {
		return &InputError{File: name, Line: line, Msg: rest}
	}
	return &InputError{File: name, Msg: msg}
}

// InputError is bad input: a file ferry cannot use as it is. The CLI
// reports it with exit code 2.
type InputError struct {
	File string
	Line int
	Msg  string
}

// Error is one line: file:line: message.
// A parser may quote the offending line: secrets are scrubbed from it.
func (e *InputError) Error() string {
	msg := secret.Scrub(strings.Join(strings.Fields(strings.ReplaceAll(e.Msg, "\n", "; ")), " "))
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	case e.File == "":
		return msg
	default:
		return fmt.Sprintf("%s: %s", e.File, msg)
	}
}

// unreadable recognises values files that are not text: git-crypt keeps
// encrypted files binary in the repository until `git-crypt unlock`.
func unreadable(name string, data []byte) error {
	if bytes.HasPrefix(data, []byte("\x00GITCRYPT\x00")) {
		return &InputError{File: name, Msg: "is git-crypt-encrypted: run `git-crypt unlock` first, or leave it out with exclude: in ferry.yaml"}
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return &InputError{File: name, Msg: "is not a text file (encrypted or binary); ferry cannot read it"}
	}
	return nil
}

// sopsMetadata returns the line of a SOPS file's top-level sops: section,
// 0 when root has none.
func sopsMetadata(root *yaml.Node) int {
	if root.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "sops" && v.Kind == yaml.MappingNode {
			return k.Line
		}
	}
	return 0
}

// encValue returns the line of the first ENC[…] value under n, 0 when
// there is none. Only values count: a comment that mentions ENC[ is not
// one.
func encValue(n *yaml.Node) int {
	if n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Value, "ENC[") {
		return n.Line
	}
	for _, c := range n.Content {
		if line := encValue(c); line > 0 {
			return line
		}
	}
	return 0
}

// withoutKey returns a copy of mapping n without key.
func withoutKey(n *yaml.Node, key string) *yaml.Node {
	cp := *n
	cp.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != key {
			cp.Content = append(cp.Content, n.Content[i], n.Content[i+1])
		}
	}
	return &cp
}

// leaves appends the string values under v: what a decrypted file
// holds, to be recognised wherever a template copies or splices it.
func leaves(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			out = leaves(c, out)
		}
	case []any:
		for _, c := range v {
			out = leaves(c, out)
		}
	case string:
		out = append(out, v)
	}
	return out
}

// encScalar matches a SOPS-encrypted scalar.
var encScalar = regexp.MustCompile(`^ENC\[AES256_GCM,data:[^\]]*,type:\w+\]$`)

// standInValues is the YAML of a SOPS file that could not be decrypted,
// each encrypted scalar replaced by a stand-in: a string naming the file
// and key (secret by where it comes from, like every decrypted value,
// and different per file so no two environments seem to share a
// credential). The keys are the committed file's, in clear.
func standInValues(root *yaml.Node, name string) ([]byte, error) {
	doc := copyNode(root)
	var walk func(n *yaml.Node, at string)
	walk = func(n *yaml.Node, at string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], joinPath(at, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", at, i))
			}
		case yaml.ScalarNode:
			if !encScalar.MatchString(n.Value) {
				return
			}
			// A string whatever the type: a typed stand-in (true, 1) would
			// read as a setting someone chose, and only a string marks
			// every value it reaches, through a Secret and secretKeyRef
			// too (see seal).
			n.Value, n.Tag, n.Style = "sops-encrypted:"+name+":"+at, "!!str", yaml.DoubleQuotedStyle
		}
	}
	walk(doc, "")
	return yaml.Marshal(doc)
}

func joinPath(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// copyNode copies n deeply, so the stand-ins do not write into the node
// provenance reads the committed file's lines from.
func copyNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = copyNode(k)
	}
	return &c
}
