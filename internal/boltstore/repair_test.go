package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
)

// sampleT0 is when the sample's soak samples and log levels were taken.
var sampleT0 = time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)

// sample writes a store with two environments and a few revisions, as
// ferry leaves it after some deploys, and returns its path.
func sample(t testing.TB) string {
	t.Helper()
	return sampleOf(t, false)
}

// fullSample is sample with the soak samples ferry serve scraped of each
// live revision and a few log-level changes.
func fullSample(t testing.TB) string {
	t.Helper()
	return sampleOf(t, true)
}

func sampleOf(t testing.TB, full bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s := New(path)
	for _, env := range []string{"staging", "prod"} {
		for i := range 3 {
			r := &state.Revision{Env: env, Digest: fmt.Sprintf("sha256:%064d", i), Action: "deploy", Outcome: state.Superseded,
				Config:    []state.Entry{{Key: "DB_PASSWORD", Value: "hmac-sha256:00", Secret: true}, {Key: "LOG_LEVEL", Value: "INFO"}},
				Instances: []state.Instance{{Name: "pid 42"}}}
			if i == 2 {
				r.Outcome = state.Live
			}
			if err := s.Update(func(tx state.Tx) error {
				n, err := tx.Add(r)
				if err == nil && r.Outcome == state.Live {
					err = tx.SetCurrent(env, n)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !full {
			continue
		}
		for i := range sampleSamples {
			smp := soak.Sample{At: sampleT0.Add(time.Duration(i) * 5 * time.Second), Requests: float64(40 * i), Errors: float64(i / 2), Start: 1764586800,
				Buckets: []soak.Bucket{{LE: 0.05, Count: float64(38 * i)}, {LE: 0.5, Count: float64(40 * i)}}}
			if err := s.AddSample(env, 3, smp); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !full {
		return path
	}
	for _, set := range sampleLevels {
		if err := s.AddLevel(set); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// sampleSamples is how many samples sample stores per environment.
const sampleSamples = 4

// sampleLevels are the log-level changes sample stores, oldest first.
var sampleLevels = []remotelog.Setting{
	{Env: "staging", Level: "DEBUG", By: "ann@ci-runner-7", At: sampleT0, Until: sampleT0.Add(15 * time.Minute)},
	{Env: "prod", Level: "WARN", By: "bob via ferry serve (10.0.4.2)", At: sampleT0.Add(time.Minute)},
	{Env: "prod", Reset: true, By: "bob via ferry serve (10.0.4.2)", At: sampleT0.Add(20 * time.Minute)},
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
		// Half of the pages in use (bbolt's file may be longer).
		tmp := filepath.Join(t.TempDir(), "state.db")
		if err := os.WriteFile(tmp, d, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(tmp)
		if err != nil {
			t.Fatal(err)
		}
		need, _ := cutShort(f, int64(len(d)))
		f.Close()
		return d[:need/2+100]
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

// readSample reads what sample wrote: each environment's live revision,
// its whole history, its samples and its log levels.
func readSample(s *Bolt) error {
	err := s.View(func(tx state.Tx) error {
		for _, env := range []string{"staging", "prod"} {
			if _, err := tx.CurrentRevision(env); err != nil && !errors.Is(err, state.ErrNoRevision) {
				return err
			}
			if _, err := tx.List(env); err != nil {
				return err
			}
		}
		return nil
	})
	for _, env := range []string{"staging", "prod"} {
		if err != nil {
			return err
		}
		if _, err = s.Samples(env, 3, sampleT0, sampleT0.Add(time.Hour)); err == nil {
			_, err = s.LevelHistory(env)
		}
	}
	return err
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
			if !errors.Is(err, state.ErrCorrupt) {
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
			werr := s.Update(func(tx state.Tx) error { _, err := tx.Add(&state.Revision{Env: "prod"}); return err })
			if !errors.Is(werr, state.ErrCorrupt) {
				t.Errorf("writing a file with %s = %v, want ErrCorrupt", how, werr)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Errorf("the damaged file was modified")
			}
		})
	}
}

func TestRepair(t *testing.T) {
	good, err := os.ReadFile(fullSample(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		how string
		// min revisions the repaired store must hold (6 were written)
		min int
		// samples and log levels it must hold exactly: every one that was
		// written where bbolt reads the file, none or every one elsewhere
		// (samples cannot be told apart in raw bytes; levels can).
		samples, levels int
	}{
		{"intact", 6, 2 * sampleSamples, len(sampleLevels)},
		{"truncated mid-file", 0, -1, -1},
		{"meta pages zeroed", 6, 0, len(sampleLevels)},
		{"page headers scribbled", 6, 0, len(sampleLevels)},
		{"empty", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			data := good
			if tt.how != "intact" {
				data = damage(t, good, tt.how)
			}
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
			if (tt.samples >= 0 && got.Samples != tt.samples) || (tt.levels >= 0 && got.LogLevels != tt.levels) {
				t.Errorf("repaired %d samples and %d log levels, want %d and %d", got.Samples, got.LogLevels, tt.samples, tt.levels)
			}
			if old, _ := os.ReadFile(got.Old); !bytes.Equal(old, data) {
				t.Errorf("the damaged file was not kept as it was at %s", got.Old)
			}
			rep, err := Check(path)
			if err != nil || !rep.OK || rep.Revisions != got.Revisions || rep.Samples != got.Samples || rep.LogLevels != got.LogLevels {
				t.Fatalf("Check after repair = %+v, %v; repaired %+v", rep, err, got)
			}
			// The repaired store takes new revisions after the old ones,
			// and knows each environment's live revision.
			s := New(path)
			var n int
			if err := s.Update(func(tx state.Tx) error { n, err = tx.Add(&state.Revision{Env: "prod"}); return err }); err != nil {
				t.Fatal(err)
			}
			if n != got.Environments["prod"]+1 && got.Environments["prod"] == 3 {
				t.Errorf("next prod revision = %d after repairing %d", n, got.Environments["prod"])
			}
			if tt.min == 6 {
				s.View(func(tx state.Tx) error {
					if cur, _ := tx.Current("prod"); cur != 3 {
						t.Errorf("prod's live revision after repair = %d, want 3", cur)
					}
					return nil
				})
			}
			if tt.samples > 0 {
				smp, err := s.Samples("staging", 3, sampleT0, sampleT0.Add(time.Hour))
				if err != nil || len(smp) != sampleSamples || smp[1].Requests != 40 || len(smp[1].Buckets) != 2 {
					t.Errorf("staging's samples after repair = %+v, %v", smp, err)
				}
			}
			if tt.levels > 0 {
				// The history reads as it was, and a new setting comes
				// after it rather than over its first entry.
				next := remotelog.Setting{Env: "prod", Level: "ERROR", By: "cy", At: now}
				if err := s.AddLevel(next); err != nil {
					t.Fatal(err)
				}
				var all []remotelog.Setting
				for _, env := range []string{"staging", "prod"} {
					ls, err := s.LevelHistory(env)
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, ls...)
				}
				want := append(slices.Clone(sampleLevels), next)
				if diff := cmp.Diff(want, all, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
					t.Errorf("log levels after repair (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestCheckNamesUnreadableRecords: a sample or log-level record that
// bbolt reads but that does not decode is reported by check and left out
// by repair, which keeps every other record.
func TestCheckNamesUnreadableRecords(t *testing.T) {
	path := fullSample(t)
	s := New(path)
	if err := s.raw(false, func(tx *bolt.Tx) error {
		b, _ := nested(tx, false, bucketSamples, []byte("prod"), itob(3))
		if err := b.Put(timeKey(sampleT0.Add(time.Hour)), []byte(`{"at":"not a time"`)); err != nil {
			return err
		}
		b, _ = nested(tx, false, bucketLevels, []byte("staging"))
		return b.Put(itob(9), []byte(`{"env":"prod","level":"DEBUG"}`))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := Check(path)
	// A setting past the bucket's sequence is named as such too.
	if err != nil || rep.OK || len(rep.Problems) != 3 ||
		!strings.Contains(rep.Problems[0], `log levels of "staging": the sequence is 1, the newest setting 9`) ||
		!strings.Contains(rep.Problems[2], `a sample under "samples"/"prod"/3`) || !strings.Contains(rep.Problems[1], `log levels of "staging"`) {
		t.Fatalf("Check = %+v, %v; want the two records named", rep, err)
	}
	got, err := Repair(path, time.Now())
	if err != nil || got.Samples != 2*sampleSamples || got.LogLevels != len(sampleLevels) || got.Revisions != 6 {
		t.Fatalf("Repair = %+v, %v", got, err)
	}
	if rep, err := Check(path); err != nil || !rep.OK {
		t.Errorf("Check after repair = %+v, %v", rep, err)
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
		if err != nil && !errors.Is(err, state.ErrCorrupt) {
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
