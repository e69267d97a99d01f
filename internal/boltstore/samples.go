package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
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
		return b.Put(timeKey(smp.At), seal(samplesPath(env, rev), timeKey(smp.At), data))
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
			smp, err := decodeSample(samplesPath(env, rev), k, v)
			if err != nil {
				return fmt.Errorf("%w: a sample of %q revision %d: %v", state.ErrCorrupt, env, rev, err)
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
		k := itob(int(n))
		if b.Get(k) != nil {
			return fmt.Errorf("%w: the next log-level number of %q, %d, is taken", state.ErrCorrupt, set.Env, n)
		}
		return b.Put(k, seal(levelsPath(set.Env), k, data))
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
		return b.ForEach(func(k, v []byte) error {
			set, err := readLevel(env, k, v)
			if err != nil {
				return fmt.Errorf("%w: a log level of %q: %v", state.ErrCorrupt, env, err)
			}
			out = append(out, set)
			return nil
		})
	})
	return out, err
}

// decodeSample reads the sample stored as v under key in the bucket at path.
func decodeSample(path [][]byte, key, v []byte) (soak.Sample, error) {
	var smp soak.Sample
	data, err := unseal(path, key, v, jsonRecord)
	if err == nil {
		err = json.Unmarshal(data, &smp)
	}
	if err == nil && len(key) == 8 && !smp.At.Equal(time.Unix(0, int64(binary.BigEndian.Uint64(key)))) {
		err = errors.New("its time is not its key's")
	}
	return smp, err
}

// readLevel reads the log-level setting stored as v under key in env.
func readLevel(env string, key, v []byte) (remotelog.Setting, error) {
	var set remotelog.Setting
	data, err := unseal(levelsPath(env), key, v, jsonRecord)
	if err == nil {
		err = json.Unmarshal(data, &set)
	}
	if err == nil && set.Env != env {
		err = fmt.Errorf("the setting is %q's", set.Env)
	}
	return set, err
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
			err = s.update(h, fn)
		}
		panicked = false
		return err
	})
}
