package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Report is what Check found in a state file.
type Report struct {
	Path string `json:"path"`
	// OK says the file opened and every record in it decoded.
	OK bool `json:"ok"`
	// Environments maps each environment to its revision count.
	Environments map[string]int `json:"environments"`
	Revisions    int            `json:"revisions"`
	// Problems are one line each: what could not be read and why.
	Problems []string `json:"problems"`
}

// Check reads the whole state file at path — every environment, every
// revision — without changing it, and reports what it could read.
func Check(path string) (*Report, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s := New(path)
	s.Timeout = time.Second
	rep := &Report{Path: path, Environments: map[string]int{}, Problems: []string{}}
	recs, err := s.readAll()
	for _, r := range recs.revs {
		rep.Environments[r.Env]++
		rep.Revisions++
	}
	rep.Problems = append(rep.Problems, recs.problems...)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		rep.Problems = append(rep.Problems, err.Error())
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// salvage is what could be read of a state file.
type salvage struct {
	revs     []Revision
	current  map[string]int
	problems []string
}

// readAll reads every record through bbolt, keeping what it gets before
// the file fails it.
func (s *Bolt) readAll() (salvage, error) {
	out := salvage{current: map[string]int{}}
	err := s.View(func(t Tx) error {
		tx := t.(*boltTx).tx
		if tx == nil {
			return nil
		}
		envs := tx.Bucket(bucketEnvs)
		if envs == nil {
			return nil
		}
		return envs.ForEach(func(name, v []byte) error {
			env := string(name)
			b := envs.Bucket(name)
			if b == nil {
				out.problems = append(out.problems, fmt.Sprintf("environment %q: not a bucket", env))
				return nil
			}
			if c := b.Get(keyCurrent); len(c) == 8 {
				out.current[env] = int(binary.BigEndian.Uint64(c))
			}
			revs := b.Bucket(bucketRevs)
			if revs == nil {
				out.problems = append(out.problems, fmt.Sprintf("environment %q: no revisions bucket", env))
				return nil
			}
			return revs.ForEach(func(k, v []byte) error {
				var r Revision
				if len(k) != 8 {
					out.problems = append(out.problems, fmt.Sprintf("environment %q: a revision key of %d bytes", env, len(k)))
					return nil
				}
				n := int(binary.BigEndian.Uint64(k))
				if err := json.Unmarshal(v, &r); err != nil || r.Env != env || r.Number != n {
					out.problems = append(out.problems, fmt.Sprintf("environment %q revision %d: unreadable record", env, n))
					return nil
				}
				out.revs = append(out.revs, r)
				return nil
			})
		})
	})
	return out, err
}

// scan finds revision records in the raw bytes of a file bbolt cannot
// read: each record is a JSON object stored whole in a page.
func scan(data []byte) []Revision {
	var out []Revision
	marker := []byte(`{"env":"`)
	for i := 0; ; {
		j := bytes.Index(data[i:], marker)
		if j < 0 {
			return out
		}
		i += j
		var r Revision
		if err := json.NewDecoder(bytes.NewReader(data[i:])).Decode(&r); err == nil && r.Env != "" && r.Number > 0 {
			out = append(out, r)
		}
		i += len(marker)
	}
}

// rank orders versions of one revision found in the raw bytes (bbolt
// leaves older copies in freed pages): a settled outcome beats pending,
// then the fuller record.
func rank(r Revision) int {
	n := len(r.Gates) + len(r.Instances)
	if r.Outcome != Pending {
		n += 1000
	}
	return n
}

// Repaired says what Repair did.
type Repaired struct {
	// Path is the new store, now at the old one's name; Old where the
	// damaged file was moved.
	Path string `json:"path"`
	Old  string `json:"old"`
	// Revisions counts the records copied, by environment.
	Environments map[string]int `json:"environments"`
	Revisions    int            `json:"revisions"`
	// Scanned says records were recovered from the raw bytes because
	// bbolt could not read the file whole.
	Scanned bool `json:"scanned"`
}

// Repair copies every readable record of the state file at path into a
// new store, moves the old file aside (path.damaged-<time>, kept) and
// puts the new one in its place. Records bbolt cannot reach are looked
// for in the file's raw bytes. Each environment's live revision is kept
// where it can be read, else the newest revision recorded live.
func Repair(path string, now time.Time) (*Repaired, error) {
	s := New(path)
	s.Timeout = time.Second
	got, err := s.readAll()
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return nil, err
	}
	out := &Repaired{Environments: map[string]int{}}
	byKey := map[string]Revision{}
	key := func(r Revision) string { return fmt.Sprintf("%s/%d", r.Env, r.Number) }
	for _, r := range got.revs {
		byKey[key(r)] = r
	}
	if err != nil || len(got.problems) > 0 {
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, fmt.Errorf("state: %w", rerr)
		}
		for _, r := range scan(data) {
			if old, ok := byKey[key(r)]; !ok || (!containsRev(got.revs, r) && rank(r) > rank(old)) {
				byKey[key(r)] = r
				out.Scanned = true
			}
		}
	}
	revs := make([]Revision, 0, len(byKey))
	for _, r := range byKey {
		revs = append(revs, r)
	}
	sort.Slice(revs, func(i, j int) bool {
		if revs[i].Env != revs[j].Env {
			return revs[i].Env < revs[j].Env
		}
		return revs[i].Number < revs[j].Number
	})
	current := map[string]int{}
	for env, n := range got.current {
		if _, ok := byKey[fmt.Sprintf("%s/%d", env, n)]; ok || n == 0 {
			current[env] = n
		}
	}
	for _, r := range revs {
		if _, ok := got.current[r.Env]; !ok && r.Outcome == Live {
			current[r.Env] = max(current[r.Env], r.Number)
		}
	}
	tmp := path + ".repairing"
	os.Remove(tmp)
	if err := write(tmp, revs, current); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("state: writing the repaired store: %w", err)
	}
	out.Old = path + ".damaged-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, out.Old); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("state: moving the damaged file aside: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("state: putting the repaired store in place (the old file is %s): %w", out.Old, err)
	}
	out.Path = path
	for _, r := range revs {
		out.Environments[r.Env]++
		out.Revisions++
	}
	return out, nil
}

func containsRev(revs []Revision, r Revision) bool {
	for _, x := range revs {
		if x.Env == r.Env && x.Number == r.Number {
			return true
		}
	}
	return false
}

// write makes a new store at path holding revs, with each environment's
// sequence past its highest revision so new numbers never collide.
func write(path string, revs []Revision, current map[string]int) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is in the way", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		t := &boltTx{tx: tx}
		top := map[string]uint64{}
		for i := range revs {
			if err := t.Put(&revs[i]); err != nil {
				return err
			}
			top[revs[i].Env] = max(top[revs[i].Env], uint64(revs[i].Number))
		}
		for env, n := range top {
			b, err := t.env(env, true)
			if err != nil {
				return err
			}
			if err := b.Bucket(bucketRevs).SetSequence(n); err != nil {
				return err
			}
		}
		for env, n := range current {
			if top[env] == 0 {
				continue
			}
			if err := t.SetCurrent(env, n); err != nil {
				return err
			}
		}
		return nil
	})
	return errors.Join(err, db.Close())
}
