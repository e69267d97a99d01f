package boltstore

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/state"
)

func TestRevisions(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "state.db"))
	var got []int
	for _, d := range []string{"sha256:a", "sha256:b"} {
		err := s.Update(func(tx state.Tx) error {
			n, err := tx.Add(&state.Revision{Env: "staging", Digest: d, Outcome: state.Pending})
			got = append(got, n)
			if err != nil {
				return err
			}
			return tx.SetCurrent("staging", n)
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if diff := cmp.Diff([]int{1, 2}, got); diff != "" {
		t.Errorf("revision numbers (-want +got):\n%s", diff)
	}
	err := s.View(func(tx state.Tx) error {
		r, err := tx.CurrentRevision("staging")
		if err != nil {
			return err
		}
		if r.Number != 2 || r.Digest != "sha256:b" {
			t.Errorf("CurrentRevision = %d %s, want 2 sha256:b", r.Number, r.Digest)
		}
		if _, err := tx.Get("staging", 9); !errors.Is(err, state.ErrNoRevision) {
			t.Errorf("Get(9) = %v, want ErrNoRevision", err)
		}
		none, err := tx.CurrentRevision("prod")
		if none != nil || err != nil {
			t.Errorf("CurrentRevision(prod) = %v, %v, want nil, nil", none, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateRollsBackOnError(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "state.db"))
	boom := errors.New("boom")
	err := s.Update(func(tx state.Tx) error {
		if _, err := tx.Add(&state.Revision{Env: "staging"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	_ = s.View(func(tx state.Tx) error {
		revs, _ := tx.List("staging")
		if len(revs) != 0 {
			t.Errorf("List after failed Update = %d revisions, want 0", len(revs))
		}
		return nil
	})
}

func TestCorruptFileRefusedNotOverwritten(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"short", []byte("not a database")},
		{"garbage", bytes.Repeat([]byte("x"), 64<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s := New(path)
			s.Timeout = time.Second
			err := s.Update(func(tx state.Tx) error { _, err := tx.Add(&state.Revision{Env: "x"}); return err })
			if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Errorf("Update on corrupt file = %v, want state.ErrCorrupt naming the file", err)
			}
			if err := s.View(func(state.Tx) error { return nil }); !errors.Is(err, state.ErrCorrupt) {
				t.Errorf("View on corrupt file = %v, want ErrCorrupt", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tt.data) {
				t.Errorf("corrupt state file was modified")
			}
		})
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir, "prod", state.Holder{Command: "ferry promote staging prod"})
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	_, err = Acquire(dir, "prod", state.Holder{Command: "ferry deploy prod"})
	var le *state.LockedError
	if !errors.As(err, &le) || !errors.Is(err, state.ErrLocked) {
		t.Fatalf("second Acquire = %v, want *LockedError", err)
	}
	if le.Holder.Command != "ferry promote staging prod" || le.Holder.PID != os.Getpid() {
		t.Errorf("holder = %+v, want the promote command and this pid", le.Holder)
	}
	other, err := Acquire(dir, "staging", state.Holder{Command: "x"})
	if err != nil {
		t.Errorf("Acquire of another env = %v, want nil", err)
	}
	other.Release()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir, "prod", state.Holder{Command: "y"})
	if err != nil {
		t.Fatalf("Acquire after Release = %v", err)
	}
	again.Release()
}

// TestLockReleasedByKill proves a kill -9 of the holder frees the lock:
// the kernel drops an flock with its last descriptor.
func TestLockReleasedByKill(t *testing.T) {
	if os.Getenv("FERRY_LOCK_HELPER") != "" {
		if _, err := Acquire(os.Getenv("FERRY_LOCK_HELPER"), "prod", state.Holder{Command: "helper"}); err != nil {
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockReleasedByKill$")
	cmd.Env = append(os.Environ(), "FERRY_LOCK_HELPER="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("helper did not lock: %q %v", buf, err)
	}
	var le *state.LockedError
	if _, err := Acquire(dir, "prod", state.Holder{}); !errors.As(err, &le) || le.Holder.Command != "helper" {
		t.Fatalf("Acquire while helper holds = %v, want locked by helper", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(dir, "prod", state.Holder{})
	if err != nil {
		t.Fatalf("Acquire after kill -9 of holder = %v, want nil", err)
	}
	l.Release()
}
