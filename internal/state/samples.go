package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
)

// Metric samples and log-level settings live beside the revisions, in
// buckets of their own: samples/<env>/<revision>/<time> and
// loglevels/<env>/<sequence>. Kept in the state file, they survive a
// restart of ferry serve mid-soak.

var (
	bucketSamples = []byte("samples")
	bucketLevels  = []byte("loglevels")
)

var (
	_ soak.Store      = (*Bolt)(nil)
	_ remotelog.Store = (*Bolt)(nil)
)

func nested(tx *bolt.Tx, create bool, names ...[]byte) (*bolt.Bucket, error) {
	var b *bolt.Bucket
	for i, n := range names {
		var next *bolt.Bucket
		if i == 0 {
			next = tx.Bucket(n)
		} else {
			next = b.Bucket(n)
		}
		if next == nil {
			if !create {
				return nil, nil
			}
			var err error
			if i == 0 {
				next, err = tx.CreateBucket(n)
			} else {
				next, err = b.CreateBucket(n)
			}
			if err != nil {
				return nil, err
			}
		}
		b = next
	}
	return b, nil
}

func timeKey(t time.Time) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return k
}

// AddSample implements soak.Store.
func (s *Bolt) AddSample(env string, rev int, smp soak.Sample) error {
	data, err := json.Marshal(smp)
	if err != nil {
		return err
	}
	return s.raw(false, func(tx *bolt.Tx) error {
		b, err := nested(tx, true, bucketSamples, []byte(env), itob(rev))
		if err != nil {
			return err
		}
		return b.Put(timeKey(smp.At), data)
	})
}

// Samples implements soak.Store.
func (s *Bolt) Samples(env string, rev int, from, to time.Time) ([]soak.Sample, error) {
	var out []soak.Sample
	err := s.raw(true, func(tx *bolt.Tx) error {
		b, err := nested(tx, false, bucketSamples, []byte(env), itob(rev))
		if err != nil || b == nil {
			return err
		}
		c := b.Cursor()
		end := timeKey(to)
		for k, v := c.Seek(timeKey(from)); k != nil && string(k) <= string(end); k, v = c.Next() {
			var smp soak.Sample
			if err := json.Unmarshal(v, &smp); err != nil {
				return fmt.Errorf("%w: a sample of %q revision %d: %v", ErrCorrupt, env, rev, err)
			}
			out = append(out, smp)
		}
		return nil
	})
	return out, err
}

// AddLevel implements remotelog.Store.
func (s *Bolt) AddLevel(set remotelog.Setting) error {
	data, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return s.raw(false, func(tx *bolt.Tx) error {
		b, err := nested(tx, true, bucketLevels, []byte(set.Env))
		if err != nil {
			return err
		}
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(itob(int(n)), data)
	})
}

// LevelHistory implements remotelog.Store.
func (s *Bolt) LevelHistory(env string) ([]remotelog.Setting, error) {
	var out []remotelog.Setting
	err := s.raw(true, func(tx *bolt.Tx) error {
		b, err := nested(tx, false, bucketLevels, []byte(env))
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(_, v []byte) error {
			var set remotelog.Setting
			if err := json.Unmarshal(v, &set); err != nil {
				return fmt.Errorf("%w: a log level of %q: %v", ErrCorrupt, env, err)
			}
			out = append(out, set)
			return nil
		})
	})
	return out, err
}

// raw runs fn in a bbolt transaction of its own; a store that does not
// exist yet reads as empty.
func (s *Bolt) raw(readOnly bool, fn func(*bolt.Tx) error) (err error) {
	h, err := s.open(readOnly)
	if err != nil || h == nil {
		return err
	}
	panicked := true
	defer func() { err = errors.Join(err, h.close(panicked)) }()
	return s.guard(func() error {
		var err error
		if readOnly {
			err = h.db.View(fn)
		} else {
			err = h.db.Update(fn)
		}
		panicked = false
		return err
	})
}
