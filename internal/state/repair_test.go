package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sample writes a store with two environments and a few revisions, as
// ferry leaves it after some deploys, and returns its path.
func sample(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s := New(path)
	for _, env := range []string{"staging", "prod"} {
		for i := range 3 {
			r := &Revision{Env: env, Digest: fmt.Sprintf("sha256:%064d", i), Action: "deploy", Outcome: Superseded,
				Config:    []Entry{{Key: "DB_PASSWORD", Value: "hmac-sha256:00", Secret: true}, {Key: "LOG_LEVEL", Value: "INFO"}},
				Instances: []Instance{{Name: "pid 42", PID: 42}}}
			if i == 2 {
				r.Outcome = Live
			}
			if err := s.Update(func(tx Tx) error {
				n, err := tx.Add(r)
				if err == nil && r.Outcome == Live {
					err = tx.SetCurrent(env, n)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

// damage returns the sample's bytes damaged in one of the ways files
// really break: cut short, a page zeroed, garbage over a page.
func damage(t testing.TB, data []byte, how string) []byte {
	t.Helper()
	d := bytes.Clone(data)
	page := 4096
	switch how {
	case "empty":
		return nil
	case "truncated to 3 pages":
		return d[:3*page]
	case "truncated mid-file":
		return d[:len(d)/2+100]
	case "meta pages zeroed":
		clear(d[:2*page])
	case "every leaf page scribbled":
		for p := 2; p*page < len(d); p++ {
			for i := p*page + 16; i < (p+1)*page; i += 7 {
				d[i] ^= 0x5a
			}
		}
	case "page headers scribbled":
		for p := 2; p*page < len(d); p++ {
			copy(d[p*page:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x13, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		}
	default:
		t.Fatalf("unknown damage %q", how)
	}
	return d
}

// writeStore writes data as a state file and returns its store.
func writeStore(t *testing.T, data []byte) (*Bolt, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := New(path)
	s.Timeout = time.Second
	return s, path
}

// readSample reads what sample wrote: each environment's live revision
// and its whole history.
func readSample(s *Bolt) error {
	return s.View(func(tx Tx) error {
		for _, env := range []string{"staging", "prod"} {
			if _, err := tx.CurrentRevision(env); err != nil && !errors.Is(err, ErrNoRevision) {
				return err
			}
			if _, err := tx.List(env); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestDamagedFileRefusedInOneLine(t *testing.T) {
	good, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"empty", "truncated to 3 pages", "truncated mid-file", "meta pages zeroed", "every leaf page scribbled", "page headers scribbled"} {
		t.Run(how, func(t *testing.T) {
			data := damage(t, good, how)
			s, path := writeStore(t, data)
			err := readSample(s)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("reading a file with %s = %v, want ErrCorrupt", how, err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, path) || strings.Contains(msg, "goroutine") {
				t.Errorf("message is not one line naming the file: %q", msg)
			}
			rep, err := Check(path)
			if err != nil || rep.OK || len(rep.Problems) == 0 {
				t.Errorf("Check = %+v, %v, want problems reported", rep, err)
			}
			// Last: a panic inside bbolt's Open for writing keeps the
			// file locked for the rest of this process.
			werr := s.Update(func(tx Tx) error { _, err := tx.Add(&Revision{Env: "prod"}); return err })
			if !errors.Is(werr, ErrCorrupt) {
				t.Errorf("writing a file with %s = %v, want ErrCorrupt", how, werr)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Errorf("the damaged file was modified")
			}
		})
	}
}

func TestRepair(t *testing.T) {
	good, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		how string
		// min revisions the repaired store must hold (6 were written)
		min int
	}{
		{"truncated mid-file", 0},
		{"meta pages zeroed", 6},
		{"page headers scribbled", 6},
		{"empty", 0},
	}
	for _, tt := range tests {
		t.Run(tt.how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			data := damage(t, good, tt.how)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			got, err := Repair(path, now)
			if err != nil {
				t.Fatalf("Repair: %v", err)
			}
			if got.Revisions < tt.min {
				t.Errorf("repaired %d revisions, want at least %d", got.Revisions, tt.min)
			}
			if old, _ := os.ReadFile(got.Old); !bytes.Equal(old, data) {
				t.Errorf("the damaged file was not kept as it was at %s", got.Old)
			}
			rep, err := Check(path)
			if err != nil || !rep.OK || rep.Revisions != got.Revisions {
				t.Fatalf("Check after repair = %+v, %v", rep, err)
			}
			// The repaired store takes new revisions after the old ones,
			// and knows each environment's live revision.
			s := New(path)
			var n int
			if err := s.Update(func(tx Tx) error { n, err = tx.Add(&Revision{Env: "prod"}); return err }); err != nil {
				t.Fatal(err)
			}
			if n != got.Environments["prod"]+1 && got.Environments["prod"] == 3 {
				t.Errorf("next prod revision = %d after repairing %d", n, got.Environments["prod"])
			}
			if tt.min == 6 {
				s.View(func(tx Tx) error {
					if cur, _ := tx.Current("prod"); cur != 3 {
						t.Errorf("prod's live revision after repair = %d, want 3", cur)
					}
					return nil
				})
			}
		})
	}
}

// FuzzOpen damages a real state file by the fuzzer's edits — each 4
// bytes: where (scaled to the file), a byte, and whether to set it, xor
// it, or cut the file there — and reads it back: ferry must answer with
// the records or ErrCorrupt, never a panic, a fault or another error, and
// never change the file. Edits rather than whole files keep inputs small,
// so the fuzzer mutates and minimises fast. The seeds (one per kind of
// damage) run with every `go test`.
func FuzzOpen(f *testing.F) {
	good, err := os.ReadFile(sample(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00})                                                 // byte 0 set to 0
	f.Add([]byte{0x00, 0x10, 0xff, 0x01})                                                 // xor in the second meta page
	f.Add([]byte{0x80, 0x00, 0x00, 0x02})                                                 // cut at half
	f.Add([]byte{0x20, 0x00, 0x55, 0x01, 0x30, 0x00, 0xaa, 0x01, 0x40, 0x00, 0x0f, 0x00}) // leaf bytes
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00}) // meta magic
	f.Fuzz(func(t *testing.T, edits []byte) {
		if os.Getenv("FERRY_FUZZ_WATCH") != "" {
			done := make(chan struct{})
			defer close(done)
			go func() {
				select {
				case <-done:
				case <-time.After(3 * time.Second):
					os.WriteFile(os.Getenv("FERRY_FUZZ_WATCH"), edits, 0o644)
					buf := make([]byte, 1<<20)
					os.WriteFile(os.Getenv("FERRY_FUZZ_WATCH")+".stack", buf[:runtime.Stack(buf, true)], 0o644)
				}
			}()
		}
		data := bytes.Clone(good)
		for i := 0; i+3 < len(edits) && len(data) > 0; i += 4 {
			at := int(edits[i])<<8 | int(edits[i+1])
			at = at * len(data) / 65536
			switch edits[i+3] % 3 {
			case 0:
				data[at] = edits[i+2]
			case 1:
				data[at] ^= edits[i+2]
			case 2:
				data = data[:at]
			}
		}
		s, path := writeStore(t, data)
		err := readSample(s)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("View = %v, want nil or ErrCorrupt", err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("a message of several lines: %q", err)
		}
		if _, err := Check(path); err != nil {
			t.Fatalf("Check = %v", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
			t.Fatal("the file was modified")
		}
	})
}

// FuzzScan feeds arbitrary bytes to the raw record scanner repair falls
// back on: it must never panic, and what it returns must be revisions.
func FuzzScan(f *testing.F) {
	f.Add([]byte(`{"env":"prod","revision":3,"digest":"sha256:00","outcome":"live"}`))
	f.Add([]byte(`xx{"env":"prod","revision":1}{"env":"`))
	f.Add([]byte(`{"env":"","revision":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range scan(data) {
			if r.Env == "" || r.Number <= 0 {
				t.Fatalf("scan returned %+v", r)
			}
		}
	})
}
