// Package boltstore is the project's own state.Store: one bbolt file,
// .ferry/state.db, with flock locks in the locks directory beside it, for
// the environments whose target keeps no record of its own (the local
// target). Every record is sealed with a checksum of its place in the
// file, so damage is found and refused in one line; Check and Repair are
// `ferry state check` and `ferry state repair`.
//
// It is internal so that bbolt stays an implementation detail: what the
// rest of ferry (and anyone embedding it) names is the state package.
package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/state"
)

// Bolt is the state file of one project (bbolt), with flock locks in the
// locks directory beside it.
type Bolt struct {
	path string
	// dir opens the directory the file and its locks are kept in; with
	// create false, a missing directory is fs.ErrNotExist.
	dir func(create bool) (*confine.Root, error)
	// name is the file's name in dir; shown is dir as refusals name it.
	name, shown string
	// Timeout bounds the wait for another ferry's transaction.
	Timeout time.Duration
}

var _ state.Store = (*Bolt)(nil)

// New returns the store kept at path (created on first write); its locks
// are in the directory "locks" beside it. The directory is the confined
// root: the file and the locks may not be links.
func New(path string) *Bolt {
	dir := filepath.Dir(path)
	return &Bolt{path: path, name: filepath.Base(path), shown: dir, Timeout: 10 * time.Second,
		dir: func(create bool) (*confine.Root, error) {
			if create {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, err
				}
			}
			return confine.Open(dir)
		}}
}

// Project returns the store of the project in dir: .ferry/state.db, with
// its locks in .ferry/locks, reached through confine's .ferry (created
// 0700; a .ferry that is a link, a file or another user's is refused).
// Reading a project without .ferry creates nothing.
func Project(dir string) *Bolt {
	return &Bolt{path: filepath.Join(dir, confine.StateDir, "state.db"), name: "state.db", shown: confine.StateDir, Timeout: 10 * time.Second,
		dir: func(create bool) (*confine.Root, error) {
			root, err := confine.Open(dir)
			if err != nil {
				return nil, err
			}
			defer root.Close()
			if !create {
				if _, err := root.Lstat(confine.StateDir); err != nil {
					return nil, err
				}
			}
			return root.Ferry()
		}}
}

// Lock implements Store with an flock on <dir>/locks/<env>.lock.
func (s *Bolt) Lock(_ context.Context, env string, h state.Holder) (state.Lock, error) {
	r, err := s.dir(true)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	defer r.Close()
	return acquire(r, "locks", at(s.shown, "locks"), env, h)
}

// Path returns the state file's path.
func (s *Bolt) Path() string { return s.path }

// handle is an open store: bbolt's DB and the file under it.
type handle struct {
	db   *bolt.DB
	file *os.File
}

// close closes the store. After bbolt panicked (a damaged file), its
// locks may be held by the transaction that died: the memory map and the
// file are released directly instead, so that this process (a test, a
// long-running ferry serve) is not left holding the file's lock.
func (h *handle) close(panicked bool) error {
	if !panicked {
		return h.db.Close()
	}
	if h.file != nil {
		unmap(h.file)
		return h.file.Close()
	}
	return nil
}

func (s *Bolt) open(readOnly bool) (*handle, error) {
	r, err := s.dir(!readOnly)
	switch {
	case errors.Is(err, fs.ErrNotExist) && readOnly:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("state: %w", err)
	}
	defer r.Close()
	shown := at(s.shown, s.name)
	if err := ownFile(r, s.name, shown); err != nil {
		return nil, err
	}
	st, err := r.Lstat(s.name)
	switch {
	case errors.Is(err, fs.ErrNotExist) && readOnly:
		return nil, nil
	case errors.Is(err, fs.ErrNotExist):
		if err := s.create(r); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("state: %w", err)
	case st.Size() == 0:
		// ferry creates the file whole (create); an empty one was not
		// written by it, and bbolt would quietly make it a new store.
		return nil, s.corrupt("is empty (0 bytes)")
	case st.Size() < minSize:
		// bbolt would read past a truncated file's end.
		return nil, s.corrupt(fmt.Sprintf("is %d bytes, too short for a store", st.Size()))
	}
	if st != nil {
		f, err := plainFile(r, s.name, shown, os.O_RDONLY, 0)
		if err != nil {
			return nil, err
		}
		need, short := cutShort(f, st.Size())
		f.Close()
		if short {
			return nil, s.corrupt(fmt.Sprintf("is cut short: %d bytes of the %d its header says", st.Size(), need))
		}
	}
	var db *bolt.DB
	var file *os.File
	panicked := true
	err = s.guard(func() error {
		var err error
		db, err = bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.Timeout, ReadOnly: readOnly,
			OpenFile: func(_ string, flag int, mode os.FileMode) (*os.File, error) {
				f, err := plainFile(r, s.name, shown, flag, mode)
				file = f
				return f, err
			}})
		panicked = false
		return err
	})
	if panicked && file != nil {
		// bbolt panicked inside Open, holding the file and perhaps a
		// memory map of it, which would keep its lock. (On an error it
		// cleans up itself.)
		(&handle{file: file}).close(true)
	}
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("state: %s is held by another ferry for over %s", s.path, s.Timeout)
		}
		if errors.Is(err, state.ErrCorrupt) || errors.Is(err, confine.ErrRefused) {
			return nil, err
		}
		return nil, s.corrupt(err.Error())
	}
	return &handle{db: db, file: file}, nil
}

// minSize is the smallest file bbolt writes: two meta pages, a freelist
// page and a root page of 4 KiB each.
const minSize = 4 * 4096

// create makes a new empty store in r by writing it beside and linking
// it into place, so that no ferry killed midway leaves an empty or
// half-written file under the name.
func (s *Bolt) create(r *confine.Root) error {
	tmp := fmt.Sprintf(".state-%d-%d.db", os.Getpid(), time.Now().UnixNano())
	defer r.Remove(tmp)
	if err := newBolt(r, tmp, s.Timeout, nil); err != nil {
		return fmt.Errorf("state: creating %s: %w", s.path, err)
	}
	// Link, not rename: a store another ferry created meanwhile wins.
	if err := r.Link(tmp, s.name); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("state: creating %s: %w", s.path, err)
	}
	return nil
}

// newBolt makes a new store named name in r, which must not exist yet,
// and runs fn (when not nil) in a write transaction on it.
func newBolt(r *confine.Root, name string, timeout time.Duration, fn func(*bolt.Tx) error) error {
	db, err := bolt.Open(filepath.Join(r.Dir(), name), 0o600, &bolt.Options{Timeout: timeout,
		OpenFile: func(_ string, flag int, mode os.FileMode) (*os.File, error) {
			return r.OpenFile(name, flag|os.O_EXCL, mode)
		}})
	if err != nil {
		return err
	}
	if fn != nil {
		err = db.Update(fn)
	}
	return errors.Join(err, db.Close())
}

// corrupt is the one-line refusal of a file that is not a store.
func (s *Bolt) corrupt(why string) error {
	if i := strings.IndexByte(why, '\n'); i >= 0 {
		why = why[:i]
	}
	return fmt.Errorf("%w: %s %s; ferry leaves it as it is: `ferry state check` says more, `ferry state repair` copies what is readable into a new file", state.ErrCorrupt, s.path, why)
}

// guard runs fn, which reads the file through bbolt, and turns a panic
// into ErrCorrupt: bbolt trusts the pages it reads and panics (or faults
// on its memory map) on a damaged file; ferry answers with one line.
func (s *Bolt) guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = s.corrupt(fmt.Sprintf("cannot be read (%v)", r))
		}
	}()
	return fn()
}

// Update runs fn in one read-write transaction: all of it lands or none.
func (s *Bolt) Update(fn func(state.Tx) error) (err error) {
	h, err := s.open(false)
	if err != nil {
		return err
	}
	panicked := true
	defer func() { err = errors.Join(err, h.close(panicked)) }()
	return s.guard(func() error {
		err := s.update(h, func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
		panicked = false
		return err
	})
}

// View runs fn in a read-only transaction. A store that does not exist yet
// reads as empty.
func (s *Bolt) View(fn func(state.Tx) error) (err error) {
	h, err := s.open(true)
	if err != nil {
		return err
	}
	if h == nil {
		return fn(&boltTx{})
	}
	panicked := true
	defer func() { err = errors.Join(err, h.close(panicked)) }()
	return s.guard(func() error {
		err := h.db.View(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
		panicked = false
		return err
	})
}

// boltTx is a transaction on the file.
type boltTx struct{ tx *bolt.Tx }

var (
	keyCurrent = []byte("current")
	bucketRevs = []byte("revisions")
	bucketEnvs = []byte("envs")
)

func (t *boltTx) env(name string, create bool) (*bolt.Bucket, error) {
	if t.tx == nil {
		return nil, nil
	}
	envs := t.tx.Bucket(bucketEnvs)
	if envs == nil {
		if !create {
			return nil, nil
		}
		var err error
		if envs, err = t.tx.CreateBucket(bucketEnvs); err != nil {
			return nil, err
		}
	}
	b := envs.Bucket([]byte(name))
	if b == nil && create {
		var err error
		if b, err = envs.CreateBucket([]byte(name)); err != nil {
			return nil, err
		}
		if _, err = b.CreateBucket(bucketRevs); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func itob(n int) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

// Current returns the environment's live revision number, 0 when none.
func (t *boltTx) Current(env string) (int, error) {
	b, err := t.env(env, false)
	if err != nil || b == nil {
		return 0, err
	}
	return readCurrent(env, b.Get(keyCurrent))
}

// readCurrent reads an environment's live revision number as stored.
func readCurrent(env string, v []byte) (int, error) {
	if v == nil {
		return 0, nil
	}
	n, err := unseal(envPath(env), keyCurrent, v, numberRecord)
	if err != nil || len(n) != 8 {
		return 0, fmt.Errorf("%w: the live revision of %q: %v", state.ErrCorrupt, env, errOr(err, "not a number"))
	}
	return int(binary.BigEndian.Uint64(n)), nil
}

func errOr(err error, why string) string {
	if err != nil {
		return err.Error()
	}
	return why
}

// CurrentRevision returns the live revision, nil when none.
func (t *boltTx) CurrentRevision(env string) (*state.Revision, error) {
	n, err := t.Current(env)
	if err != nil || n == 0 {
		return nil, err
	}
	return t.Get(env, n)
}

// SetCurrent makes revision n the live one (0: nothing live).
func (t *boltTx) SetCurrent(env string, n int) error {
	b, err := t.env(env, true)
	if err != nil {
		return err
	}
	return b.Put(keyCurrent, seal(envPath(env), keyCurrent, itob(n)))
}

// Get returns revision n of env, or ErrNoRevision.
func (t *boltTx) Get(env string, n int) (*state.Revision, error) {
	b, err := t.env(env, false)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w %d in %q", state.ErrNoRevision, n, env)
	}
	v := b.Bucket(bucketRevs).Get(itob(n))
	if v == nil {
		return nil, fmt.Errorf("%w %d in %q", state.ErrNoRevision, n, env)
	}
	return readRevision(env, itob(n), v)
}

// readRevision reads the revision stored as v under key in env.
func readRevision(env string, key, v []byte) (*state.Revision, error) {
	n := -1
	if len(key) == 8 {
		n = int(binary.BigEndian.Uint64(key))
	}
	data, err := unseal(revsPath(env), key, v, jsonRecord)
	if err != nil {
		return nil, fmt.Errorf("%w: revision %d of %q: %v", state.ErrCorrupt, n, env, err)
	}
	var r state.Revision
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: revision %d of %q: %v", state.ErrCorrupt, n, env, err)
	}
	if r.Env != env || r.Number != n {
		return nil, fmt.Errorf("%w: revision %d of %q: the record says revision %d of %q", state.ErrCorrupt, n, env, r.Number, r.Env)
	}
	return &r, nil
}

// List returns every revision of env, oldest first.
func (t *boltTx) List(env string) ([]state.Revision, error) {
	b, err := t.env(env, false)
	if err != nil || b == nil {
		return nil, err
	}
	var out []state.Revision
	err = b.Bucket(bucketRevs).ForEach(func(k, v []byte) error {
		r, err := readRevision(env, k, v)
		if err != nil {
			return err
		}
		out = append(out, *r)
		return nil
	})
	return out, err
}

// Add stores r as the environment's next revision and returns its number.
func (t *boltTx) Add(r *state.Revision) (int, error) {
	b, err := t.env(r.Env, true)
	if err != nil {
		return 0, err
	}
	revs := b.Bucket(bucketRevs)
	seq, err := revs.NextSequence()
	if err != nil {
		return 0, err
	}
	r.Number = int(seq)
	if revs.Get(itob(r.Number)) != nil {
		// A damaged sequence would overwrite a revision.
		return 0, fmt.Errorf("%w: %q's next revision number, %d, is taken", state.ErrCorrupt, r.Env, r.Number)
	}
	return r.Number, t.Put(r)
}

// Put stores r under its number, replacing what was there. A number past
// the environment's sequence (a store that numbers revisions after ones
// recorded elsewhere, as the gitops target's does) moves the sequence
// up to it, so that Add never hands that number out again.
func (t *boltTx) Put(r *state.Revision) error {
	b, err := t.env(r.Env, true)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	revs := b.Bucket(bucketRevs)
	if n := uint64(r.Number); n > revs.Sequence() {
		if err := revs.SetSequence(n); err != nil {
			return err
		}
	}
	return revs.Put(itob(r.Number), seal(revsPath(r.Env), itob(r.Number), data))
}
