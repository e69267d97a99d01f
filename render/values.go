package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/secret"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// valuesFile is one parsed values file.
type valuesFile struct {
	name   string // relative to the project directory
	values map[string]any
	// sealed are the string values decrypted from a SOPS file.
	sealed []string
}

// readValues parses a values file with Helm's own loader, after recording
// where each path is set. name is relative to dir.
func readValues(dir, name string, sources map[string]Source, warnings *[]string, dups *[]Duplicate) (*valuesFile, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
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
	vf := &valuesFile{name: name}
	encrypted := false
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if line := sopsMetadata(root); line > 0 {
			// The keys and their lines are in clear in a SOPS file: the
			// provenance is the committed file's, the values the
			// plaintext's.
			if data, err = decrypt(name, line, data); err != nil {
				return nil, err
			}
			encrypted = true
			root = withoutKey(root, "sops")
			walkValues(name, root, "", sources, warnings, dups)
			for p, src := range sources {
				if src.File == name {
					src.Encrypted = true
					sources[p] = src
				}
			}
		} else if line := encValue(root); line > 0 {
			return nil, &InputError{File: name, Line: line, Msg: "has SOPS-encrypted ENC[…] values but no sops: metadata to decrypt them with: restore the file's sops: section, or decrypt it in the pipeline and name the decrypted file in ferry.yaml values:"}
		} else {
			walkValues(name, root, "", sources, warnings, dups)
		}
	}
	vals, err := loader.LoadValues(bytes.NewReader(data))
	if err != nil && encrypted {
		// The parser would quote the plaintext, at its own lines.
		return nil, &InputError{File: name, Msg: "its decrypted values are not a YAML mapping Helm can use"}
	}
	if err != nil {
		return nil, yamlErr(name, err)
	}
	vf.values = vals
	if encrypted {
		vf.sealed = leaves(vals, nil)
	}
	return vf, nil
}

// walkValues records the line of every path under n. A later file
// overwrites an earlier one's paths, as Helm's merge does; a list is set
// wholesale by the line of its key.
func walkValues(file string, n *yaml.Node, prefix string, sources map[string]Source, warnings *[]string, dups *[]Duplicate) {
	if n.Kind != yaml.MappingNode {
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		if prev, dup := seen[k.Value]; dup {
			*warnings = append(*warnings, fmt.Sprintf("%s:%d: %s is set again (first at line %d); YAML keeps the last one silently", file, k.Line, path, prev))
			*dups = append(*dups, Duplicate{File: file, Path: path, Line: k.Line, FirstLine: prev})
		}
		seen[k.Value] = k.Line
		// A key set again in a later file replaces the earlier subtree's
		// provenance only where the later file sets it.
		sources[path] = Source{Kind: KindValues, File: file, Line: k.Line}
		// Whatever an earlier file set below this key is replaced when this
		// file sets a scalar or a list (lists replace wholesale), and kept
		// under a map (maps merge).
		if v.Kind != yaml.MappingNode {
			for p := range sources {
				if strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
					delete(sources, p)
				}
			}
		}
		walkNode(file, v, path, sources, warnings, dups)
	}
}

// walkNode records the paths below a value: map keys, and list elements as
// path[i].
func walkNode(file string, v *yaml.Node, path string, sources map[string]Source, warnings *[]string, dups *[]Duplicate) {
	switch v.Kind {
	case yaml.MappingNode:
		walkValues(file, v, path, sources, warnings, dups)
	case yaml.SequenceNode:
		for i, el := range v.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			sources[p] = Source{Kind: KindValues, File: file, Line: el.Line}
			walkNode(file, el, p, sources, warnings, dups)
		}
	}
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// yamlErr names the file and line of a YAML error in one line.
func yamlErr(name string, err error) error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &InputError{File: name, Line: line, Msg: strings.TrimSpace(m[2])}
	}
	return &InputError{File: name, Msg: strings.TrimPrefix(msg, "yaml: ")}
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
