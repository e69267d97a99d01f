package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/state"
)

// TestProjectRefusesLinks: the project's store refuses a state file, a
// lock or a locks directory that is a symbolic link (out of .ferry or
// within it) with a confine refusal naming it, and leaves the target
// as it was.
func TestProjectRefusesLinks(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, ferry, outside string)
		op    func(s *Bolt) error
		want  string
	}{
		{"state.db out", func(t *testing.T, ferry, outside string) {
			link(t, filepath.Join(outside, "victim"), filepath.Join(ferry, "state.db"))
		}, update, ".ferry/state.db"},
		{"state.db within .ferry", func(t *testing.T, ferry, outside string) {
			writeFile(t, filepath.Join(ferry, "other.db"), "")
			link(t, "other.db", filepath.Join(ferry, "state.db"))
		}, view, ".ferry/state.db"},
		{"state.db a directory", func(t *testing.T, ferry, outside string) {
			mkdir(t, filepath.Join(ferry, "state.db"))
		}, view, ".ferry/state.db"},
		{"lock out", func(t *testing.T, ferry, outside string) {
			mkdir(t, filepath.Join(ferry, "locks"))
			link(t, filepath.Join(outside, "victim"), filepath.Join(ferry, "locks", "prod.lock"))
		}, lock("prod"), ".ferry/locks/prod.lock"},
		{"locks directory out", func(t *testing.T, ferry, outside string) {
			link(t, outside, filepath.Join(ferry, "locks"))
		}, lock("prod"), ".ferry/locks"},
		{"environment name with a slash", func(t *testing.T, ferry, outside string) {}, lock("../../victim"), ".ferry/locks/../../victim.lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			ferry := filepath.Join(dir, ".ferry")
			mkdir(t, ferry)
			writeFile(t, filepath.Join(outside, "victim"), "keep me\n")
			tt.plant(t, ferry, outside)
			err := tt.op(Project(dir))
			var ce *confine.Error
			if !errors.As(err, &ce) || !errors.Is(err, confine.ErrRefused) || ce.Path != tt.want {
				t.Fatalf("err = %v, want a refusal naming %s", err, tt.want)
			}
			if data, _ := os.ReadFile(filepath.Join(outside, "victim")); string(data) != "keep me\n" {
				t.Errorf("the link's target changed: %q", data)
			}
		})
	}
}

// TestProjectReadCreatesNothing: reading the store of a project that has
// no .ferry yet makes none.
func TestProjectReadCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := view(Project(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".ferry")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".ferry after a read: %v", err)
	}
	if err := update(Project(dir)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".ferry")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf(".ferry after a write: %v %v, want mode 0700", fi, err)
	}
}

func update(s *Bolt) error {
	return s.Update(func(tx state.Tx) error { return tx.SetCurrent("prod", 0) })
}

func view(s *Bolt) error {
	return s.View(func(tx state.Tx) error { _, err := tx.Current("prod"); return err })
}

func lock(env string) func(*Bolt) error {
	return func(s *Bolt) error {
		l, err := s.Lock(context.Background(), env, state.Holder{})
		if err == nil {
			l.Release()
		}
		return err
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
