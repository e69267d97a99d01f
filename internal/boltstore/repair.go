package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/state"
)

// Report is what Check found in a state file.
type Report struct {
	Path string `json:"path"`
	// OK says the file opened and every record in it decoded.
	OK bool `json:"ok"`
	// Environments maps each environment to its revision count.
	Environments map[string]int `json:"environments"`
	Revisions    int            `json:"revisions"`
	// Samples and LogLevels count the stored metric samples and log-level
	// settings that read.
	Samples   int `json:"samples"`
	LogLevels int `json:"logLevels"`
	// Problems are one line each: what could not be read and why.
	Problems []string `json:"problems"`
}

// Check reads the whole state file at path — every environment, every
// revision, every sample and log-level setting — without changing it, and
// reports what it could read.
func Check(path string) (*Report, error) { return New(path).Check() }

// Check reads the whole state file — every environment, every revision,
// every sample and log-level setting — without changing it, and reports
// what it could read.
func (s *Bolt) Check() (*Report, error) {
	meta, err := withFile(s, func(f *os.File) ([]string, error) { return metaProblems(f), nil })
	if err != nil {
		return nil, err
	}
	s = s.with(time.Second)
	rep := &Report{Path: s.path, Environments: map[string]int{}, Problems: []string{}}
	recs, err := s.readAll()
	for _, r := range recs.revs {
		rep.Environments[r.Env]++
		rep.Revisions++
	}
	rep.Samples, rep.LogLevels = recs.samples(), recs.logLevels()
	rep.Problems = append(rep.Problems, recs.problems...)
	rep.Problems = append(rep.Problems, meta...)
	if err == nil && len(rep.Problems) == 0 {
		// bbolt's structural check runs in a goroutine of its own,
		// where a fault on a wild page would not be recovered: only
		// after every bucket's pages read.
		err = s.View(func(t state.Tx) error {
			if tx := t.(*boltTx).tx; tx != nil {
				rep.Problems = append(rep.Problems, structure(tx)...)
			}
			return nil
		})
	}
	if err != nil {
		if !errors.Is(err, state.ErrCorrupt) {
			return nil, err
		}
		rep.Problems = append(rep.Problems, err.Error())
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// contents is what a store holds: the revisions and each environment's
// live one, the log-level settings, and every record of the other
// buckets (the metric samples, and whatever a later ferry keeps) with
// their buckets' sequences.
type contents struct {
	revs    []state.Revision
	current map[string]int
	levels  map[string][]remotelog.Setting
	records []record
	buckets []bucketSeq
}

// record is one key of a bucket other than the revisions and levels,
// copied as it is: path names its bucket from the top.
type record struct {
	path       [][]byte
	key, value []byte
}

// bucketSeq is a bucket and its sequence, so that the copy numbers new
// records after the old ones, and an empty bucket is kept.
type bucketSeq struct {
	path [][]byte
	seq  uint64
}

func (c *contents) samples() int {
	n := 0
	for _, r := range c.records {
		if bytes.Equal(r.path[0], bucketSamples) {
			n++
		}
	}
	return n
}

func (c *contents) logLevels() int {
	n := 0
	for _, ls := range c.levels {
		n += len(ls)
	}
	return n
}

// salvage is what could be read of a state file.
type salvage struct {
	contents
	problems []string
}

// readAll reads every record through bbolt, keeping what it gets before
// the file fails it.
func (s *Bolt) readAll() (salvage, error) {
	out := salvage{contents: contents{current: map[string]int{}, levels: map[string][]remotelog.Setting{}}}
	err := s.View(func(t state.Tx) error {
		tx := t.(*boltTx).tx
		if tx == nil {
			return nil
		}
		var err error
		out, err = readTx(tx)
		return err
	})
	return out, err
}

// readTx reads every record of tx.
func readTx(tx *bolt.Tx) (salvage, error) {
	out := salvage{contents: contents{current: map[string]int{}, levels: map[string][]remotelog.Setting{}}}
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		switch {
		case bytes.Equal(name, bucketEnvs):
			return out.readEnvs(b)
		case bytes.Equal(name, bucketLevels):
			return out.readLevels(b)
		}
		return out.walk([][]byte{bytes.Clone(name)}, b)
	})
	return out, err
}

// readEnvs reads every environment's revisions and live revision.
func (out *salvage) readEnvs(envs *bolt.Bucket) error {
	return envs.ForEach(func(name, v []byte) error {
		env := string(name)
		b := envs.Bucket(name)
		if b == nil {
			out.problems = append(out.problems, fmt.Sprintf("environment %q: not a bucket", env))
			return nil
		}
		if c := b.Get(keyCurrent); c != nil {
			n, err := readCurrent(env, c)
			if err != nil {
				out.problems = append(out.problems, fmt.Sprintf("environment %q: its live revision is unreadable (%s)", env, cause(err)))
			} else {
				out.current[env] = n
			}
		}
		_ = b.ForEach(func(k, v []byte) error {
			if !bytes.Equal(k, keyCurrent) && !(bytes.Equal(k, bucketRevs) && v == nil) {
				out.problems = append(out.problems, fmt.Sprintf("environment %q: an unknown key %q", env, k))
			}
			return nil
		})
		revs := b.Bucket(bucketRevs)
		if revs == nil {
			out.problems = append(out.problems, fmt.Sprintf("environment %q: no revisions bucket", env))
			return nil
		}
		// Revisions are numbered by the bucket's sequence and never
		// deleted: the sequence is the newest number.
		if k, _ := revs.Cursor().Last(); len(k) == 8 && binary.BigEndian.Uint64(k) != revs.Sequence() {
			out.problems = append(out.problems, fmt.Sprintf("environment %q: the revision sequence is %d, the newest revision %d", env, revs.Sequence(), binary.BigEndian.Uint64(k)))
		}
		return revs.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				out.problems = append(out.problems, fmt.Sprintf("environment %q: a revision key of %d bytes", env, len(k)))
				return nil
			}
			r, err := readRevision(env, k, v)
			if err != nil {
				out.problems = append(out.problems, fmt.Sprintf("environment %q revision %d: unreadable record (%s)", env, binary.BigEndian.Uint64(k), cause(err)))
				return nil
			}
			out.revs = append(out.revs, *r)
			return nil
		})
	})
}

// readLevels reads every environment's log-level settings, oldest first.
func (out *salvage) readLevels(levels *bolt.Bucket) error {
	return levels.ForEach(func(name, _ []byte) error {
		env := string(name)
		b := levels.Bucket(name)
		if b == nil {
			out.problems = append(out.problems, fmt.Sprintf("log levels of %q: not a bucket", env))
			return nil
		}
		if k, _ := b.Cursor().Last(); len(k) == 8 && binary.BigEndian.Uint64(k) != b.Sequence() {
			out.problems = append(out.problems, fmt.Sprintf("log levels of %q: the sequence is %d, the newest setting %d", env, b.Sequence(), binary.BigEndian.Uint64(k)))
		}
		return b.ForEach(func(k, v []byte) error {
			set, err := readLevel(env, k, v)
			if err != nil {
				out.problems = append(out.problems, fmt.Sprintf("log levels of %q: setting %x is unreadable (%v)", env, k, err))
				return nil
			}
			out.levels[env] = append(out.levels[env], set)
			return nil
		})
	})
}

// walk copies every record of b and of the buckets in it, checking the
// samples as soak reads them.
func (out *salvage) walk(path [][]byte, b *bolt.Bucket) error {
	out.buckets = append(out.buckets, bucketSeq{path: path, seq: b.Sequence()})
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				return out.walk(append(slices.Clip(path), bytes.Clone(k)), sub)
			}
		}
		if bytes.Equal(path[0], bucketSamples) {
			if _, err := decodeSample(path, k, v); err != nil || len(path) != 3 || len(k) != 8 {
				out.problems = append(out.problems, fmt.Sprintf("a sample under %s: unreadable record (%s)", pathName(path), errOr(err, "not where samples are kept")))
				return nil
			}
		}
		out.records = append(out.records, record{path: path, key: bytes.Clone(k), value: bytes.Clone(v)})
		return nil
	})
}

// pathName is a bucket path as a person reads it: samples/staging/4.
func pathName(path [][]byte) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if len(p) == 8 && i > 0 {
			parts[i] = strconv.FormatUint(binary.BigEndian.Uint64(p), 10)
		} else {
			parts[i] = fmt.Sprintf("%q", p)
		}
	}
	return strings.Join(parts, "/")
}

// scan finds revision records in the raw bytes of a file bbolt cannot
// read: each record is a JSON object stored whole in a page.
func scan(data []byte) []state.Revision {
	return scanRecords(data, func(r *state.Revision) bool { return r.Env != "" && r.Number > 0 })
}

// scanLevels finds log-level settings in the raw bytes of a file bbolt
// cannot read. They start as revisions do ({"env":…) but carry no
// revision number, and always who set them and when. Samples carry
// neither their environment nor their revision, so they cannot be told
// apart in raw bytes and are not looked for.
func scanLevels(data []byte) []remotelog.Setting {
	type setting struct {
		remotelog.Setting
		Number *int `json:"revision"`
	}
	found := scanRecords(data, func(r *setting) bool {
		return r.Number == nil && r.Env != "" && r.By != "" && !r.At.IsZero() && (r.Reset || validLevel(r.Level))
	})
	out := make([]remotelog.Setting, 0, len(found))
	for _, r := range found {
		out = append(out, r.Setting)
	}
	return out
}

// scanRecords decodes a T at every {"env":" in data and keeps those keep
// accepts.
func scanRecords[T any](data []byte, keep func(*T) bool) []T {
	var out []T
	marker := []byte(`{"env":"`)
	for i := 0; ; {
		j := bytes.Index(data[i:], marker)
		if j < 0 {
			return out
		}
		i += j
		var r T
		if err := json.NewDecoder(bytes.NewReader(data[i:])).Decode(&r); err == nil && keep(&r) {
			out = append(out, r)
		}
		i += len(marker)
	}
}

func validLevel(l string) bool {
	got, err := remotelog.Parse(l)
	return err == nil && got == l
}

// rank orders versions of one revision found in the raw bytes (bbolt
// leaves older copies in freed pages): a settled outcome beats pending,
// then the fuller record.
func rank(r state.Revision) int {
	n := len(r.Gates) + len(r.Instances)
	if r.Outcome != state.Pending {
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
	// Samples and LogLevels count the metric samples and log-level
	// settings copied.
	Samples   int `json:"samples"`
	LogLevels int `json:"logLevels"`
	// Scanned says records were recovered from the raw bytes because
	// bbolt could not read the file whole.
	Scanned bool `json:"scanned"`
}

// Repair copies every readable record of the state file at path into a
// new store — revisions, metric samples, log-level settings and any other
// bucket's records — moves the old file aside (path.damaged-<time>, kept)
// and puts the new one in its place. Revisions and log-level settings
// bbolt cannot reach are looked for in the file's raw bytes. Each
// environment's live revision is kept where it can be read, else the
// newest revision recorded live.
func Repair(path string, now time.Time) (*Repaired, error) { return New(path).Repair(now) }

// Repair is the package's Repair of s's file, in its confined directory.
func (s *Bolt) Repair(now time.Time) (*Repaired, error) {
	s = s.with(time.Second)
	got, err := s.readAll()
	if err != nil && !errors.Is(err, state.ErrCorrupt) {
		return nil, err
	}
	out := &Repaired{Environments: map[string]int{}}
	byKey := map[string]state.Revision{}
	key := func(r state.Revision) string { return fmt.Sprintf("%s/%d", r.Env, r.Number) }
	for _, r := range got.revs {
		byKey[key(r)] = r
	}
	if err != nil || len(got.problems) > 0 {
		data, rerr := withFile(s, func(f *os.File) ([]byte, error) { return io.ReadAll(f) })
		if rerr != nil {
			return nil, rerr
		}
		for _, r := range scan(data) {
			if old, ok := byKey[key(r)]; !ok || (!containsRev(got.revs, r) && rank(r) > rank(old)) {
				byKey[key(r)] = r
				out.Scanned = true
			}
		}
		for _, set := range scanLevels(data) {
			if !slices.ContainsFunc(got.levels[set.Env], set.Equal) {
				got.levels[set.Env] = append(got.levels[set.Env], set)
				out.Scanned = true
			}
		}
		// Settings are kept in the order they were made.
		for _, ls := range got.levels {
			sort.SliceStable(ls, func(i, j int) bool { return ls[i].At.Before(ls[j].At) })
		}
	}
	revs := make([]state.Revision, 0, len(byKey))
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
		if _, ok := got.current[r.Env]; !ok && r.Outcome == state.Live {
			current[r.Env] = max(current[r.Env], r.Number)
		}
	}
	r, err := s.dir(true)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	defer r.Close()
	tmp := s.name + ".repairing"
	r.Remove(tmp)
	got.revs, got.current = revs, current
	if err := write(r, tmp, &got.contents); err != nil {
		r.Remove(tmp)
		return nil, fmt.Errorf("state: writing the repaired store: %w", err)
	}
	old := s.name + ".damaged-" + now.UTC().Format("20060102T150405Z")
	out.Old = filepath.Join(filepath.Dir(s.path), old)
	if err := r.Rename(s.name, old); err != nil {
		r.Remove(tmp)
		return nil, fmt.Errorf("state: moving the damaged file aside: %w", err)
	}
	if err := r.Rename(tmp, s.name); err != nil {
		return nil, fmt.Errorf("state: putting the repaired store in place (the old file is %s): %w", out.Old, err)
	}
	out.Path = s.path
	for _, r := range revs {
		out.Environments[r.Env]++
		out.Revisions++
	}
	out.Samples, out.LogLevels = got.samples(), got.logLevels()
	return out, nil
}

// cause is a read error without ErrCorrupt's words, for a report line.
func cause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func containsRev(revs []state.Revision, r state.Revision) bool {
	for _, x := range revs {
		if x.Env == r.Env && x.Number == r.Number {
			return true
		}
	}
	return false
}

// write makes a new store named name in r holding c, with each
// environment's sequence past its highest revision so new numbers never
// collide.
func write(r *confine.Root, name string, c *contents) error {
	if _, err := r.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is in the way", filepath.Join(r.Dir(), name))
	}
	return newBolt(r, name, time.Second, func(tx *bolt.Tx) error {
		t := &boltTx{tx: tx}
		top := map[string]uint64{}
		for i := range c.revs {
			if err := t.Put(&c.revs[i]); err != nil {
				return err
			}
			top[c.revs[i].Env] = max(top[c.revs[i].Env], uint64(c.revs[i].Number))
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
		for env, n := range c.current {
			if top[env] == 0 {
				continue
			}
			if err := t.SetCurrent(env, n); err != nil {
				return err
			}
		}
		return writeRest(tx, c)
	})
}

// writeRest writes the log-level settings, renumbered in order, and the
// other buckets' records as they were.
func writeRest(tx *bolt.Tx, c *contents) error {
	for env, ls := range c.levels {
		b, err := nested(tx, true, bucketLevels, []byte(env))
		if err != nil {
			return err
		}
		for i, set := range ls {
			data, err := json.Marshal(set)
			if err != nil {
				return err
			}
			if err := b.Put(itob(i+1), seal(levelsPath(env), itob(i+1), data)); err != nil {
				return err
			}
		}
		if err := b.SetSequence(uint64(len(ls))); err != nil {
			return err
		}
	}
	for _, bs := range c.buckets {
		b, err := nested(tx, true, bs.path...)
		if err != nil {
			return err
		}
		if err := b.SetSequence(bs.seq); err != nil {
			return err
		}
	}
	for _, r := range c.records {
		b, err := nested(tx, true, r.path...)
		if err != nil {
			return err
		}
		if err := b.Put(r.key, r.value); err != nil {
			return err
		}
	}
	return nil
}
