package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// TestDataDirConfined: ${FERRY_DATA} is where the service writes its
// database; a committed .ferry, .ferry/data or .ferry/data/<env> link
// (or file) is refused, and nothing is made outside the project.
func TestDataDirConfined(t *testing.T) {
	tests := []struct {
		name  string
		plant func(dir, outside string) error
	}{
		{".ferry link", func(dir, outside string) error { return os.Symlink(outside, filepath.Join(dir, ".ferry")) }},
		{".ferry file", func(dir, outside string) error { return os.WriteFile(filepath.Join(dir, ".ferry"), nil, 0o644) }},
		{".ferry/data link", func(dir, outside string) error {
			os.Mkdir(filepath.Join(dir, ".ferry"), 0o700)
			return os.Symlink(outside, filepath.Join(dir, ".ferry", "data"))
		}},
		{".ferry/data link inside .ferry", func(dir, outside string) error {
			os.MkdirAll(filepath.Join(dir, ".ferry", "other"), 0o700)
			return os.Symlink("other", filepath.Join(dir, ".ferry", "data"))
		}},
		{".ferry/data/<env> link", func(dir, outside string) error {
			os.MkdirAll(filepath.Join(dir, ".ferry", "data"), 0o700)
			return os.Symlink(outside, filepath.Join(dir, ".ferry", "data", "staging"))
		}},
	}
	env := &project.Environment{Name: "staging", Settings: &Settings{Env: map[string]string{"DB_PATH": DataVar + "/app.db"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			if err := tt.plant(dir, outside); err != nil {
				t.Fatal(err)
			}
			l := &Local{ProjectDir: dir}
			_, err := l.Desired(t.Context(), env, &render.Config{})
			if !errors.Is(err, confine.ErrRefused) || !strings.Contains(err.Error(), ".ferry") {
				t.Errorf("Desired: %v, want a refusal naming the .ferry path", err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("made %v outside the project", entries)
			}
		})
	}

	dir := t.TempDir()
	vars, err := (&Local{ProjectDir: dir}).Desired(t.Context(), env, &render.Config{})
	if err != nil || len(vars) != 1 || vars[0].Value != filepath.Join(dir, ".ferry", "data", "staging", "app.db") {
		t.Fatalf("Desired = %+v, %v", vars, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".ferry")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf(".ferry: %v, %v, want a 0700 directory", fi, err)
	}
}
