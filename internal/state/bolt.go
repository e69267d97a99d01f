package state

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrCorrupt is returned when the state file cannot be read as a store.
// ferry never overwrites such a file.
var ErrCorrupt = errors.New("state file is corrupted")

// ErrNoRevision is returned for a revision number an environment lacks.
var ErrNoRevision = errors.New("no such revision")

// Bolt is the state file of one project (bbolt), with flock locks in the
// locks directory beside it.
type Bolt struct {
	path string
	// Timeout bounds the wait for another ferry's transaction.
	Timeout time.Duration
}

var _ Store = (*Bolt)(nil)

// New returns the store kept at path (created on first write); its locks
// are in the directory "locks" beside it.
func New(path string) *Bolt { return &Bolt{path: path, Timeout: 10 * time.Second} }

// Lock implements Store with an flock on <dir>/locks/<env>.lock.
func (s *Bolt) Lock(_ context.Context, env string, h Holder) (Lock, error) {
	return Acquire(filepath.Join(filepath.Dir(s.path), "locks"), env, h)
}

// Path returns the state file's path.
func (s *Bolt) Path() string { return s.path }

func (s *Bolt) open(readOnly bool) (*bolt.DB, error) {
	if readOnly {
		if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	} else if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if st, err := os.Stat(s.path); err == nil && st.Size() > 0 && st.Size() < 4096 {
		// bbolt would read past a truncated file's end; call it what it is.
		return nil, fmt.Errorf("%w: %s is %d bytes, too short for a store; move it aside to start afresh", ErrCorrupt, s.path, st.Size())
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.Timeout, ReadOnly: readOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("state: %s is held by another ferry for over %s", s.path, s.Timeout)
		}
		return nil, fmt.Errorf("%w: %s: %v; move it aside to start afresh", ErrCorrupt, s.path, err)
	}
	return db, nil
}

// Update runs fn in one read-write transaction: all of it lands or none.
func (s *Bolt) Update(fn func(Tx) error) (err error) {
	db, err := s.open(false)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return db.Update(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
}

// View runs fn in a read-only transaction. A store that does not exist yet
// reads as empty.
func (s *Bolt) View(fn func(Tx) error) (err error) {
	db, err := s.open(true)
	if err != nil {
		return err
	}
	if db == nil {
		return fn(&boltTx{})
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return db.View(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
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
	v := b.Get(keyCurrent)
	if len(v) != 8 {
		return 0, nil
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

// CurrentRevision returns the live revision, nil when none.
func (t *boltTx) CurrentRevision(env string) (*Revision, error) {
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
	return b.Put(keyCurrent, itob(n))
}

// Get returns revision n of env, or ErrNoRevision.
func (t *boltTx) Get(env string, n int) (*Revision, error) {
	b, err := t.env(env, false)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w %d in %q", ErrNoRevision, n, env)
	}
	v := b.Bucket(bucketRevs).Get(itob(n))
	if v == nil {
		return nil, fmt.Errorf("%w %d in %q", ErrNoRevision, n, env)
	}
	var r Revision
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("%w: revision %d of %q: %v", ErrCorrupt, n, env, err)
	}
	return &r, nil
}

// List returns every revision of env, oldest first.
func (t *boltTx) List(env string) ([]Revision, error) {
	b, err := t.env(env, false)
	if err != nil || b == nil {
		return nil, err
	}
	var out []Revision
	err = b.Bucket(bucketRevs).ForEach(func(k, v []byte) error {
		var r Revision
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: %q revision %d: %v", ErrCorrupt, env, binary.BigEndian.Uint64(k), err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// Add stores r as the environment's next revision and returns its number.
func (t *boltTx) Add(r *Revision) (int, error) {
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
	return r.Number, t.Put(r)
}

// Put stores r under its number, replacing what was there.
func (t *boltTx) Put(r *Revision) error {
	b, err := t.env(r.Env, true)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Bucket(bucketRevs).Put(itob(r.Number), data)
}
