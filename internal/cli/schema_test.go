package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/serve"
)

// schemaDir holds the committed JSON Schema of every JSON output: the
// contract scripts rely on (fields are added, never renamed).
const schemaDir = "../../docs/schema"

// compileSchema compiles docs/schema/name.json (and the shared defs it
// refers to), asserting formats such as date-time.
func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(schemaDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compiling %s: %v", name, err)
	}
	return sch
}

// schemaCase is one read command, the exit codes its run here may end
// with, and the schema its -o json must satisfy.
type schemaCase struct {
	schema string
	args   string
	codes  []int
}

// TestJSONSchemas runs every read command's -o json on a real project
// with a running service (built, deployed, its log level set) and
// validates each output against its committed schema. It then removes
// each required field in turn and expects the schema to refuse the
// output: a renamed field fails this test.
func TestJSONSchemas(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	for _, args := range []string{"build --tag 1.0.0", "deploy staging --artifact 1.0.0", "loglevel staging DEBUG --for 1h"} {
		if out, errOut, code := run(t, c+args); code != 0 {
			t.Fatalf("ferry %s = %d\n%s%s", args, code, out, errOut)
		}
	}
	example, err := filepath.Abs("../../examples/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	cases := []schemaCase{
		{"render", "render staging", []int{0}},
		{"diff", "diff staging prod", []int{0}},
		{"check", "check", []int{0, 1}},
		{"check", "check . " + example, []int{0, 1}},
		{"status", "status", []int{0}},
		{"history", "history staging", []int{0}},
		{"verify", "verify staging", []int{0}},
		{"drift", "drift staging", []int{0}},
		{"soak", "soak staging", []int{0}},
		{"loglevel", "loglevel staging", []int{0}},
		{"gc", "gc --dry-run", []int{0}},
		{"state-check", "state check", []int{0}},
		{"promote", "promote staging prod --dry-run", []int{0}},
		{"version", "version", []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.args, func(t *testing.T) {
			out, errOut, code := run(t, c+tc.args+" -o json")
			if !slices.Contains(tc.codes, code) {
				t.Fatalf("ferry %s -o json = %d, want one of %v\n%s%s", tc.args, code, tc.codes, out, errOut)
			}
			checkSchema(t, tc.schema, tc.args, out, "svc")
		})
	}
	// Nested rows name their environment "environment" too.
	out, _, _ := run(t, c+"status -o json")
	var st map[string]any
	json.Unmarshal([]byte(out), &st)
	refuses(t, compileSchema(t, "status"), "status", st, "environments[0].environment", func(d map[string]any) {
		delete(d["environments"].([]any)[0].(map[string]any), "environment")
	})
	out, _, _ = run(t, c+"history staging -o json")
	var h map[string]any
	json.Unmarshal([]byte(out), &h)
	refuses(t, compileSchema(t, "history"), "history", h, "revisions[0].environment", func(d map[string]any) {
		delete(d["revisions"].([]any)[0].(map[string]any), "environment")
	})
	out, _, _ = run(t, c+"loglevel staging -o json")
	var lv map[string]any
	json.Unmarshal([]byte(out), &lv)
	refuses(t, compileSchema(t, "loglevel"), "loglevel", lv, "history[0].environment", func(d map[string]any) {
		delete(d["history"].([]any)[0].(map[string]any), "environment")
	})
	refuses(t, compileSchema(t, "loglevel"), "loglevel", lv, "setting.environment", func(d map[string]any) {
		delete(d["setting"].(map[string]any), "environment")
	})
	localDetails(t, c)
	t.Run("serve", func(t *testing.T) { serveSchemas(t, dir) })
}

// localDetails: the local target's facts about what runs reach status
// and verify as details.pid, with the deprecated "pid" alias the same
// number, and the text of both names the pid; a details value that is
// not text is refused by the schema.
func localDetails(t *testing.T, c string) {
	t.Helper()
	for _, tc := range []struct {
		schema, args string
		row          func(map[string]any) map[string]any
	}{
		{"status", "status", func(d map[string]any) map[string]any { return d["environments"].([]any)[0].(map[string]any) }},
		{"verify", "verify staging", func(d map[string]any) map[string]any { return d }},
	} {
		out, errOut, code := run(t, c+tc.args+" -o json")
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
			t.Fatalf("ferry %s -o json = %d %v\n%s%s", tc.args, code, err, out, errOut)
		}
		row := tc.row(doc)
		details, _ := row["details"].(map[string]any)
		pid, _ := details["pid"].(string)
		if pid == "" || pid == "0" || fmt.Sprint(row["pid"]) != pid {
			t.Errorf("ferry %s -o json: details %v, pid %v: want details.pid and its alias pid, equal", tc.args, row["details"], row["pid"])
		}
		refuses(t, compileSchema(t, tc.schema), tc.args, doc, "details.pid as text", func(d map[string]any) {
			tc.row(d)["details"].(map[string]any)["pid"] = 1
		})
		text, _, _ := run(t, c+tc.args)
		if !strings.Contains(text, "pid "+pid) {
			t.Errorf("ferry %s does not name pid %s:\n%s", tc.args, pid, text)
		}
	}
}

// serveSchemas asks ferry serve's JSON API, over the project dir, for
// what the read commands print, and validates each answer against the
// command's schema: the API and -o json are one contract.
func serveSchemas(t *testing.T, dir string) {
	h := serveHandler(t, dir)
	for _, tc := range []struct{ schema, path string }{
		{"status", "/api/status"},
		{"history", "/api/history/staging"},
		{"soak", "/api/soak/staging"},
		{"verify", "/api/verify/staging"},
		{"drift", "/api/drift/staging"},
		{"render", "/api/render/staging"},
		{"diff", "/api/diff/staging/prod"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := serveGet(h, tc.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", tc.path, rec.Code, rec.Body)
			}
			checkSchema(t, tc.schema, "serve GET "+tc.path, rec.Body.String(), "svc")
			if doc := validate(t, compileSchema(t, tc.schema), tc.path, rec.Body.String()).(map[string]any); tc.schema != "status" && tc.schema != "diff" && doc["environment"] != "staging" {
				t.Errorf("GET %s names environment %v, want staging", tc.path, doc["environment"])
			}
		})
	}
}

// checkSchema validates out, the output of ferry args, against its schema,
// expects the project called name in it, then removes each required field
// in turn and expects the schema to refuse what is left.
func checkSchema(t *testing.T, schema, args, out, name string) {
	t.Helper()
	sch := compileSchema(t, schema)
	doc := validate(t, sch, args, out).(map[string]any)
	proj := doc["project"]
	if several, ok := doc["projects"].([]any); ok { // check of several directories
		proj = several[0]
		refuses(t, sch, args, doc, "projects", func(d map[string]any) { delete(d, "projects") })
	} else if schema != "version" {
		refuses(t, sch, args, doc, "project", func(d map[string]any) { delete(d, "project") })
	}
	if p, _ := proj.(map[string]any); p == nil || p["name"] != name {
		t.Errorf("ferry %s -o json names project %v, want %s", args, proj, name)
	}
	if len(sch.Required) == 0 {
		t.Fatalf("schema %s states no required field", schema)
	}
	for _, field := range sch.Required {
		refuses(t, sch, args, doc, field, func(d map[string]any) { delete(d, field) })
	}
}

// TestInitJSONSchema: init's plan, before anything is written, names the
// project it would make.
func TestInitJSONSchema(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ledger")
	if err := os.CopyFS(dir, os.DirFS("../../scaffold/testdata/ledger")); err != nil {
		t.Fatal(err)
	}
	args := "-C " + dir + " init --dry-run"
	out, errOut, code := run(t, args+" -o json")
	if code != 0 {
		t.Fatalf("ferry %s -o json = %d\n%s%s", args, code, out, errOut)
	}
	checkSchema(t, "init", "init --dry-run", out, "ledger")
}

// validate parses out and validates it against sch.
func validate(t *testing.T, sch *jsonschema.Schema, args, out string) any {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("ferry %s -o json is not JSON: %v\n%s", args, err, out)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("ferry %s -o json does not match its schema: %v\n%s", args, err, out)
	}
	return inst
}

// refuses expects sch to reject doc (a fresh copy) once change is made.
func refuses(t *testing.T, sch *jsonschema.Schema, args string, doc map[string]any, what string, change func(map[string]any)) {
	t.Helper()
	data, _ := json.Marshal(doc)
	cp, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	change(cp.(map[string]any))
	if sch.Validate(cp) == nil {
		t.Errorf("the schema of ferry %s accepts the output without %s", args, what)
	}
}

// serveHandler is ferry serve's handler over the project in dir.
func serveHandler(t *testing.T, dir string) http.Handler {
	t.Helper()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Options{Config: func() *promote.Config { return promote.New(p) }})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler()
}

// serveGet is h's answer to GET path from the loopback address serve
// binds.
func serveGet(h http.Handler, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "127.0.0.1:7070"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestServeAnswersAsCLI: ferry serve's render and diff answer what
// render and diff -o json print — one output model — for a chart of
// several workloads and containers.
func TestServeAnswersAsCLI(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../render/testdata/full")); err != nil {
		t.Fatal(err)
	}
	h := serveHandler(t, dir)
	for _, tc := range []struct {
		args, path string
		fields     []string
	}{
		{"render prod", "/api/render/prod", []string{"environment", "image", "config", "workloads", "unread", "unprovided"}},
		{"diff staging prod", "/api/diff/staging/prod", []string{"from", "to", "changes", "workloads", "neverArrive"}},
	} {
		t.Run(tc.args, func(t *testing.T) {
			out, errOut, code := run(t, "-C "+dir+" "+tc.args+" -o json")
			if code != 0 {
				t.Fatalf("ferry %s = %d: %s", tc.args, code, errOut)
			}
			rec := serveGet(h, tc.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", tc.path, rec.Code, rec.Body)
			}
			var cli, api map[string]any
			if err := json.Unmarshal([]byte(out), &cli); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil {
				t.Fatal(err)
			}
			if w, _ := cli["workloads"].([]any); len(w) < 2 {
				t.Fatalf("ferry %s shows %d workloads, want several to compare", tc.args, len(w))
			}
			for _, f := range tc.fields {
				c, _ := json.Marshal(cli[f])
				a, _ := json.Marshal(api[f])
				if string(c) != string(a) {
					t.Errorf("%s: ferry %s says\n%s\nGET %s says\n%s", f, tc.args, c, tc.path, a)
				}
			}
		})
	}
}
