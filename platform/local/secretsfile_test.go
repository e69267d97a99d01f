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
	f := secretsFixtures(t)
	tests := []struct {
		name, file string
		want       string // the value delivered, or "" for a refusal
		why        string // the refusal says
	}{
		{"own 0600 file outside the project", f["good"], "s3cret-value", ""},
		{"link to an own 0600 file", f["link to good"], "s3cret-value", ""},
		{"inside the project", "secrets/staging.env", "in-project", ""},
		{"another user's file", f["others"], "", "belongs to user"},
		{"world-readable own file", f["loose"], "", "mode 0644"},
		{"group-readable own file", f["group"], "", "mode 0640"},
		{"link to a world-readable file", f["link to loose"], "", "mode 0644"},
		{"FIFO", f["fifo"], "", "not a regular file"},
		{"relative path climbing out", "../outside.env", "", "leaves the project"},
		{"project link to a file outside", "secrets/link.env", "", "leaves the project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "proj")
			mkdir(t, filepath.Join(dir, "secrets"))
			writeFile(t, filepath.Join(dir, "secrets", "staging.env"), "DB_PASSWORD=in-project\n")
			if err := os.Symlink(f["outside"], filepath.Join(dir, "secrets", "link.env")); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tt.file, "../") {
				// The climb is relative to the project directory.
				rel, err := filepath.Rel(dir, f["outside"])
				if err != nil {
					t.Fatal(err)
				}
				tt.file = rel
			}
			env := &project.Environment{Name: "staging", Settings: &Settings{SecretsFile: tt.file, SecretsFileLine: 7}}
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

// secretsFixtures makes the files outside a project that a secretsFile
// may name, by what they are: good (the user's, 0600), loose (0644),
// group (0640), links to good and to loose, a FIFO, outside (0600, for
// paths from the project) and others (another user's).
func secretsFixtures(t *testing.T) map[string]string {
	home := t.TempDir()
	f := map[string]string{}
	own := func(key, name, content string, mode os.FileMode) {
		f[key] = writeFile(t, filepath.Join(home, name), content)
		if err := os.Chmod(f[key], mode); err != nil {
			t.Fatal(err)
		}
	}
	own("good", "staging.env", "DB_PASSWORD=s3cret-value\n", 0o600)
	own("loose", "loose.env", "DB_PASSWORD=LOOSE-CONTENT\n", 0o644)
	own("group", "group.env", "DB_PASSWORD=GROUP-CONTENT\n", 0o640)
	own("outside", "outside.env", "DB_PASSWORD=OUTSIDE-CONTENT\n", 0o600)
	for key, to := range map[string]string{"link to good": "good", "link to loose": "loose"} {
		f[key] = filepath.Join(home, strings.ReplaceAll(key, " ", "-")+".env")
		if err := os.Symlink(f[to], f[key]); err != nil {
			t.Fatal(err)
		}
	}
	f["fifo"] = filepath.Join(home, "fifo.env")
	if err := syscall.Mkfifo(f["fifo"], 0o600); err != nil {
		t.Fatal(err)
	}
	// Another user's file: /etc/passwd is root's, unless the test runs
	// as root, which gives a file away to nobody.
	f["others"] = "/etc/passwd"
	if os.Getuid() == 0 {
		own("others", "nobody.env", "DB_PASSWORD=OTHERS-CONTENT\n", 0o600)
		if err := os.Chown(f["others"], 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	return f
}
