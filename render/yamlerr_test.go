package render

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestYAMLErrTrueLine checks that a YAML syntax error is reported at the
// line the user has to fix, for the parser's errors (which yaml.v3
// reports one line early, or without a line on the first) as for the
// scanner's.
func TestYAMLErrTrueLine(t *testing.T) {
	for _, tt := range []struct {
		name, doc string
		line      int
	}{
		{"flow list left open", "config:\n  DB_HOST: a\n  HOSTS: [a, b\n  LOG_LEVEL: b\n", 3},
		// On line 1 yaml.v3 gives the line it stopped at instead: the
		// line of the key the map ran into.
		{"flow map left open on line 1", "config: {a: 1, b: 2\nother: x\n", 2},
		{"flow map left open on line 4", "a: 1\nb: 2\nc: 3\nd: {x: 1\ne: 2\n", 4},
		{"indented too far", "config:\n  DB_HOST: a\n   LOG_LEVEL: b\n", 3},
		{"quote left open", "image:\n  repository: r\n  tag: \"1.4.2\nconfig:\n  A: b\n", 3},
		{"tab indentation", "config:\n\tA: b\n", 2},
		{"a list item in a mapping", "config:\n  A: b\n- c\n", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			err := yaml.Unmarshal([]byte(tt.doc), &doc)
			if err == nil {
				t.Fatal("parsed without an error")
			}
			var ie *InputError
			if !errors.As(yamlErr("values.yaml", err), &ie) || ie.Line != tt.line {
				t.Errorf("yamlErr(%q) = %v, want line %d", err, yamlErr("values.yaml", err), tt.line)
			}
		})
	}
}
