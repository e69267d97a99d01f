package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// valuesFile is one parsed values file.
type valuesFile struct {
	name   string // relative to the project directory
	values map[string]any
}

// readValues parses a values file with Helm's own loader, after recording
// where each path is set. name is relative to dir.
func readValues(dir, name string, sources map[string]Source, warnings *[]string) (*valuesFile, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlErr(name, err)
	}
	if len(doc.Content) > 0 {
		walkValues(name, doc.Content[0], "", sources, warnings)
	}
	vals, err := loader.LoadValues(bytes.NewReader(data))
	if err != nil {
		return nil, yamlErr(name, err)
	}
	return &valuesFile{name: name, values: vals}, nil
}

// walkValues records the line of every path under n. A later file
// overwrites an earlier one's paths, as Helm's merge does; a list is set
// wholesale by the line of its key.
func walkValues(file string, n *yaml.Node, prefix string, sources map[string]Source, warnings *[]string) {
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
		}
		seen[k.Value] = k.Line
		// A key set again in a later file replaces the earlier subtree's
		// provenance only where the later file sets it.
		sources[path] = Source{Kind: KindValues, File: file, Line: k.Line}
		if v.Kind == yaml.MappingNode {
			walkValues(file, v, path, sources, warnings)
		} else {
			for p := range sources {
				if strings.HasPrefix(p, path+".") {
					delete(sources, p)
				}
			}
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

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	if e.File == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}
