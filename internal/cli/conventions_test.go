package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
)

func TestVersion(t *testing.T) {
	saved := readBuildInfo
	t.Cleanup(func() { readBuildInfo = saved })
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ferrydev/ferry", Version: "v1.4.2"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T11:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	want := "ferry v1.4.2 (commit 0123456789ab, modified, 2026-12-01T11:00:00Z) go1.26.8 "
	tests := []struct{ name, args, out string }{
		{"command", "version", want},
		{"flag", "--version", want},
		{"json", "version -o json", `"version": "v1.4.2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.args)
			if code != 0 || !strings.Contains(out, tt.out) {
				t.Errorf("ferry %s = %d %q (stderr %q), want 0 and %q", tt.args, code, out, errOut, tt.out)
			}
		})
	}
	out, _, _ := run(t, "version -o json")
	var b buildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Commit != "0123456789abcdef0123" || b.Go != "go1.26.8" {
		t.Errorf("version -o json = %s (%v), want commit and go version", out, err)
	}

	readBuildInfo = func() (*debug.BuildInfo, bool) { return nil, false }
	if out, _, _ := run(t, "--version"); !strings.HasPrefix(out, "ferry (devel) go") {
		t.Errorf("--version without build info = %q, want (devel) and the running Go", out)
	}
}

func TestColor(t *testing.T) {
	tests := []struct {
		mode    colorMode
		tty     bool
		noColor string
		term    string
		want    bool
	}{
		{colorAuto, true, "", "xterm", true},
		{colorAuto, false, "", "xterm", false},
		{colorAuto, true, "1", "xterm", false},
		{colorAuto, true, "", "dumb", false},
		{colorAlways, false, "1", "dumb", true},
		{colorNever, true, "", "xterm", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s tty=%v NO_COLOR=%q TERM=%s", tt.mode, tt.tty, tt.noColor, tt.term), func(t *testing.T) {
			g := &globalOptions{Color: tt.mode, env: func(k string) string {
				return map[string]string{"NO_COLOR": tt.noColor, "TERM": tt.term}[k]
			}}
			if got := g.useColor(tt.tty); got != tt.want {
				t.Errorf("useColor = %v, want %v", got, tt.want)
			}
		})
	}

	// End to end: check's report is coloured only when asked.
	for _, tt := range []struct {
		args  string
		color bool
	}{
		{"--color=always check", true},
		{"--color=never check", false},
		{"check", false}, // not a terminal
	} {
		out, _, _ := run(t, "-C "+brokenTwin+" "+tt.args)
		if got := strings.Contains(out, "\x1b["); got != tt.color {
			t.Errorf("ferry %s: colour = %v, want %v", tt.args, got, tt.color)
		}
	}
	if _, errOut, code := run(t, "--color=sometimes version"); code != ExitUsage || !strings.Contains(errOut, "auto, always, never") {
		t.Errorf("--color=sometimes = %d %q, want exit 2 naming the choices", code, errOut)
	}
}

// TestVerbose checks that -v logs ferry's steps with timings, that Helm's
// own lines (its loader's count of dependencies) appear with -v and never
// without it, and that no secret reaches the log. A chart file linked
// from inside the project is followed, as Helm's loader follows it.
func TestVerbose(t *testing.T) {
	files := shopAPI()
	files["shared/extra.yaml"] = "# linked into the chart\n"
	dir := testtree.Write(t, files)
	if err := os.Symlink(filepath.Join("..", "shared", "extra.yaml"), filepath.Join(dir, "chart", "extra.yaml")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "-C "+dir+" -v render staging")
	if code != 0 {
		t.Fatalf("render -v: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{`msg="project loaded"`, "msg=rendered env=staging", "took=", "t=+", `msg="number of dependencies in the chart"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("render -v stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(out+errOut, canary) {
		t.Errorf("render -v printed the secret:\n%s\n%s", out, errOut)
	}
	_, errOut, _ = run(t, "-C "+dir+" render staging")
	if strings.Contains(errOut, "dependencies") || strings.Contains(errOut, "level=") {
		t.Errorf("render without -v logged:\n%s", errOut)
	}
}

func TestErrorMessageCapped(t *testing.T) {
	long := strings.Repeat("x", 5000)
	many := strings.Repeat("template: a:1: in include\n", 200)
	tests := []struct {
		name string
		err  error
		keep string
	}{
		{"long line", errors.New("values.yaml:3: " + long), "values.yaml:3: xxx"},
		{"many lines", errors.New("chart/templates/a.yaml:1: recursion\n" + many), "chart/templates/a.yaml:1: recursion"},
		{"secret in a message", errors.New(`configs/.env:2: DB_PASSWORD="hunter2-capped"`), "configs/.env:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorMessage(tt.err)
			if n := strings.Count(got, "\n") + 1; n > maxMessageLines+1 || len(got) > (maxMessageLines+1)*(maxLineLen+40) {
				t.Errorf("errorMessage: %d lines, %d bytes; want at most %d lines", n, len(got), maxMessageLines+1)
			}
			if !strings.HasPrefix(got, tt.keep) || strings.Contains(got, "hunter2") {
				t.Errorf("errorMessage = %.200q, want it to start with %q and carry no secret", got, tt.keep)
			}
		})
	}
}
