package check

import (
	"go/parser"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"

	"github.com/google/go-cmp/cmp"
)

func TestAppEnvMismatch(t *testing.T) {
	testRule(t, "FERRY030", []ruleCase{
		{
			name: "missing",
			in:   inputOf(envOf("staging", "APP_ENV=staging"), envOf("prod")),
			want: []string{"warning prod APP_ENV"},
		},
		{
			name: "another environment's name (copied values file)",
			in:   inputOf(envOf("staging", "APP_ENV=staging"), envOf("prod", "APP_ENV=staging")),
			want: []string{"warning prod APP_ENV"},
		},
		{
			name: "near miss: each its own name, or set at run time",
			in:   inputOf(envOf("staging", "APP_ENV=staging"), envOf("prod", "APP_ENV=@ext")),
		},
	})
}

// writeFiles writes name → content under a temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	return testtree.Write(t, files)
}

func TestAppEnvBranch(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // file:line what
	}{
		{
			name: "direct comparison",
			src: `package main
import "os"
func main() {
	if os.Getenv("APP_ENV") == "prod" {
		println("prod")
	}
}`,
			want: []string{`main.go:4 compares APP_ENV with "prod"`},
		},
		{
			name: "variable from LookupEnv, switched on",
			src: `package main
import "os"
func main() {
	env, ok := os.LookupEnv("APP_ENV")
	_ = ok
	switch env {
	case "prod":
	}
}`,
			want: []string{"main.go:6 switches on APP_ENV"},
		},
		{
			name: "normalised through a chain and a constant key",
			src: `package main
import ("os"; "strings")
const appEnvKey = "APP_ENV"
var env = os.Getenv(appEnvKey)
func main() {
	e := strings.ToLower(env)
	if e != "production" {}
	if strings.EqualFold(env, "staging") {}
}`,
			want: []string{`main.go:7 compares APP_ENV with "production"`, "main.go:8 compares APP_ENV with strings.EqualFold"},
		},
		{
			name: "the kit's and GoFr's config getters, and a struct field",
			src: `package main
type cfg interface{ Get(string) string; GetOrDefault(string, string) string; String(string, string) string }
type settings struct{ Env string }
func run(c cfg) {
	if c.Get("APP_ENV") == "prod" {}
	if c.GetOrDefault("APP_ENV", "local") != "local" {}
	s := settings{Env: c.String("APP_ENV", "")}
	if s.Env == "qa" {}
}`,
			want: []string{`main.go:5 compares APP_ENV with "prod"`, `main.go:6 compares APP_ENV with "local"`, `main.go:8 compares APP_ENV with "qa"`},
		},
		{
			name: "near miss: reading and logging APP_ENV",
			src: `package main
import ("log"; "os")
func main() {
	env := os.Getenv("APP_ENV")
	log.Printf("starting in %s", env)
	log.Println("env:", os.Getenv("APP_ENV"))
	other := "x"
	if other == "prod" {}
	if os.Getenv("REGION") == "eu" {}
}
func f() { env := "y"; if env == "prod" {} }`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{
				"main.go":                 tt.src,
				"main_test.go":            "package main\nimport \"os\"\nvar _ = os.Getenv(\"APP_ENV\") == \"test\"\n",
				"vendor/x/x.go":           "package x\nimport \"os\"\nvar _ = os.Getenv(\"APP_ENV\") == \"v\"\n",
				"testdata/y/y.go":         "package y\nimport \"os\"\nvar _ = os.Getenv(\"APP_ENV\") == \"t\"\n",
				"internal/broken/oops.go": "package broken\nfunc {",
			})
			in := inputOf(envOf("staging"), envOf("prod"))
			in.Project.Dir = dir
			var got []string
			for _, f := range findings(t, "FERRY031", in) {
				what, _, _ := strings.Cut(f.Message, ": move")
				got = append(got, what)
				if f.File != "main.go" || f.Line == 0 || len(f.Environments) != 2 {
					t.Errorf("FERRY031 finding location = %s:%d in %v, want main.go:N in both environments", f.File, f.Line, f.Environments)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FERRY031 findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppEnvInFile(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "in the base file",
			files: map[string]string{"configs/.env": "APP_NAME=x\nAPP_ENV=prod\n"},
			want:  []string{"configs/.env:2 prod,staging"},
		},
		{
			name:  "overlay naming another environment",
			files: map[string]string{"configs/.env": "APP_NAME=x\n", "configs/.staging.env": "# staging\nAPP_ENV=prod\n"},
			want:  []string{"configs/.staging.env:2 staging"},
		},
		{
			name:  "near miss: overlays naming themselves",
			files: map[string]string{"configs/.env": "APP_NAME=x\n", "configs/.staging.env": "APP_ENV=staging\n", "configs/.local.env": "APP_ENV=local\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inputOf(envOf("staging"), envOf("prod"))
			in.Project.Dir = writeFiles(t, tt.files)
			in.Project.Configs = "configs"
			var got []string
			for _, f := range findings(t, "FERRY032", in) {
				got = append(got, f.File+":"+itoa(f.Line)+" "+strings.Join(f.Environments, ","))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FERRY032 findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExprString: the shapes the APP_ENV scan names print as their Go
// source; any other is "" (never a key that two expressions could share).
func TestExprString(t *testing.T) {
	for src, want := range map[string]string{
		`cfg.Env`:                     "cfg.Env",
		`*Server`:                     "*Server",
		`Server[T]`:                   "Server[T]",
		`Cache[K, V]`:                 "Cache[K, V]",
		`"production"`:                `"production"`,
		`os.Getenv("APP_ENV")`:        `os.Getenv("APP_ENV")`,
		`(a.b).c`:                     "(a.b).c",
		`!ok`:                         "!ok",
		`func() string { return "" }`: "",
		`f(func() {})`:                "",
	} {
		e, err := parser.ParseExpr(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := exprString(e); got != want {
			t.Errorf("exprString(%s) = %q, want %q", src, got, want)
		}
	}
}
