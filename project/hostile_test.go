package project

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/testtree"
)

// canary is in every file outside the repository: it must never appear
// in a project, a warning or an error.
const canary = "CANARY-outside-7f3a"

// TestHostileTree loads repositories whose go.mod, ferry.yaml, chart
// directory, subchart and values files are symbolic links out of the
// repository (or FIFOs): each is refused through internal/confine, as
// one line naming it, or ignored with a warning naming it where a
// missing file is ignored today, and nothing outside is ever read.
func TestHostileTree(t *testing.T) {
	chart := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: orders\nversion: 0.3.1\n",
		"chart/values.yaml": "replicaCount: 1\nimage:\n  repository: ghcr.io/acme/orders\n  tag: 0.3.1\nconfig:\n  DB_HOST: db\n",
		"values-prod.yaml":  "replicaCount: 3\nconfig:\n  DB_HOST: orders-db.prod.internal\n",
	}
	outside := map[string]string{
		"go.mod":                  "module evil\n\ngo 1.22\n\nrequire gofr.dev v1.3.0 // " + canary + "\n",
		"ferry.yaml":              "service: " + canary + "\nruntime: gofr\n",
		"values.yaml":             "config:\n  DB_HOST: " + canary + "\n",
		"werf.yaml":               "project: " + canary + "\n",
		"chart/Chart.yaml":        "apiVersion: v2\nname: " + canary + "\nversion: 1.0.0\n",
		"chart/values.yaml":       "config:\n  DB_HOST: " + canary + "\n",
		"chart/values-stage.yaml": "config:\n  DB_HOST: " + canary + "\n",
	}
	link := func(from, to string) func(*testing.T, string, string) {
		return func(t *testing.T, dir, out string) {
			os.Remove(filepath.Join(dir, from))
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, from)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(out, to), filepath.Join(dir, from)); err != nil {
				t.Fatal(err)
			}
		}
	}
	fifo := func(name string) func(*testing.T, string, string) {
		return func(t *testing.T, dir, _ string) {
			if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	with := func(extra map[string]string) map[string]string {
		files := map[string]string{}
		for k, v := range chart {
			files[k] = v
		}
		for k, v := range extra {
			files[k] = v
		}
		return files
	}
	tests := []struct {
		name   string
		files  map[string]string
		setup  func(t *testing.T, dir, out string)
		all    bool   // LoadAll, as check does on a monorepo
		err    string // the one-line error, "" when Load succeeds
		warn   string // the warning naming what was ignored
		noGoFr bool
	}{
		{name: "go.mod linked out", files: chart, setup: link("go.mod", "go.mod"), noGoFr: true,
			warn: "go.mod: ignored: go.mod: open leaves the project directory: go.mod is a symbolic link to the absolute path /"},
		{name: "go.mod a FIFO", files: chart, setup: fifo("go.mod"), noGoFr: true,
			warn: "go.mod: ignored: go.mod: is not a regular file (p"},
		{name: "service's go.mod linked out", noGoFr: true,
			files: map[string]string{"services/orders/chart/Chart.yaml": chart["chart/Chart.yaml"], "services/orders/chart/values.yaml": chart["chart/values.yaml"], "services/orders/main.go": "package main\n"},
			setup: link("services/orders/go.mod", "go.mod"),
			warn:  "services/orders/go.mod: ignored: services/orders/go.mod: open leaves the project directory"},
		{name: "ferry.yaml linked out", files: chart, setup: link(FileName, "ferry.yaml"),
			err: "ferry.yaml: open leaves the project directory: ferry.yaml is a symbolic link to the absolute path /"},
		{name: "a service's ferry.yaml linked out", all: true,
			files: map[string]string{"svc/a/chart/Chart.yaml": chart["chart/Chart.yaml"], "svc/b/chart/Chart.yaml": chart["chart/Chart.yaml"], "svc/b/ferry.yaml": "service: b\n"},
			setup: link("svc/a/ferry.yaml", "ferry.yaml"),
			err:   "svc/a: ferry.yaml: open leaves the project directory"},
		{name: "ferry.yaml a FIFO", files: chart, setup: fifo(FileName), err: "ferry.yaml: is not a regular file"},
		{name: "values file linked out", files: chart, setup: link("values-prod.yaml", "values.yaml"),
			err: `values file values-prod.yaml: values-prod.yaml: stat leaves the project directory: values-prod.yaml is a symbolic link to the absolute path /`},
		{name: "chart's values.yaml linked out", files: chart, setup: link("chart/values.yaml", "values.yaml")},
		{name: "chart directory linked out", files: map[string]string{"README.md": "# orders\n"}, setup: link("chart", "chart"),
			err: "no Helm chart found under"},
		{name: "Chart.yaml linked out", files: chart, setup: link("chart/Chart.yaml", "chart/Chart.yaml"),
			err: "chart/Chart.yaml: open leaves the project directory"},
		{name: "subchart linked out", files: chart, setup: link("chart/charts/postgresql", "chart")},
		{name: "werf.yaml linked out", files: map[string]string{".helm/templates/deployment.yaml": "kind: Deployment\n", "chart/Chart.yaml": chart["chart/Chart.yaml"]},
			setup: link("werf.yaml", "werf.yaml")},
		{name: "CI's values file linked out",
			files: with(map[string]string{".github/workflows/deploy.yml": "on: push\njobs:\n  deploy-prod:\n    runs-on: ubuntu-latest\n    environment: prod\n    steps:\n      - run: helm upgrade --install orders ./chart -n orders-prod -f deploy/prod.yaml\n"}),
			setup: link("deploy/prod.yaml", "values.yaml"),
			err:   "deploy/prod.yaml: stat leaves the project directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := testtree.Write(t, outside)
			dir := testtree.Write(t, tt.files)
			if tt.setup != nil {
				tt.setup(t, dir, out)
			}
			type result struct {
				ps  []*Project
				err error
			}
			done := make(chan result, 1)
			go func() {
				if tt.all {
					ps, err := LoadAll(dir)
					done <- result{ps, err}
					return
				}
				p, err := Load(dir)
				done <- result{[]*Project{p}, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Load blocked: a FIFO was opened for reading")
			}
			if r.err != nil && strings.Contains(r.err.Error(), canary) || r.err != nil && strings.Contains(r.err.Error(), "\n") {
				t.Errorf("error is not one line or shows the outside file: %v", r.err)
			}
			switch {
			case tt.err == "" && r.err != nil:
				t.Fatalf("Load: %v", r.err)
			case tt.err != "" && (r.err == nil || !strings.Contains(r.err.Error(), tt.err)):
				t.Fatalf("Load = %v, want an error containing %q", r.err, tt.err)
			case tt.err != "" && strings.Contains(tt.err, "leaves the project") && !errors.Is(r.err, confine.ErrRefused):
				t.Errorf("Load error %v is not confine's refusal (exit 2)", r.err)
			}
			for _, p := range r.ps {
				if p == nil {
					continue
				}
				data, err := json.Marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(data), canary) {
					t.Errorf("the project holds the outside file's content: %s", data)
				}
				if tt.noGoFr && p.Runtime == RuntimeGoFr {
					t.Errorf("runtime %s (%s): read from the outside go.mod", p.Runtime, p.RuntimeReason)
				}
				if tt.warn != "" && !strings.Contains(strings.Join(p.Warnings, "\n"), tt.warn) {
					t.Errorf("warnings %q, want one containing %q", p.Warnings, tt.warn)
				}
			}
		})
	}
}
