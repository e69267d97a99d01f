package local

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

// settingsProject is a GoFr service with one environment, prod, whose
// ferry.yaml section is section (its keys indented four spaces).
func settingsProject(t *testing.T, section string, setup func(dir string)) (*project.Project, *project.Environment) {
	t.Helper()
	dir := testtree.Write(t, map[string]string{
		"go.mod": "module orders\n", "configs/.env": "APP_NAME=orders\nHTTP_PORT=8000\n", "configs/.prod.env": "",
		project.FileName: "service: orders\n\nenvironments:\n  prod:\n" + section,
	})
	if setup != nil {
		setup(dir)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Env("prod")
	if err != nil {
		t.Fatal(err)
	}
	return p, e
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name, section string
		setup         func(t *testing.T, dir string)
		want          Settings
		err           string
	}{
		{name: "env, port and a secrets file outside", section: "    env: {HTTP_PORT: \"18080\", DB_PATH: '${FERRY_DATA}/orders.db'}\n    port: 18080\n    secretsFile: ~/.config/ferry/orders-prod.env\n",
			want: Settings{Port: 18080, Env: map[string]string{"HTTP_PORT": "18080", "DB_PATH": "${FERRY_DATA}/orders.db"}, SecretsFile: "~/.config/ferry/orders-prod.env", SecretsFileLine: 7}},
		{name: "no own keys", section: "    soak: 10m\n", want: Settings{Env: map[string]string{}}},
		{name: "secretsFile a directory", section: "    secretsFile: /etc\n", err: `ferry.yaml:5: environment "prod": secretsFile /etc: is a directory`},
		{name: "secretsFile a FIFO", section: "    secretsFile: fifo.env\n", setup: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo.env"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, err: `ferry.yaml:5: environment "prod": secretsFile fifo.env: is not a regular file`},
		{name: "typo'd key", section: "    secretFile: ~/.config/ferry/orders-prod.env\n", err: `ferry.yaml:5: environment "prod": unknown field "secretFile" for target local (its own: port, env, secretsFile;`},
		{name: "a kube key", section: "    context: kind-prod\n", err: `ferry.yaml:5: environment "prod": unknown field "context" for target local`},
		{name: "port not a number", section: "    port: http\n", err: `ferry.yaml:5: environment "prod": cannot unmarshal !!str`},
		{name: "port out of range", section: "    port: 80000\n", err: `ferry.yaml:5: environment "prod": port 80000 is not a TCP port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, e := settingsProject(t, tt.section, func(dir string) {
				if tt.setup != nil {
					tt.setup(t, dir)
				}
			})
			got, err := decode(p, e)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("decode error = %v, want one line containing %q", err, tt.err)
				}
				// platform.Open reports it as bad input, unchanged.
				perr := platform.DecodeSettings(p)
				if perr == nil || perr.Error() != err.Error() {
					t.Errorf("DecodeSettings error = %v, want %v", perr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := got.(*Settings)
			if s.Port != tt.want.Port || s.SecretsFile != tt.want.SecretsFile || s.SecretsFileLine != tt.want.SecretsFileLine || len(s.Env) != len(tt.want.Env) {
				t.Errorf("settings = %+v, want %+v", s, tt.want)
			}
			for k, v := range tt.want.Env {
				if s.Env[k] != v {
					t.Errorf("env %s = %q, want %q", k, s.Env[k], v)
				}
			}
		})
	}
}

func TestSettingsSecretsFileModeWarns(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o400, false}, {0o640, true}, {0o644, true}} {
		p, e := settingsProject(t, "    secretsFile: secrets/prod.env\n", func(dir string) {
			testtree.WriteIn(t, dir, map[string]string{"secrets/prod.env": "DB_PASSWORD=x\n"})
			if err := os.Chmod(filepath.Join(dir, "secrets/prod.env"), tt.mode); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := decode(p, e); err != nil {
			t.Fatal(err)
		}
		got := len(p.Warnings) == 1 && strings.Contains(p.Warnings[0], "ferry.yaml:5:") && strings.Contains(p.Warnings[0], "chmod 600")
		if got != tt.warn {
			t.Errorf("mode %04o: warnings %q, want a warning: %v", tt.mode, p.Warnings, tt.warn)
		}
	}
}

// TestSettingsSecretsFileModeSaysWhatDeployDoes: the warning tells what a
// deploy will do with the file, as readSecretsFile does it: one inside
// the project is read like the rest of the project (the warning once said
// it would not be, and the deploy then read it), one outside only when
// it is yours alone.
func TestSettingsSecretsFileModeSaysWhatDeployDoes(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "prod.env")
	if err := os.WriteFile(outside, []byte("DB_PASSWORD=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{"secrets/prod.env", "a deploy still reads it"},
		{outside, "so a deploy will not read it"},
	} {
		p, e := settingsProject(t, "    secretsFile: "+tt.file+"\n", func(dir string) {
			testtree.WriteIn(t, dir, map[string]string{"secrets/prod.env": "DB_PASSWORD=x\n"})
			if err := os.Chmod(filepath.Join(dir, "secrets/prod.env"), 0o644); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := decode(p, e); err != nil {
			t.Fatal(err)
		}
		if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], tt.want) {
			t.Errorf("%s: warnings %q, want one saying %q", tt.file, p.Warnings, tt.want)
		}
	}
}
