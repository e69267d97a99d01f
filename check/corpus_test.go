package check

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// corpusDir holds charts shaped like the ones real services ship (see
// DESIGN.md, real-world charts): every layout discovery must find, four
// runtimes, each with planted mistakes and near misses. Each chart has
// testdata/corpus/<name>.want, written by hand:
//
//   - RULE ENVS KEY [WORKLOAD]   must be found (ENVS comma-separated, sorted)
//   - RULE ENVS KEY              must not be found (* matches anything)
//     ~ RULE ENVS KEY TEXT         must be found, its message saying TEXT
//     ? ENV FILE[:LINE] TEXT       ENV could not be read, for that reason
//     ! TEXT                       never printed (a secret value)
//
// and testdata/corpus/<name>.golden, the whole report (go test -update).
const corpusDir = "testdata/charts"

func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 20 {
		t.Errorf("the corpus has %d charts, want at least 20", len(entries))
	}
	for _, ent := range entries {
		name := ent.Name()
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(corpusDir, name)
			reports := checkCorpus(t, dir)
			var text, js, sarif bytes.Buffer
			for _, w := range []error{
				WriteText(&text, reports, TextOptions{}),
				WriteJSON(&js, reports),
				WriteSARIF(&sarif, reports, SARIFOptions{}),
			} {
				if w != nil {
					t.Fatal(w)
				}
			}
			validateSARIF(t, sarif.Bytes())
			golden(t, filepath.Join("..", "corpus", name+".golden"), []byte(compact(reports)))

			var all []Finding
			var problems []Problem
			for _, r := range reports {
				all = append(all, r.Findings...)
				problems = append(problems, r.Problems...)
				if r.Project != nil && r.Project.Runtime == project.RuntimeGeneric {
					for _, f := range r.Findings {
						if GoFrOnly(f.Rule) {
							t.Errorf("GoFr-contract finding on a %s service: %s %s %s", r.Project.Runtime, f.Rule, f.Environments, f.Key)
						}
					}
				}
			}
			for _, w := range readWant(t, filepath.Join("testdata", "corpus", name+".want")) {
				switch w.op {
				case "~":
					if !slices.ContainsFunc(all, func(f Finding) bool {
						return w.op == "~" && w.fields[0] == f.Rule && w.fields[1] == strings.Join(f.Environments, ",") &&
							w.fields[2] == f.Key && strings.Contains(f.Message, w.rest)
					}) {
						t.Errorf("planted mistake not found with its text: %s", w.line)
					}
				case "+", "-":
					found := slices.ContainsFunc(all, func(f Finding) bool { return w.matches(f) })
					if w.op == "+" && !found {
						t.Errorf("planted mistake not found: %s", w.line)
					}
					if w.op == "-" && found {
						t.Errorf("near miss reported: %s", w.line)
					}
				case "?":
					if !slices.ContainsFunc(problems, func(p Problem) bool {
						loc := p.File
						if p.Line > 0 {
							loc = fmt.Sprintf("%s:%d", p.File, p.Line)
						}
						return p.Environment == w.fields[0] && loc == w.fields[1] && strings.Contains(p.Message, w.rest)
					}) {
						t.Errorf("problem not reported: %s (got %+v)", w.line, problems)
					}
				case "!":
					for what, out := range map[string][]byte{"text": text.Bytes(), "json": js.Bytes(), "sarif": sarif.Bytes()} {
						if bytes.Contains(out, []byte(w.rest)) {
							t.Errorf("the %s report prints the secret %q", what, w.rest)
						}
					}
				}
			}
		})
	}
}

// checkCorpus checks dir as `ferry check` run from a repository root does:
// every chart discovery finds.
func checkCorpus(t *testing.T, dir string) []*Report {
	t.Helper()
	ps, err := Projects(dir)
	var reports []*Report
	for _, p := range ps {
		rep, err := CheckProject(t.Context(), dir, p)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, rep)
	}
	if err != nil {
		reports = append(reports, Failed(dir, err))
	}
	if len(reports) == 0 {
		t.Fatalf("no project in %s", dir)
	}
	return reports
}

// compact is the report one finding a line, for golden files a reviewer
// reads.
func compact(reports []*Report) string {
	var b strings.Builder
	for _, r := range reports {
		if r.Project != nil {
			fmt.Fprintf(&b, "chart %s; environments %s; runtime %s (%s)\n", r.Project.Chart, strings.Join(r.Project.Environments, ","), r.Project.Runtime, r.Project.RuntimeReason)
			for _, l := range headerLines(r.Project) {
				fmt.Fprintf(&b, "%s\n", l)
			}
		}
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  unreadable %s: %s\n", p.Environment, p.Message)
		}
		for _, f := range r.Findings {
			loc := f.File
			if f.Line > 0 {
				loc = fmt.Sprintf("%s:%d", f.File, f.Line)
			}
			fmt.Fprintf(&b, "  %s %s %s [%s] %s at %s", f.Severity, f.Rule, f.Name, strings.Join(f.Environments, ","), f.Key, loc)
			if f.Workload != "" {
				fmt.Fprintf(&b, " in %s", f.Workload)
			}
			fmt.Fprintf(&b, "\n    %s\n", f.Message)
		}
	}
	return b.String()
}

type want struct {
	line, op string
	fields   []string
	rest     string
}

func (w want) matches(f Finding) bool {
	if w.fields[0] != f.Rule {
		return false
	}
	if w.fields[1] != "*" && w.fields[1] != strings.Join(f.Environments, ",") {
		return false
	}
	if w.fields[2] != "*" && w.fields[2] != f.Key {
		return false
	}
	return w.rest == "" || slices.Contains(strings.Split(f.Workload, ", "), w.rest)
}

func readWant(t *testing.T, path string) []want {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("every corpus chart needs its .want file: %v", err)
	}
	defer f.Close()
	var out []want
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, body, _ := strings.Cut(line, " ")
		w := want{line: line, op: op}
		switch op {
		case "+", "-":
			fs := strings.Fields(body)
			if len(fs) < 3 {
				t.Fatalf("%s: %q: want RULE ENVS KEY [WORKLOAD]", path, line)
			}
			w.fields, w.rest = fs[:3], strings.Join(fs[3:], " ")
		case "~":
			fs := strings.SplitN(body, " ", 4)
			if len(fs) < 4 {
				t.Fatalf("%s: %q: want RULE ENVS KEY TEXT", path, line)
			}
			w.fields, w.rest = fs[:3], fs[3]
		case "?":
			fs := strings.SplitN(body, " ", 3)
			if len(fs) < 3 {
				t.Fatalf("%s: %q: want ENV FILE[:LINE] TEXT", path, line)
			}
			w.fields, w.rest = fs[:2], fs[2]
		case "!":
			w.rest = body
		default:
			t.Fatalf("%s: %q: unknown operation %q", path, line, op)
		}
		out = append(out, w)
	}
	return out
}
