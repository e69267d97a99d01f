package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestProjectReadsConfined: the rules that read the project's own files
// (configs/ overlays, the chart's templates, Go sources) read nothing
// through a link that leaves the project. The same file inside the
// project is the control: it must produce the findings.
func TestProjectReadsConfined(t *testing.T) {
	outside := t.TempDir()
	overlay := "SMTP_HOST=a\nSMTP_HOST=b\nAPP_ENV=prod\n"
	if err := os.WriteFile(filepath.Join(outside, "staging.env"), []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "templates", "x.yaml"), []byte("{{ .Values.fromOutside }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	mk := func(t *testing.T, linked bool) *Input {
		dir := t.TempDir()
		write := func(name, data string) {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("go.mod", "module example.com/mail\n\ngo 1.24\n\nrequire gofr.dev v1.42.0\n")
		write("configs/.env", "APP_NAME=mail\n")
		write("chart/Chart.yaml", "apiVersion: v2\nname: mail\nversion: 0.1.0\n")
		write("chart/values.yaml", "image: {repository: ghcr.io/acme/mail, tag: \"1.0.0\"}\n")
		write("chart/values-staging.yaml", "fromOutside: 1\n")
		write("chart/templates/deployment.yaml", "{{ .Values.image.repository }}\n")
		if linked {
			if err := os.Symlink(filepath.Join(outside, "staging.env"), filepath.Join(dir, "configs", ".staging.env")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, "templates"), filepath.Join(dir, "chart", "templates", "linked")); err != nil {
				t.Fatal(err)
			}
		} else {
			write("configs/.staging.env", overlay)
			write("chart/templates/linked/x.yaml", "{{ .Values.fromOutside }}\n")
		}
		p, err := project.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return &Input{Project: p}
	}

	for _, tt := range []struct {
		name   string
		linked bool
		want   int // findings of each rule below
	}{
		{"inside", false, 1},
		{"linked out", true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := mk(t, tt.linked)
			if got := len(checkEnvFileKeys(in)); got != tt.want {
				t.Errorf("FERRY084 findings = %d, want %d", got, tt.want)
			}
			if got := len(checkAppEnvInFile(in)); got != tt.want {
				t.Errorf("FERRY032 findings = %d, want %d", got, tt.want)
			}
			m, err := loadChart(in.files(), filepath.Join(in.Project.Dir, "chart"))
			if err == nil && m.known([]string{"fromOutside"}) != (tt.want == 1) {
				t.Errorf("chart model knows fromOutside = %v, want %v", m.known([]string{"fromOutside"}), tt.want == 1)
			}
		})
	}
}
