package render

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// walkFiles walks values files in order into one sources map, as Render
// does with the chart's values.yaml and an environment's files.
func walkFiles(t testing.TB, files ...string) map[string]Source {
	t.Helper()
	sources := map[string]Source{}
	var warnings []string
	var dups []Duplicate
	for i, body := range files {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		walkValues(fmt.Sprintf("f%d.yaml", i), doc.Content[0], "", sources, &warnings, &dups)
	}
	return sources
}

// TestWalkValuesReplaces checks which earlier paths a later file's key
// replaces: everything below a scalar or a list, nothing below a map.
func TestWalkValuesReplaces(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files []string
		want  string // sorted path=file:line
	}{
		{
			name:  "a map merges",
			files: []string{"config:\n  A: 1\n  B: 2\n", "config:\n  B: 3\n"},
			want:  "config=f1.yaml:1 config.A=f0.yaml:2 config.B=f1.yaml:2",
		},
		{
			name:  "a scalar replaces a subtree",
			files: []string{"db:\n  host: a\n  port: 5432\nother: x\n", "db: none\n"},
			want:  "db=f1.yaml:1 other=f0.yaml:4",
		},
		{
			name:  "a list replaces wholesale",
			files: []string{"hosts:\n  - a\n  - b\n  - c\n", "hosts: [d]\n"},
			want:  "hosts=f1.yaml:1 hosts[0]=f1.yaml:1",
		},
		{
			name:  "a map over a list drops the elements",
			files: []string{"ports:\n  - name: http\n    port: 80\n", "ports:\n  http: 80\n"},
			want:  "ports=f1.yaml:1 ports.http=f1.yaml:2",
		},
		{
			name:  "a list over a list of maps drops the old elements' keys",
			files: []string{"env:\n  - name: A\n    value: x\n  - name: B\n", "env:\n  - name: C\n"},
			want:  "env=f1.yaml:1 env[0]=f1.yaml:2 env[0].name=f1.yaml:2",
		},
		{
			name:  "a sibling sharing a prefix is kept",
			files: []string{"db:\n  host: a\ndbx:\n  host: b\n", "db: ~\n"},
			want:  "db=f1.yaml:1 dbx=f0.yaml:3 dbx.host=f0.yaml:4",
		},
		{
			name:  "dotted key names replaced with their parent",
			files: []string{"podLabels:\n  app.kubernetes.io/name: x\n", "podLabels: {}\n"},
			want:  "podLabels=f1.yaml:1 podLabels.app.kubernetes.io/name=f0.yaml:2",
		},
		{
			name:  "replaced, then set again, then replaced",
			files: []string{"a:\n  b:\n    c: 1\n", "a:\n  b: 2\n", "a:\n  b:\n    d: 3\n", "a: 4\n"},
			want:  "a=f3.yaml:1",
		},
		{
			name:  "a key set twice in one file keeps the last",
			files: []string{"a:\n  b: 1\na: 2\n"},
			want:  "a=f0.yaml:3",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := walkFiles(t, tt.files...)
			var parts []string
			for _, p := range slices.Sorted(maps.Keys(got)) {
				parts = append(parts, fmt.Sprintf("%s=%s:%d", p, got[p].File, got[p].Line))
			}
			if s := strings.Join(parts, " "); s != tt.want {
				t.Errorf("sources\n got %s\nwant %s", s, tt.want)
			}
		})
	}
}

// bigValues is a values file of n keys: flat at the top level, or nested
// under config: as a long list of settings is.
func bigValues(n int, nested bool) string {
	var b strings.Builder
	if nested {
		b.WriteString("config:\n")
	}
	for i := range n {
		if nested {
			fmt.Fprintf(&b, "  KEY_%d: v%d\n", i, i)
		} else {
			fmt.Fprintf(&b, "key%d:\n  on: true\n  n: %d\n", i, i)
		}
	}
	return b.String()
}

// BenchmarkWalkValues walks a chart's values.yaml and an environment file
// that overrides every key of it, as a render does. The time per key
// must stay flat as keys grow: the walk was quadratic (37-46 s for a
// 30,000-key file through `ferry render`).
func BenchmarkWalkValues(b *testing.B) {
	for _, nested := range []bool{false, true} {
		for _, n := range []int{1000, 10000, 30000} {
			base, env := bigValues(n, nested), strings.ReplaceAll(bigValues(n, nested), "on: true", "on: false")
			if !nested {
				env = strings.ReplaceAll(strings.ReplaceAll(env, "  on: false\n", ""), ":\n  n: ", ": ")
			}
			var baseDoc, envDoc yaml.Node
			if err := yaml.Unmarshal([]byte(base), &baseDoc); err != nil {
				b.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(env), &envDoc); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("nested=%t/keys=%d", nested, n), func(b *testing.B) {
				for b.Loop() {
					sources := map[string]Source{}
					var warnings []string
					var dups []Duplicate
					walkValues("chart/values.yaml", baseDoc.Content[0], "", sources, &warnings, &dups)
					walkValues("values-staging.yaml", envDoc.Content[0], "", sources, &warnings, &dups)
					if len(sources) < n {
						b.Fatalf("%d sources for %d keys", len(sources), n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
			})
		}
	}
}

// TestMarkers finds the markers the regular expression they are defined
// by finds, at the same places, in rendered text as templates leave it:
// copied, upper-cased, spliced, quoted, and near misses.
func TestMarkers(t *testing.T) {
	re := regexp.MustCompile(`(?i)fry(\d+)yrf`)
	for _, s := range []string{
		"", "fry0yrf", "FRY12YRF", "postgres://fry3yrf:fry4yrf/fry5yrf", "fryyrf", "fry12yr", "ffry7yrf",
		"fry1yrffry2yrf", "\"fry9yrf\"", "fry-1yrf", "frY08YrF!", "fry99999999999999999999999yrf", "frfry1yrf", "fry1fry2yrf",
	} {
		var want, got [][3]int
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			n, err := strconv.Atoi(s[m[2]:m[3]])
			if err != nil {
				n = -1
			}
			want = append(want, [3]int{n, m[0], m[1]})
		}
		markers(s, func(n, start, end int) { got = append(got, [3]int{n, start, end}) })
		if !slices.Equal(got, want) {
			t.Errorf("markers(%q) = %v, want %v", s, got, want)
		}
	}
}
