package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// TestSecretsFileTrusted: a repository chooses the secretsFile path, and
// what ferry reads there goes into a service the repository wrote. Outside
// the project, only a regular file of the user's own that no one else may
// read is read (as ssh holds a private key); inside, the path must stay
// in the project. Every refusal is bad input (exit 2) naming the path and
// never shows the file's content.
func TestSecretsFileTrusted(t *testing.T) {
	home := t.TempDir()
	own := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(home, name)
		writeFile(t, p, content)
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := own("staging.env", "DB_PASSWORD=s3cret-value\n", 0o600)
	loose := own("loose.env", "DB_PASSWORD=LOOSE-CONTENT\n", 0o644)
	groupRead := own("group.env", "DB_PASSWORD=GROUP-CONTENT\n", 0o640)
	linkToGood, linkToLoose := filepath.Join(home, "good-link.env"), filepath.Join(home, "loose-link.env")
	if err := os.Symlink(good, linkToGood); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(loose, linkToLoose); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(home, "fifo.env")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	outside := own("outside.env", "DB_PASSWORD=OUTSIDE-CONTENT\n", 0o600)
	// Another user's file: /etc/passwd is root's, unless the test runs
	// as root, which gives a file away to nobody.
	others := "/etc/passwd"
	if os.Getuid() == 0 {
		others = own("nobody.env", "DB_PASSWORD=OTHERS-CONTENT\n", 0o600)
		if err := os.Chown(others, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name, file string
		want       string // the value delivered, or "" for a refusal
		why        string // the refusal says
	}{
		{"own 0600 file outside the project", good, "s3cret-value", ""},
		{"link to an own 0600 file", linkToGood, "s3cret-value", ""},
		{"inside the project", "secrets/staging.env", "in-project", ""},
		{"another user's file", others, "", "belongs to user"},
		{"world-readable own file", loose, "", "mode 0644"},
		{"group-readable own file", groupRead, "", "mode 0640"},
		{"link to a world-readable file", linkToLoose, "", "mode 0644"},
		{"FIFO", fifo, "", "not a regular file"},
		{"relative path climbing out", "../outside.env", "", "leaves the project"},
		{"project link to a file outside", "secrets/link.env", "", "leaves the project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "proj")
			mkdir(t, filepath.Join(dir, "secrets"))
			writeFile(t, filepath.Join(dir, "secrets", "staging.env"), "DB_PASSWORD=in-project\n")
			if err := os.Symlink(outside, filepath.Join(dir, "secrets", "link.env")); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tt.file, "../") {
				// The climb is relative to the project directory.
				rel, err := filepath.Rel(dir, outside)
				if err != nil {
					t.Fatal(err)
				}
				tt.file = rel
			}
			env := &project.Environment{Name: "staging", SecretsFile: tt.file, SecretsFileLine: 7}
			eff := render.NewConfig([]render.Entry{{Key: "DB_PASSWORD", Secret: true, External: true,
				Source: render.Source{Kind: render.KindExternal, Detail: "Secret svc-db/password"}}})
			vars, err := (&Local{ProjectDir: dir}).Desired(t.Context(), env, eff)
			if tt.want != "" {
				if err != nil || len(vars) != 1 || vars[0].Value != tt.want {
					t.Fatalf("Desired = %+v, %v; want DB_PASSWORD=%s", vars, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Desired = %+v, want a refusal", vars)
			}
			msg := err.Error()
			if !errors.Is(err, confine.ErrRefused) || !errors.Is(err, platform.ErrBadInput) ||
				!strings.Contains(msg, tt.why) || !strings.Contains(msg, "ferry.yaml:7") {
				t.Errorf("Desired: %v; want bad input at ferry.yaml:7 saying %q", err, tt.why)
			}
			if strings.Contains(msg, "CONTENT") || strings.Contains(msg, "root:") {
				t.Errorf("the refusal shows the file's content: %v", err)
			}
		})
	}
}
