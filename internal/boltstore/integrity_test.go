package boltstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/state"
)

// locate finds, in the state file at path, every copy of the record that
// find returns: its key and value, which bbolt keeps side by side in a
// leaf page. Old copies in freed pages do not matter; the live one is
// among them.
func locate(t *testing.T, path string, data []byte, find func(tx *bolt.Tx) (k, v []byte)) (at []int, n int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rec []byte
	err = db.View(func(tx *bolt.Tx) error {
		k, v := find(tx)
		if k == nil || v == nil {
			return errors.New("record not found")
		}
		rec = append(bytes.Clone(k), v...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		j := bytes.Index(data[i:], rec)
		if j < 0 {
			break
		}
		i += j
		at = append(at, i)
	}
	if len(at) == 0 {
		t.Fatalf("%x not in the file", rec)
	}
	return at, len(rec)
}

// records are the kinds of record ferry keeps, each found in a sample.
var records = []struct {
	name string
	find func(tx *bolt.Tx) (k, v []byte)
}{
	{"a revision", func(tx *bolt.Tx) ([]byte, []byte) {
		return tx.Bucket(bucketEnvs).Bucket([]byte("staging")).Bucket(bucketRevs).Cursor().Seek(itob(2))
	}},
	{"the live revision", func(tx *bolt.Tx) ([]byte, []byte) {
		return tx.Bucket(bucketEnvs).Bucket([]byte("prod")).Cursor().Seek(keyCurrent)
	}},
	{"a metric sample", func(tx *bolt.Tx) ([]byte, []byte) {
		return tx.Bucket(bucketSamples).Bucket([]byte("staging")).Bucket(itob(3)).Cursor().Last()
	}},
	{"a log-level setting", func(tx *bolt.Tx) ([]byte, []byte) {
		return tx.Bucket(bucketLevels).Bucket([]byte("prod")).Cursor().First()
	}},
}

// TestSingleBitFlips: a single flipped bit anywhere in a record or its
// key, of every kind, is found by Check, and every write refuses the
// file with the repair hint. Before records were sealed, 5 of 8 such
// flips went unnoticed, one of them changing a revision's digest.
func TestSingleBitFlips(t *testing.T) {
	path := fullSample(t)
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := Check(path); err != nil || !rep.OK {
		t.Fatalf("Check of the clean sample = %+v, %v", rep, err)
	}
	// Every bit of the key, the seal and the record's ends; in between
	// every 7th (7 is prime to 8: every bit position of a byte comes up).
	// A CRC finds every single-bit flip; this shows it is the one used
	// and that nothing reads around it.
	step := 7
	if testing.Short() {
		step = 29
	}
	for _, rec := range records {
		t.Run(rec.name, func(t *testing.T) {
			at, n := locate(t, path, clean, rec.find)
			var bits []int
			for b := 0; b < n*8; b++ {
				if b < 24*8 || b >= (n-8)*8 || b%step == 0 {
					bits = append(bits, b)
				}
			}
			missed := 0
			dir := t.TempDir()
			for i, bit := range bits {
				d := bytes.Clone(clean)
				for _, o := range at {
					d[o+bit/8] ^= 1 << (bit % 8)
				}
				p := filepath.Join(dir, "state.db")
				if err := os.WriteFile(p, d, 0o600); err != nil {
					t.Fatal(err)
				}
				rep, err := Check(p)
				if err != nil || rep.OK {
					missed++
					if missed <= 3 {
						t.Errorf("bit %d of the record's byte %d flipped: Check = %+v, %v; want a problem", bit%8, bit/8, rep, err)
					}
					continue
				}
				// Every eighth flip: a write must refuse the file too.
				if i%8 == 0 {
					err := New(p).AddLevel(remotelog.Setting{Env: "staging", Level: "WARN", By: "test", At: time.Now()})
					if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), "ferry state repair") {
						t.Errorf("bit %d of the record's byte %d flipped: AddLevel = %v, want it refused with the repair hint", bit%8, bit/8, err)
					}
				}
			}
			if missed > 0 {
				t.Errorf("%d of %d flips unnoticed", missed, len(bits))
			}
			t.Logf("%d flips, each found", len(bits))
		})
	}
}

// TestStructureDamageFound: damage to what holds the records together —
// the freelist, a meta page — is reported by Check and refuses writes,
// instead of check saying OK while writes fail or a change is silently
// lost.
func TestStructureDamageFound(t *testing.T) {
	tests := []struct {
		name   string
		damage func(d []byte)
		want   string // in Check's problems
	}{
		{"freelist page zeroed", func(d []byte) {
			page, meta := activeMeta(d)
			free := int(le64(meta[32:]))
			clear(d[free*page : (free+1)*page])
		}, "page structure"},
		{"a bit of a revisions bucket's sequence flipped", func(d []byte) {
			// The key "revisions", then the bucket's header: its root
			// page and its sequence, 3 (every copy: old ones are free).
			seq := []byte{3, 0, 0, 0, 0, 0, 0, 0}
			key := []byte("revisions")
			n := 0
			for i := 0; ; i++ {
				j := bytes.Index(d[i:], key)
				if j < 0 {
					break
				}
				i += j
				if at := i + len(key) + 8; at+8 <= len(d) && bytes.Equal(d[at:at+8], seq) {
					d[at] ^= 0x10
					n++
				}
			}
			if n == 0 {
				panic("no revisions bucket header found")
			}
		}, `the revision sequence is 19, the newest revision 3`},
		{"a bit of the newer meta page flipped", func(d []byte) {
			page, meta := activeMeta(d)
			_ = page
			meta[44] ^= 0x04 // the high-water mark
		}, "its checksum does not match, so bbolt reads the other one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fullSample(t)
			d, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(d)
			if err := os.WriteFile(path, d, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Check(path)
			if err != nil || rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), tt.want) {
				t.Errorf("Check = %+v, %v; want a problem with %q", rep, err, tt.want)
			}
			err = New(path).Update(func(tx state.Tx) error { return tx.SetCurrent("staging", 1) })
			if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), "ferry state repair") {
				t.Errorf("Update = %v, want it refused with the repair hint", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, d) {
				t.Error("the refused write changed the file")
			}
		})
	}
}

// activeMeta returns the page size and the meta (after the page header)
// of the meta page with the higher transaction id.
func activeMeta(d []byte) (int, []byte) {
	page := int(le32(d[16+8:]))
	m0, m1 := d[16:page], d[page+16:2*page]
	if le64(m1[48:]) > le64(m0[48:]) {
		return page, m1
	}
	return page, m0
}
