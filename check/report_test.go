package check

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if string(got) != strings.ReplaceAll(string(want), "\r\n", "\n") {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n--- got ---\n%s", name, got)
	}
}

const brokenDir = "testdata/orders-api-broken"

// TestBrokenTwin checks the example's twin with a mistake for each rule,
// through real rendering.
func TestBrokenTwin(t *testing.T) {
	rep, err := Project(t.Context(), brokenDir)
	if err != nil {
		t.Fatalf("Project(%q): %v", brokenDir, err)
	}
	fired := map[string]bool{}
	for _, f := range rep.Findings {
		if !f.Accepted {
			fired[f.Rule] = true
		}
	}
	for _, id := range []string{
		"FERRY000", "FERRY002", "FERRY010", "FERRY011", "FERRY013", "FERRY015", "FERRY016",
		"FERRY020", "FERRY021", "FERRY022", "FERRY023", "FERRY030", "FERRY031", "FERRY032",
		"FERRY040", "FERRY050", "FERRY051", "FERRY053", "FERRY054", "FERRY055", "FERRY060",
		"FERRY070", "FERRY080",
	} {
		if !fired[id] {
			t.Errorf("the broken twin does not trip %s", id)
		}
	}
	if !rep.Failed(false) {
		t.Errorf("Report.Failed(false) = false for the broken twin")
	}
	accepted := slices.IndexFunc(rep.Findings, func(f Finding) bool { return f.Accepted && f.Rule == "FERRY014" })
	if accepted < 0 {
		t.Errorf("FERRY014 is not shown as accepted")
	}

	var text, js, sarif bytes.Buffer
	reports := []*Report{rep}
	if err := WriteText(&text, reports, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, reports); err != nil {
		t.Fatal(err)
	}
	if err := WriteSARIF(&sarif, reports, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"text": text.Bytes(), "json": js.Bytes(), "sarif": sarif.Bytes()} {
		if bytes.Contains(out, []byte("hunter2")) {
			t.Errorf("the %s report prints the secret value", name)
		}
		if name != "text" && bytes.Contains(out, []byte("\x1b[")) {
			t.Errorf("the %s report has colour codes", name)
		}
	}
	golden(t, "broken.txt", text.Bytes())
	golden(t, "broken.json", js.Bytes())
	golden(t, "broken.sarif", sarif.Bytes())
	validateSARIF(t, sarif.Bytes())
}

// TestJSONShape pins DESIGN.md's check JSON contract.
func TestJSONShape(t *testing.T) {
	rep := Run(inputOf(envOf("staging", "APP_ENV=staging", "DB_DIALECT=mysql", "DB_HOST=db"+base+"12", "DB_NAME=o"+base+"13", "DB_MAX_OPEN_CONNECTION=10"),
		envOf("prod", "APP_ENV=prod", "DB_DIALECT=mysql", "DB_HOST=db"+base+"12", "DB_NAME=o"+base+"13", "DB_MAX_OPEN_CONNECTION=10")))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, []*Report{rep}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]int   `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 1 {
		t.Fatalf("findings = %d, want 1:\n%s", len(got.Findings), buf.String())
	}
	f := got.Findings[0]
	for k, want := range map[string]any{"rule": "FERRY010", "name": "shared-database", "severity": "error", "key": "DB_HOST", "file": "chart/values.yaml", "line": 12.0} {
		if f[k] != want {
			t.Errorf("finding[%q] = %v, want %v", k, f[k], want)
		}
	}
	if envs, _ := f["environments"].([]any); len(envs) != 2 || envs[0] != "prod" || envs[1] != "staging" {
		t.Errorf("finding environments = %v, want [prod staging]", f["environments"])
	}
	if msg, _ := f["message"].(string); msg == "" {
		t.Errorf("finding has no message")
	}
	if got.Summary["errors"] != 1 || got.Summary["warnings"] != 0 || got.Summary["infos"] != 0 {
		t.Errorf("summary = %v, want 1 error", got.Summary)
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	rep := Run(inputOf(envOf("prod", "APP_ENV=prod", "LOG_LEVEL=loud")))
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteText(&buf, []*Report{rep}, TextOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "\x1b["); got != color {
			t.Errorf("WriteText(Color: %v) has colour codes = %v", color, got)
		}
		if !strings.Contains(buf.String(), "Errors (1)") {
			t.Errorf("WriteText does not group by severity:\n%s", buf.String())
		}
	}
}

// TestExampleClean: the bundled example shows only accepted findings, so
// even --strict passes.
func TestExampleClean(t *testing.T) {
	rep, err := Project(t.Context(), "../examples/orders-api")
	if err != nil {
		t.Fatalf("Project(examples/orders-api): %v", err)
	}
	if rep.Failed(true) {
		var buf bytes.Buffer
		_ = WriteText(&buf, []*Report{rep}, TextOptions{})
		t.Errorf("ferry check --strict fails on the bundled example:\n%s", buf.String())
	}
}

func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	schemaPath, err := filepath.Abs("testdata/sarif-schema-2.1.0-subset.json")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("SARIF output does not validate against SARIF 2.1.0: %v", err)
	}
}

// TestSARIFSchemaBites proves the schema rejects what it should, so a
// passing validation means something.
func TestSARIFSchemaBites(t *testing.T) {
	schemaPath, _ := filepath.Abs("testdata/sarif-schema-2.1.0-subset.json")
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"version":"2.0.0","runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"severity":"error"}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a"},"region":{"startLine":0}}}]}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}`,
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if sch.Validate(inst) == nil {
			t.Errorf("the SARIF schema accepts %s", bad)
		}
	}
}

// TestReportHeader: the header says where each environment's definition
// came from and why the environments are in their order, in text and as
// JSON fields.
func TestReportHeader(t *testing.T) {
	reports := checkCorpus(t, filepath.Join(corpusDir, "ruby-ci-set"))
	var text, js bytes.Buffer
	if err := WriteText(&text, reports, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, reports); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"order staging → production (by name:",
		"staging: from CI .github/workflows/deploy.yml:13; release billing (.github/workflows/deploy.yml:13); namespace billing-staging (.github/workflows/deploy.yml:14 (-n))",
	} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text header lacks %q:\n%s", w, text.String())
		}
	}
	var got struct {
		Project struct {
			OrderReason string `json:"orderReason"`
			Definitions []struct {
				Name, Definition, NamespaceFrom string
			} `json:"definitions"`
		} `json:"project"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	p := got.Project
	if !strings.HasPrefix(p.OrderReason, "by name:") || len(p.Definitions) != 2 ||
		p.Definitions[1].Name != "production" || p.Definitions[1].Definition != "CI .github/workflows/deploy.yml:25" ||
		p.Definitions[1].NamespaceFrom != ".github/workflows/deploy.yml:26 (-n)" {
		t.Errorf("JSON header = %+v", p)
	}
}

// A value that is a file (a page in a ConfigMap) is shown by its first
// line: the text report never prints it whole.
func TestTextShowsFirstLineOfValue(t *testing.T) {
	page := "<!DOCTYPE html>\n<html><body>the second line</body></html>\n"
	rep := &Report{Findings: []Finding{{
		Rule: "FERRY055", Name: "config-not-rolled", Severity: Warning, Environments: []string{"prod"}, Key: "page",
		Message:   "m",
		Locations: []Location{{Environment: "prod", Key: "maintenance.html", Value: page, Source: "template t.yaml"}},
	}}}
	var buf bytes.Buffer
	if err := WriteText(&buf, []*Report{rep}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "the second line") || !strings.Contains(out, "maintenance.html=<!DOCTYPE html>…") {
		t.Errorf("WriteText prints a multi-line value whole or not at all:\n%s", out)
	}
}
