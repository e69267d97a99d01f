package boltstore

import (
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What bbolt does not check on its own: it reads the newer meta page
// whose checksum holds and quietly falls back to the older one (a
// transaction lost), it trusts its freelist and branch pages, and it
// never looks at a value. metaProblems and the structural check
// (bbolt's own Tx.Check: every page reachable once, or free) cover the
// first two, sealed records the third. Check runs them all; a write
// runs them before it changes a file this process has not verified.

// metaProblems checks both meta pages of the file f: magic, version
// and checksum (FNV-64a of the fields before it, as bbolt writes them).
func metaProblems(f *os.File) []string {
	var out []string
	buf := make([]byte, 80)
	pageSize := int64(0)
	for i := range int64(2) {
		off := i * pageSize
		if i == 1 && pageSize == 0 {
			// meta 0 is damaged: take the size of the pages bbolt writes.
			off = int64(os.Getpagesize())
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			out = append(out, fmt.Sprintf("meta page %d: %v", i, err))
			continue
		}
		m := buf[16:]
		h := fnv.New64a()
		h.Write(m[:56])
		switch {
		case le32(m) != 0xED0CDAED:
			out = append(out, fmt.Sprintf("meta page %d: not a bbolt meta page", i))
		case le32(m[4:]) != 2:
			out = append(out, fmt.Sprintf("meta page %d: version %d, not 2", i, le32(m[4:])))
		case le64(m[56:]) != h.Sum64():
			out = append(out, fmt.Sprintf("meta page %d (transaction %d): its checksum does not match, so bbolt reads the other one and the change it recorded is lost", i, le64(m[48:])))
		default:
			if i == 0 {
				pageSize = int64(le32(m[8:]))
			}
		}
	}
	return out
}

// structure runs bbolt's consistency check on tx: every page below the
// high-water mark is reachable exactly once or free, the freelist reads,
// keys are in order.
func structure(tx *bolt.Tx) []string {
	var out []string
	for err := range tx.Check() {
		out = append(out, "page structure: "+err.Error())
		if len(out) == 10 {
			for range tx.Check() {
			}
			out = append(out, "page structure: more problems not listed")
			break
		}
	}
	return out
}

// verified remembers, per state file, the last state of it this process
// verified or wrote itself: a write needs no new verification until the
// file changes otherwise (another ferry's transaction, damage).
// files is made by the first write (a map literal here would be built
// at start-up for every command).
var verified struct {
	sync.Mutex
	files map[string]fileState
}

// fileState tells one state of a file from another: its transaction and
// what stat says.
type fileState struct {
	txid  int
	ino   uint64
	size  int64
	mtime time.Time
}

func (s *Bolt) stateOf(h *handle, txid int) (fileState, bool) {
	if h.file == nil {
		return fileState{}, false
	}
	st, err := h.file.Stat()
	if err != nil {
		return fileState{}, false
	}
	fs := fileState{txid: txid, size: st.Size(), mtime: st.ModTime()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		fs.ino = sys.Ino
	}
	return fs, true
}

// verify refuses to write into a damaged file: it checks the meta pages,
// every record and then the page structure, once per state of the file
// this process did not make itself.
func (s *Bolt) verify(h *handle) error {
	var txid int
	if err := h.db.View(func(tx *bolt.Tx) error { txid = tx.ID(); return nil }); err != nil {
		return err
	}
	now, ok := s.stateOf(h, txid)
	verified.Lock()
	done := ok && verified.files[s.path] == now
	verified.Unlock()
	if done {
		return nil
	}
	problems := metaProblems(h.file)
	err := h.db.View(func(tx *bolt.Tx) error {
		got, err := readTx(tx)
		problems = append(problems, got.problems...)
		if err == nil && len(problems) == 0 {
			// Only once every page of the buckets read: bbolt checks
			// in a goroutine of its own, where a fault on a wild page
			// could not be recovered.
			problems = append(problems, structure(tx)...)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(problems)-1)
		}
		return s.corrupt("is damaged: " + problems[0] + more)
	}
	s.sound(h, txid)
	return nil
}

// sound records the file's present state, at transaction txid, as sound.
func (s *Bolt) sound(h *handle, txid int) {
	if now, ok := s.stateOf(h, txid); ok {
		verified.Lock()
		if verified.files == nil {
			verified.files = map[string]fileState{}
		}
		verified.files[s.path] = now
		verified.Unlock()
	}
}

// update runs fn in a write transaction of h after verifying the file,
// and records the state it leaves as sound.
func (s *Bolt) update(h *handle, fn func(*bolt.Tx) error) error {
	if err := s.verify(h); err != nil {
		return err
	}
	var txid int
	err := h.db.Update(func(tx *bolt.Tx) error {
		txid = tx.ID()
		return fn(tx)
	})
	if err == nil {
		s.sound(h, txid)
	}
	return err
}
