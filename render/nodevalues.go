package render

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// nodeValues converts the yaml.v3 document ferry parsed for a values
// file's lines into the values Helm's loader would read from the same
// bytes (loader.LoadValues: yaml.v2's YAML 1.1 scalars, then a round trip
// through JSON, so every number a float64), so that the file is parsed
// once. ok is false for whatever the two parsers could read differently
// (more than one document, aliases and merge keys, explicit tags, YAML
// 1.1 words like yes/on, octal or hex numbers, duplicate keys, ...): the
// caller then asks Helm's loader, as before. root is nil for an empty
// document.
func nodeValues(data []byte, root *yaml.Node) (map[string]any, bool) {
	if !singleDocument(data) || mayHaveTags(data) {
		return nil, false
	}
	if root == nil {
		return map[string]any{}, true
	}
	if root.Kind != yaml.MappingNode {
		return nil, false // Helm's loader refuses it, in its own words
	}
	v, ok := nodeValue(root)
	if !ok {
		return nil, false
	}
	return v.(map[string]any), true
}

// singleDocument reports whether data holds at most one YAML document as
// Helm's loader splits them (a line starting "---" or "..." after the
// first line may start another), ending in a newline as the loader
// makes it.
func singleDocument(data []byte) bool {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return false // the loader adds a newline, which a block scalar at the end keeps
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[i:]
	} else {
		return true
	}
	return !bytes.Contains(data, []byte("\n---")) && !bytes.Contains(data, []byte("\n..."))
}

// mayHaveTags reports a '!' where a tag could start: the non-specific
// tag "!" leaves no trace in a yaml.v3 node, and makes yaml.v2 read a
// plain scalar as a string.
func mayHaveTags(data []byte) bool {
	for i := bytes.IndexByte(data, '!'); i >= 0; {
		if i == 0 || bytes.IndexByte([]byte(" \t\r\n[{,"), data[i-1]) >= 0 {
			return true
		}
		j := bytes.IndexByte(data[i+1:], '!')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

func nodeValue(n *yaml.Node) (any, bool) {
	if n.Style&yaml.TaggedStyle != 0 || n.Anchor != "" {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		if n.ShortTag() != "!!map" {
			return nil, false
		}
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			key, ok := stringScalar(k)
			if !ok {
				return nil, false
			}
			if _, dup := out[key]; dup {
				return nil, false
			}
			v, ok := nodeValue(n.Content[i+1])
			if !ok {
				return nil, false
			}
			out[key] = v
		}
		return out, true
	case yaml.SequenceNode:
		if n.ShortTag() != "!!seq" {
			return nil, false
		}
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, ok := nodeValue(c)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, false // an alias, or a document inside a document
}

// stringScalar is a mapping key both parsers read as the same string.
func stringScalar(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Style&yaml.TaggedStyle != 0 || n.Anchor != "" || n.ShortTag() != "!!str" {
		return "", false
	}
	if n.Style == 0 && !v2String(n.Value) {
		return "", false
	}
	return n.Value, utf8.ValidString(n.Value)
}

// yaml11Words are the plain scalars yaml.v2 reads as something other
// than a string that yaml.v3 may read as one.
var yaml11Words = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"~": true, "null": true, "Null": true, "NULL": true, "": true, "<<": true,
}

// v2String reports whether yaml.v2 surely reads the plain scalar s as a
// string: not one of its words, and nothing that starts like a number.
func v2String(s string) bool {
	if yaml11Words[s] {
		return false
	}
	if c := s[0]; c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') {
		return false
	}
	return true
}

var (
	decimalInt = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)
	// yaml.v2's float syntax, which yaml.v3's includes.
	v2Float = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
)

// scalarValue is a scalar as the JSON round trip leaves it.
func scalarValue(n *yaml.Node) (any, bool) {
	s := n.Value
	switch n.ShortTag() {
	case "!!str":
		if n.Style == 0 && !v2String(s) {
			return nil, false
		}
		return s, utf8.ValidString(s)
	case "!!null":
		return nil, n.Style == 0
	case "!!bool":
		switch s {
		case "true", "True", "TRUE":
			return true, true
		case "false", "False", "FALSE":
			return false, true
		}
	case "!!int":
		if !decimalInt.MatchString(s) {
			return nil, false
		}
		i, err := strconv.ParseInt(s, 10, 64)
		return float64(i), err == nil
	case "!!float":
		if !v2Float.MatchString(s) || !strings.ContainsAny(s, ".eE") {
			return nil, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return nil, false
}
