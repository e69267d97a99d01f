package render

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// convertValues is nodeValues on data as parseValues parses it.
func convertValues(t testing.TB, data []byte) (map[string]any, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false
	}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	return nodeValues(data, root)
}

// sameAsHelm fails unless values made by nodeValues, when it makes them,
// equal what Helm's loader reads from the same bytes.
func sameAsHelm(t *testing.T, name string, data []byte) (converted bool) {
	t.Helper()
	got, ok := convertValues(t, data)
	if !ok {
		return false
	}
	want, err := loader.LoadValues(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: converted, but Helm's loader refuses it: %v", name, err)
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: converted values differ from Helm's:\n got %#v\nwant %#v", name, got, want)
	}
	return true
}

// TestNodeValuesMatchHelm holds the values ferry makes from its own parse
// to Helm's loader, scalar by scalar, near misses included: where the
// two parsers could differ, nodeValues must decline (Helm's loader then
// parses the file, as before).
func TestNodeValuesMatchHelm(t *testing.T) {
	tests := []struct {
		name, yaml string
		convert    bool // nodeValues makes them itself
	}{
		{"strings and numbers", "image:\n  repository: ghcr.io/acme/orders\n  tag: \"1.4.2\"\nreplicas: 3\ncpu: 0.5\nbig: 12345678901234567\nneg: -7\nexp: 1.5e3\n", true},
		{"bools, nulls and empty", "enabled: true\ndisabled: False\nnothing: null\ntilde: ~\nempty:\nquoted: \"\"\nlist: []\nmap: {}\n", true},
		{"block scalars", "script: |\n  #!/bin/sh\n  echo hi\nfolded: >\n  a\n  b\nkeep: |+\n  x\n\n", true},
		{"quoted look-alikes", "a: \"yes\"\nb: 'on'\nc: \"0777\"\nd: \"1e3\"\ne: \"null\"\n", true},
		{"nested lists", "hosts:\n  - name: a\n    paths: [/, /api]\n  - name: b\nports: [80, 443]\n", true},
		{"leading document marker", "---\nconfig:\n  A: b\n", true},
		{"unicode", "greeting: héllo ✓\n\"ключ\": значение\n", true},
		{"comments only", "# nothing here\n", true},
		{"empty", "", true},
		{"YAML 1.1 bool words", "a: yes\nb: off\nc: Y\n", false},
		{"YAML 1.1 key", "on: push\n", false},
		{"octal", "mode: 0644\n", false},
		{"hex", "mask: 0xff\n", false},
		{"underscores", "n: 1_000\n", false},
		{"infinity", "x: .inf\n", false},
		{"not a number", "x: .nan\n", false},
		{"timestamp", "when: 2001-12-14\n", false},
		{"version-like", "v: 1.2.3\n", false},
		{"alias", "a: &x {b: 1}\nc: *x\n", false},
		{"merge key", "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n", false},
		{"explicit tag", "a: !!str 1\n", false},
		{"binary", "a: !!binary aGVsbG8=\n", false},
		{"duplicate key", "a: 1\na: 2\n", false},
		{"numeric key", "1: a\n", false},
		{"two documents", "a: 1\n---\nb: 2\n", false},
		{"document end", "a: 1\n...\n", false},
		{"a list", "- a\n- b\n", false},
		{"huge exponent", "x: 1e400\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameAsHelm(t, tc.name, []byte(tc.yaml)); got != tc.convert {
				t.Errorf("converted = %v, want %v", got, tc.convert)
			}
		})
	}
}

// TestNodeValuesMatchHelmOnFixtures runs every values file among the
// repository's fixtures and examples through both.
func TestNodeValuesMatchHelmOnFixtures(t *testing.T) {
	converted, total := 0, 0
	for _, dir := range []string{"testdata", "../examples", "../check/testdata"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || !strings.Contains(filepath.Base(p), "values") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			total++
			if sameAsHelm(t, p, bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
				converted++
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d values files converted", converted, total)
	if total < 20 || converted*2 < total {
		t.Errorf("only %d of %d values files converted: the fixtures are the common case", converted, total)
	}
}

// FuzzNodeValues: whatever nodeValues converts, Helm's loader reads the
// same.
func FuzzNodeValues(f *testing.F) {
	for _, seed := range []string{
		"a: 1\nb: [x, {c: 2.5}]\n", "a: yes\n", "k: 0644\n", "'1': x\n", "a: -0\nb: +5\nc: 1.\n",
		"a: \"\\u00e9\\t\"\nb: 'it''s'\n", "a: >-\n  x\n  y\n", "x: 9223372036854775808\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameAsHelm(t, "fuzz", []byte(s))
	})
}
