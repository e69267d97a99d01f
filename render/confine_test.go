package render

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// outsideCanary is what the files outside the project hold: it must
// never reach a result or an error.
const outsideCanary = "outside-canary-4f1e"

// confinedProject writes a project (a chart whose ConfigMap prints a
// file .Files.Get reads, values-prod.yaml, configs/) under a parent
// directory that also holds files outside the project, and returns the
// project and the outside directory.
func confinedProject(t *testing.T) (dir, out string) {
	t.Helper()
	parent := t.TempDir()
	dir, out = filepath.Join(parent, "repo"), filepath.Join(parent, "elsewhere")
	testtree.WriteIn(t, dir, map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: orders\nversion: 0.1.0\n",
		"chart/values.yaml": "image:\n  repository: ghcr.io/acme/orders\n  tag: \"1.4.2\"\nbanner: hello\n",
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        - name: orders
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env:
            - name: BANNER
              value: {{ .Values.banner | quote }}
`,
		"chart/templates/files.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: files
data:
  motd: {{ .Files.Get "files/motd.txt" | quote }}
`,
		"chart/files/motd.txt": "welcome",
		"values-prod.yaml":     "banner: prod\n",
		"configs/.env":         "HTTP_PORT=8000\nLOG_LEVEL=INFO\n",
		"configs/.prod.env":    "LOG_LEVEL=WARN\n",
	})
	testtree.WriteIn(t, out, map[string]string{
		"secret.txt":           outsideCanary,
		"manifest.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  k: " + outsideCanary + "\n",
		"values.yaml":          "banner: " + outsideCanary + "\n",
		"sub/Chart.yaml":       "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"sub/values.yaml":      "note: " + outsideCanary + "\n",
		"sub/templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\ndata:\n  k: {{ .Values.note }}\n",
		".env":                 "STOLEN=" + outsideCanary + "\n",
		"configs/.env":         "STOLEN=" + outsideCanary + "\n",
	})
	return dir, out
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestRenderConfined plants, one per kind of input rendering reads, a
// path that leaves the project (issue 18): each must be refused with an
// error the CLI maps to exit 2 (confine.ErrRefused) naming the path, and
// nothing of the outside file may be printed. The paths are planted
// after project.Load, as a repository changed between load and render
// (or a project whose loader let them through) would have them: render
// must not rely on the project's checks.
func TestRenderConfined(t *testing.T) {
	tests := []struct {
		name string
		// late plants the path after project.Load.
		late func(t *testing.T, dir, out string, p *project.Project)
		want string // the path the error names
	}{
		{name: "template links out", want: "chart/templates/stolen.yaml",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, "manifest.yaml"), filepath.Join(dir, "chart/templates/stolen.yaml"))
			}},
		{name: "template links out relatively", want: "chart/templates/stolen.yaml",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, "../../../elsewhere/manifest.yaml", filepath.Join(dir, "chart/templates/stolen.yaml"))
			}},
		{name: ".Files.Get reads a link out", want: "chart/files/motd.txt",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, "secret.txt"), filepath.Join(dir, "chart/files/motd.txt"))
			}},
		{name: "chart values.yaml links out", want: "chart/values.yaml",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, "values.yaml"), filepath.Join(dir, "chart/values.yaml"))
			}},
		{name: "subchart directory links out", want: "chart/charts/sub",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, "sub"), filepath.Join(dir, "chart/charts/sub"))
			}},
		{name: "environment values file links out", want: "values-prod.yaml",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, "values.yaml"), filepath.Join(dir, "values-prod.yaml"))
			}},
		{name: "values path climbs", want: "../elsewhere/values.yaml",
			late: func(t *testing.T, dir, out string, p *project.Project) {
				p.Environments[0].Values = append(p.Environments[0].Values, "../elsewhere/values.yaml")
			}},
		{name: "values path is absolute", want: "/elsewhere/values.yaml",
			late: func(t *testing.T, dir, out string, p *project.Project) {
				p.Environments[0].Values = append(p.Environments[0].Values, filepath.Join(out, "values.yaml"))
			}},
		{name: "configs/.env links out", want: "configs/.env",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, ".env"), filepath.Join(dir, "configs/.env"))
			}},
		{name: "configs/ links out", want: "configs",
			late: func(t *testing.T, dir, out string, _ *project.Project) {
				symlink(t, filepath.Join(out, "configs"), filepath.Join(dir, "configs"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out := confinedProject(t)
			p, err := project.Load(dir)
			if err != nil {
				t.Fatalf("project.Load: %v", err)
			}
			tt.late(t, dir, out, p)
			res, err := Render(t.Context(), p, "prod")
			if err == nil {
				t.Fatalf("rendered (%d objects, config %v), want the path refused", len(res.Objects), res.Config)
			}
			msg := err.Error()
			if !errors.Is(err, confine.ErrRefused) {
				t.Errorf("error %q is not a refusal (exit 2)", msg)
			}
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line naming %s", msg, tt.want)
			}
			if strings.Contains(msg, outsideCanary) {
				t.Errorf("error prints the outside file: %s", msg)
			}
			// What a Helm target installs is read the same way.
			if strings.HasPrefix(tt.name, "configs") {
				return // the image's files, not Helm's input
			}
			if _, vals, err := New(p).HelmInput(t.Context(), "prod"); !errors.Is(err, confine.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("HelmInput = %v, %v; want the refusal naming %s", vals, err, tt.want)
			}
		})
	}
}

// TestHelmInput: the chart and values a Helm target installs are the
// ones render reads: values files merged in order, the deploy command's
// literal --set applied, and what CI fills in as it runs left out.
func TestHelmInput(t *testing.T) {
	dir, _ := confinedProject(t)
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := p.Environments[0]
	e.Deploy = &project.Deploy{File: ".github/workflows/deploy.yml", Line: 42}
	e.Set = []project.SetFlag{{Path: "replicas", Value: "3"}, {Path: "image.tag", Value: "${{ github.sha }}", ByCI: true}}
	ch, vals, err := New(p).HelmInput(t.Context(), e.Name)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "orders" || vals["banner"] != "prod" || vals["replicas"] != int64(3) {
		t.Errorf("HelmInput = chart %s, values %v; want orders with banner prod and replicas 3", ch.Name(), vals)
	}
	if img, _ := vals["image"].(map[string]any); img != nil && img["tag"] != nil {
		t.Errorf("HelmInput applied CI's own --set image.tag=%v", img["tag"])
	}
}

// TestSetListOfCI: a --set whose braces are the command's is a list of
// what CI fills in (a chart ranges over it); an expression's own braces
// stay one string.
func TestSetListOfCI(t *testing.T) {
	tests := []struct {
		v    string
		list bool
	}{
		{"{$RELEASE_HOST}", true},
		{"{${HOST},www.${HOST}}", true},
		{"${{ github.sha }}", false},
		{"$TAG", false},
		{"{{ .Values.x }}", false},
	}
	for _, tt := range tests {
		if got := listOfCI(tt.v); got != tt.list {
			t.Errorf("listOfCI(%q) = %v, want %v", tt.v, got, tt.list)
		}
	}
	user := map[string]any{}
	e := &project.Environment{Deploy: &project.Deploy{File: "bin/deploy", Line: 11}, Set: []project.SetFlag{{Path: "ingress.hosts", Value: "{$RELEASE_HOST}", ByCI: true}}}
	if err := applySet(user, e, map[string]Source{}); err != nil {
		t.Fatal(err)
	}
	ing, _ := user["ingress"].(map[string]any)
	if hosts, ok := ing["hosts"].([]any); !ok || len(hosts) != 1 || hosts[0] != "$RELEASE_HOST" {
		t.Errorf("--set ingress.hosts={$RELEASE_HOST} gave %#v, want a list of one item", ing["hosts"])
	}
}

// TestRenderLinksInside follows links that stay in the project, as
// Helm's loader does: a template, a file .Files.Get reads, a vendored
// subchart, configs/.env and the environment's values file. A link out
// that .helmignore leaves out is not read, so not refused either.
func TestRenderLinksInside(t *testing.T) {
	dir, out := confinedProject(t)
	testtree.WriteIn(t, dir, map[string]string{"chart/.helmignore": "# local notes\nnotes/\n"})
	symlink(t, out, filepath.Join(dir, "chart/notes"))
	testtree.WriteIn(t, dir, map[string]string{
		"shared/motd.txt":             "shared welcome",
		"shared/cm.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  k: v\n",
		"shared/.env":                 "HTTP_PORT=9000\n",
		"shared/prod.yaml":            "banner: linked\n",
		"vendor/sub/Chart.yaml":       "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"vendor/sub/values.yaml":      "note: inner\n",
		"vendor/sub/templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\ndata:\n  k: {{ .Values.note }}\n",
	})
	symlink(t, "../../shared/cm.yaml", filepath.Join(dir, "chart/templates/shared.yaml"))
	symlink(t, "../../shared/motd.txt", filepath.Join(dir, "chart/files/motd.txt"))
	symlink(t, "../../vendor/sub", filepath.Join(dir, "chart/charts/sub"))
	symlink(t, "../shared/.env", filepath.Join(dir, "configs/.env"))
	symlink(t, "shared/prod.yaml", filepath.Join(dir, "values-prod.yaml"))
	res := renderEnv(t, dir, "prod")
	names := map[string]Object{}
	for _, o := range res.Objects {
		names[o.Name] = o
	}
	for _, n := range []string{"shared", "sub", "files", "orders"} {
		if _, ok := names[n]; !ok {
			t.Errorf("no object %s among %v", n, res.Objects)
		}
	}
	if got := str(names["files"].Body, "data", "motd"); got != "shared welcome" {
		t.Errorf(".Files.Get through a link inside = %q, want %q", got, "shared welcome")
	}
	for key, want := range map[string]string{"HTTP_PORT": "9000", "BANNER": "linked"} {
		if e, ok := res.Config.Get(key); !ok || e.Value != want {
			t.Errorf("%s = %q (%v), want %q", key, e.Value, ok, want)
		}
	}
}
