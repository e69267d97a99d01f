package cli

import (
	"encoding/json"
	"strings"
	"testing"
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
