package project

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/testtree"
)

// base is a realistic project: a chart in chart/, values per environment
// beside it, configs/ with overlays.
func base() map[string]string {
	return map[string]string{
		"chart/Chart.yaml":     chartYAML,
		"chart/values.yaml":    "replicaCount: 1\nconfig:\n  DB_HOST: db\n",
		"values-staging.yaml":  "config:\n  DB_HOST: staging-db\n",
		"values-prod.yaml":     "config:\n  DB_HOST: prod-db\n",
		"configs/.env":         "APP_NAME=orders\n",
		"configs/.staging.env": "LOG_LEVEL=DEBUG\n",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		extra map[string]string
		setup func(t *testing.T, dir string)
		want  string // substring of the error; "" for success
	}{
		{name: "good file", yaml: "path: [staging, prod]\nenvironments:\n  prod:\n    soak: 30m\n"},
		{name: "env name with ../", yaml: "environments:\n  staging: {}\n  ../escape:\n    soak: 1m\n", want: `ferry.yaml:3: environment name "../escape"`},
		{name: "upper-case env name", yaml: "environments:\n  Prod: {}\n", want: `ferry.yaml:2: environment name "Prod"`},
		{name: "env name with a dot", yaml: "environments:\n  prod.eu: {}\n", want: `ferry.yaml:2: environment name "prod.eu"`},
		{name: "env name too long", yaml: "environments:\n  " + strings.Repeat("a", 64) + ": {}\n", want: "ferry.yaml:2: environment name"},
		{name: "path with a bad name", yaml: "path:\n  - staging\n  - ../prod\n", want: `ferry.yaml:3: path: environment name "../prod"`},
		{name: "path names an unknown env", yaml: "path:\n  - staging\n  - prdo\n", want: `ferry.yaml:3: path names "prdo", which is not an environment`},
		{name: "path names an env configured only in ferry.yaml", yaml: "path: [staging, qa]\nenvironments:\n  qa:\n    target: local\n"},
		{name: "path names an env with only a configs overlay", yaml: "path: [dev, staging]\n", extra: map[string]string{"configs/.dev.env": "X=1\n"}},
		{name: "negative soak", yaml: "environments:\n  prod:\n    soak: -5m\n", want: `ferry.yaml:3: environment "prod": soak -5m0s is negative`},
		{name: "values outside the project", yaml: "environments:\n  prod:\n    values:\n      - chart/values.yaml\n      - ../other/values.yaml\n", want: "ferry.yaml:5: environment \"prod\": values file ../other/values.yaml: ../other/values.yaml is outside the project"},
		{name: "values absolute", yaml: "environments:\n  prod:\n    values: [/etc/passwd]\n", want: "ferry.yaml:3: environment \"prod\": values file /etc/passwd: /etc/passwd is outside"},
		{name: "values a directory", yaml: "environments:\n  prod:\n    values: [chart/templates]\n", extra: map[string]string{"chart/templates/x.yaml": ""}, want: "ferry.yaml:3: environment \"prod\": values file chart/templates: is a directory"},
		{name: "values a FIFO", yaml: "environments:\n  prod:\n    values:\n      - fifo.yaml\n", setup: mkfifo("fifo.yaml"), want: "ferry.yaml:4: environment \"prod\": values file fifo.yaml: is not a regular file"},
		{name: "values over 10 MiB", yaml: "environments:\n  prod:\n    values: [big.yaml]\n", setup: bigFile("big.yaml"), want: "ferry.yaml:3: environment \"prod\": values file big.yaml: is larger than the 10 MiB limit"},
		{name: "values through a symlink out", yaml: "environments:\n  prod:\n    values: [linked.yaml]\n", setup: symlinkOut("linked.yaml"), want: "ferry.yaml:3: environment \"prod\": values file linked.yaml: linked.yaml leads outside"},
		{name: "chart outside", yaml: "chart: ../charts/svc\n", want: "ferry.yaml:1: chart: ../charts/svc is outside"},
		{name: "main outside", yaml: "service: orders\nmain: /usr/src/app\n", want: "ferry.yaml:2: main: /usr/src/app is outside"},
		{name: "service a path", yaml: "chart: chart\nservice: ../../../tmp/x\n", want: `ferry.yaml:2: service name "../../../tmp/x"`},
		{name: "service absolute", yaml: "service: /tmp/x\n", want: `ferry.yaml:1: service name "/tmp/x"`},
		{name: "service dot-dot", yaml: "service: ..\n", want: `ferry.yaml:1: service name ".."`},
		{name: "service with dots and underscores is fine", yaml: "service: orders_api.v2\n"},
		{name: "chart named with a path", yaml: "path: [staging]\n", extra: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: ../../tmp/x\nversion: 0.1.0\n"}, want: `chart/Chart.yaml:2: name: the service is named after the chart, and "../../tmp/x" is not a file name`},
		{name: "namespace a path", yaml: "environments:\n  prod:\n    namespace: ../x\n", want: `ferry.yaml:3: environment "prod": namespace "../x"`},
		{name: "namespace upper-case", yaml: "environments:\n  prod:\n    target: kube\n    namespace: Payments\n", want: `ferry.yaml:4: environment "prod": namespace "Payments"`},
		{name: "namespace fine", yaml: "environments:\n  prod:\n    namespace: payments-live\n"},
		{name: "release a path", yaml: "environments:\n  prod:\n    release: ../x\n", want: `ferry.yaml:3: environment "prod": release: "../x" is not a file name`},
		{name: "trust key climbing out", yaml: "trust:\n  keys:\n    - keys/team.pub\n    - ../../home/u/.ssh/id.pub\n", want: "ferry.yaml:4: trust.keys: ../../home/u/.ssh/id.pub is outside the project"},
		{name: "trust key absolute", yaml: "trust:\n  keys: [/etc/ferry/team.pub]\n", want: "ferry.yaml:2: trust.keys: /etc/ferry/team.pub is outside the project"},
		{name: "trust key through a symlink out", yaml: "trust:\n  keys:\n    - linked.yaml\n", setup: symlinkOut("linked.yaml"), want: "ferry.yaml:3: trust.keys: linked.yaml leads outside"},
		{name: "trust key inline", yaml: "trust:\n  keys:\n    - |\n      -----BEGIN PUBLIC KEY-----\n      MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n      -----END PUBLIC KEY-----\n"},
		{name: "layer climbing out", yaml: "layers:\n  - values-common.yaml\n  - ../shared/values.yaml\n", want: "ferry.yaml:3: layers: ../shared/values.yaml: ../shared/values.yaml is outside the project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := base()
			files[FileName] = tt.yaml
			for k, v := range tt.extra {
				files[k] = v
			}
			dir := testtree.Write(t, files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			_, err := Load(dir)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Load error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidateDiscoveredName(t *testing.T) {
	files := base()
	files["values-Prod_EU.yaml"] = ""
	p, err := Load(testtree.Write(t, files))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// Discovery never takes the file for an environment, and says so.
	if _, err := p.Env("Prod_EU"); err == nil {
		t.Error(`values-Prod_EU.yaml became environment "Prod_EU"`)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool {
		return strings.Contains(w, "values-Prod_EU.yaml") && strings.Contains(w, "not an environment name")
	}) {
		t.Errorf("warnings %q do not name the ignored values-Prod_EU.yaml", p.Warnings)
	}
}

func mkfifo(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func bigFile(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("k: v\n", MaxValuesSize/5+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlinkOut(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		out := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(out, []byte("a: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(out, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConfinedReads: ferry.yaml and Chart.yaml are read through
// internal/confine, and main: names a directory of the project. A file
// that leads out is refused naming it (confine.ErrRefused: exit 2), never
// read; a main: that is an import path or a pattern is refused at its
// line.
func TestConfinedReads(t *testing.T) {
	outside := func(name string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			out := filepath.Join(t.TempDir(), "secret.yaml")
			if err := os.WriteFile(out, []byte("service: stolen\nname: stolen\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(dir, name))
			if err := os.Symlink(out, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		yaml    string
		setup   func(*testing.T, string)
		want    string
		refused bool
	}{
		{name: "ferry.yaml linked out", yaml: "service: orders\n", setup: outside(FileName), want: "ferry.yaml: open leaves the project directory: ferry.yaml is a symbolic link to the absolute path /", refused: true},
		{name: "Chart.yaml linked out", yaml: "path: [staging]\n", setup: outside("chart/Chart.yaml"), want: "chart/Chart.yaml: open leaves the project directory: chart/Chart.yaml is a symbolic link to the absolute path /", refused: true},
		{name: "main an import path", yaml: "service: orders\nmain: github.com/acme/tools/cmd/migrate\n", want: "ferry.yaml:2: main: github.com/acme/tools/cmd/migrate is not a directory of the project"},
		{name: "main a pattern", yaml: "service: orders\nmain: ./cmd/...\n", want: "ferry.yaml:2: main: ./cmd/... is a package pattern"},
		{name: "main a file", yaml: "service: orders\nmain: chart/values.yaml\n", want: "ferry.yaml:2: main: chart/values.yaml is not a directory"},
		{name: "main a directory of the project", yaml: "service: orders\nmain: ./chart\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := base()
			files[FileName] = tt.yaml
			dir := testtree.Write(t, files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			p, err := Load(dir)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, confine.ErrRefused) != tt.refused {
				t.Errorf("Load error %v: refused by confine = %v, want %v", err, !tt.refused, tt.refused)
			}
			if p != nil {
				t.Errorf("Load returned a project with the error")
			}
		})
	}
}
