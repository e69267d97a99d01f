package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/view"
)

const example = "-C ../../examples/orders-api"

func TestRenderGolden(t *testing.T) {
	tests := []struct{ name, args string }{
		{"render-prod.txt", example + " render prod"},
		{"render-staging.txt", example + " render staging"},
		{"render-prod.json", example + " render prod -o json"},
		{"render-staging.dotenv", example + " render staging -o dotenv"},
		{"render-full-prod-shadows.txt", "-C ../../render/testdata/full render prod --shadows"},
		{"diff-staging-prod.txt", example + " diff staging prod"},
		{"diff-staging-prod.json", example + " diff staging prod -o json"},
		{"diff-full.txt", "-C ../../render/testdata/full diff staging prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.args)
			if code != 0 {
				t.Fatalf("ferry %s: exit %d, stderr %q", tt.args, code, errOut)
			}
			golden(t, tt.name, out)
		})
	}
}

func TestRenderJSONShape(t *testing.T) {
	out, _, code := run(t, example+" render prod -o json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Environment string `json:"environment"`
		Config      []struct {
			Key, Value, Source string
			Secret             bool
		} `json:"config"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, c := range doc.Config {
		found[c.Key] = c.Value + " @ " + c.Source
		if c.Key == "DB_PASSWORD" && (!c.Secret || c.Value != "") {
			t.Errorf("DB_PASSWORD = %+v, want a secret with no value", c)
		}
	}
	if doc.Environment != "prod" || found["DB_HOST"] != "orders-db.prod.svc.cluster.local @ values-prod.yaml:6" {
		t.Errorf("environment %q, DB_HOST %q", doc.Environment, found["DB_HOST"])
	}
}

// TestNoSecretPrinted renders a chart whose Secrets the chart itself
// renders, in every format, and looks for the secret values.
func TestNoSecretPrinted(t *testing.T) {
	for _, args := range []string{
		"render prod", "render prod -o json", "render prod -o dotenv", "render prod --shadows",
		"diff staging prod", "diff staging prod -o json",
	} {
		out, errOut, code := run(t, "-C ../../render/testdata/full "+args)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", args, code, errOut)
		}
		for _, secret := range []string{"tok-prod", "key-prod", "tok-staging", "key-staging", "dG9rLXByb2Q"} {
			if strings.Contains(out+errOut, secret) {
				t.Errorf("ferry %s printed the secret %q", args, secret)
			}
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args    string
		code    int
		wantErr string
	}{
		{example + " render qa", 2, `unknown environment "qa" (the project has: staging, prod)`},
		{example + " render", 2, "render takes 1 argument(s), got 0"},
		{example + " render prod -o yaml", 2, `unknown format "yaml"`},
		{example + " nosuch", 2, "unknown command"},
		{"-C /nonexistent render prod", 2, "project directory"},
		{example + " diff staging", 2, "diff takes 2 argument(s), got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, errOut, code := run(t, tt.args)
			if code != tt.code || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("ferry %s = exit %d, %q; want exit %d with %q", tt.args, code, errOut, tt.code, tt.wantErr)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("error is not one line: %q", errOut)
			}
		})
	}
}

// TestBadInputExit2 breaks a copy of a small project in each way a user
// can and expects exit 2 with one line naming the file and line.
func TestBadInputExit2(t *testing.T) {
	good := map[string]string{
		"chart/Chart.yaml":          "apiVersion: v2\nname: x\nversion: 0.1.0\n",
		"chart/values.yaml":         "config:\n  A: \"1\"\n",
		"chart/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  A: {{ .Values.config.A | quote }}\n",
		"values-prod.yaml":          "config:\n  A: \"2\"\n",
		"configs/.env":              "B=1\n",
		"chart/templates/NOTES.txt": "hello\n",
		"chart/templates/_help.tpl": "{{- define \"x\" -}}{{- end -}}\n",
	}
	tests := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"malformed values YAML", map[string]string{"values-prod.yaml": "config:\n  A: [\n"}, "values-prod.yaml:"},
		{"malformed .env", map[string]string{"configs/.env": "B=1\nC-D=2\n"}, "configs/.env:2:"},
		{"template error", map[string]string{"chart/templates/cm.yaml": "a: {{ .Values.config.A | nope }}\n"}, "chart/templates/cm.yaml:1:"},
		{"unknown ferry.yaml field", map[string]string{"ferry.yaml": "service: x\nsoak: 3s\n"}, `ferry.yaml:2: unknown field "soak"`},
		{"missing chart", map[string]string{"ferry.yaml": "chart: nowhere\n"}, "chart nowhere has no Chart.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range good {
				files[k] = v
			}
			for k, v := range tt.change {
				files[k] = v
			}
			testtree.WriteIn(t, dir, files)
			out, errOut, code := run(t, "-C "+dir+" render prod")
			if code != 2 || out != "" || !strings.Contains(errOut, tt.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, no output, one line with %q", code, out, errOut, tt.want)
			}
		})
	}
}

// TestRenderTableAsTabwriter holds the streamed table to what
// text/tabwriter wrote before it (tabwriterTable): widths counted in
// runes, empty and wide cells, shadow rows, a quoted multi-line value,
// and cells tabwriter reads as markup (which go through tabwriter
// itself).
func TestRenderTableAsTabwriter(t *testing.T) {
	long := strings.Repeat("x", 150)
	tests := []struct {
		name string
		cfg  []view.ConfigEntry
	}{
		{"empty", nil},
		{"plain", []view.ConfigEntry{
			{Key: "APP_ENV", Value: "prod", Source: "values-prod.yaml:2"},
			{Key: "DB_HOST", Value: "", Source: "chart/values.yaml:14"},
			{Key: "K", Value: long, Source: "chart/templates/configmap.yaml:9"},
		}},
		{"unicode and shadows", []view.ConfigEntry{
			{Key: "GRÜẞE", Value: "héllo wörld ✓", Source: "values.yaml:1", Shadows: []view.ConfigSource{
				{Value: "ünïcode", Source: "chart/values.yaml:3"}, {Value: long, Source: "configs/.env:1"}}},
			{Key: "MULTI", Value: "a\nb\r\nc", Source: "configs/.env:4"},
			{Key: "LONGKEY_" + long, Value: "v", Source: "s"},
		}},
		{"markup in a cell", []view.ConfigEntry{
			{Key: "TABBED", Value: "a\tb", Source: "values.yaml:1"},
			{Key: "FEED", Value: "x\fy\vz", Source: "values.yaml:2"},
			{Key: "OK", Value: "fine", Source: "values.yaml:3", Shadows: []view.ConfigSource{{Value: "t\tt", Source: "a\tb"}}},
		}},
	}
	for _, tt := range tests {
		for _, shadows := range []bool{false, true} {
			var got, want strings.Builder
			if err := writeRenderTable(&got, tt.cfg, shadows); err != nil {
				t.Fatal(err)
			}
			tabwriterTable(&want, tt.cfg, shadows)
			if got.String() != want.String() {
				t.Errorf("%s (shadows %v):\ngot\n%s\nwant\n%s", tt.name, shadows, got.String(), want.String())
			}
		}
	}
}

// tabwriterTable is the render table as it was written before it was
// streamed: every row through text/tabwriter.
func tabwriterTable(w io.Writer, cfg []view.ConfigEntry, shadows bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, e := range cfg {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Key, oneLine(e.Text()), e.Source)
		if shadows {
			for _, s := range e.Shadows {
				fmt.Fprintf(tw, "\t  shadows %s\t%s\n", oneLine(s.Value), s.Source)
			}
		}
	}
	tw.Flush()
}
