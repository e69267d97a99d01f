package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
)

// The rest of an environment's record — the metric samples scraped while
// a revision soaks and the log-level settings made at run time — lives in
// a ConfigMap ferry-<release>-record beside the history Secret (neither
// holds a secret value), so that everyone promoting the environment
// judges one soak and sees one log-level history. Its keys are
// loglevels.json and samples-<revision>.json, each a JSON array, oldest
// first.
//
// A ConfigMap holds at most 1 MiB, so the record is bounded: the samples
// of the newest keptSampleRevisions revisions only (a soak judges the
// live one), at most maxSamples each — past that, every other sample of
// the older half is dropped, the baseline kept, so the record still
// spans the revision's life at a coarser step — and the newest
// maxLevels log-level settings.
const (
	keptSampleRevisions = 3
	maxSamples          = 400
	maxLevels           = 200
	levelsKey           = "loglevels.json"
	samplesPrefix       = "samples-"
)

func recordName(env Env) string { return "ferry-" + env.Release + "-record" }

func samplesKey(rev int) string { return samplesPrefix + strconv.Itoa(rev) + ".json" }

// mine refuses another environment's record: one Store is one
// environment's.
func (s *Store) mine(env string) error {
	if env != s.env.Name {
		return fmt.Errorf("the record of %s cannot hold %s's", s.env.Name, env)
	}
	return nil
}

// readRecord decodes key of the record into v; a missing record or key
// leaves v as it is.
func (s *Store) readRecord(key string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dial(s.env, s.k.Log)
	if err != nil {
		return err
	}
	cm, err := c.client.CoreV1().ConfigMaps(s.env.Namespace).Get(ctx, recordName(s.env), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: read record: %w", s.env.where(), err)
	}
	return s.decode(cm.Data, key, v)
}

func (s *Store) decode(data map[string]string, key string, v any) error {
	raw, ok := data[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("%w: %s: ConfigMap %s, %s: %w", state.ErrCorrupt, s.env.where(), recordName(s.env), key, err)
	}
	return nil
}

// changeRecord lets fn change the record's data and writes it back with
// the resourceVersion read, retrying when another ferry wrote between.
func (s *Store) changeRecord(fn func(data map[string]string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dial(s.env, s.k.Log)
	if err != nil {
		return err
	}
	cms := c.client.CoreV1().ConfigMaps(s.env.Namespace)
	return retryConflicts(func() error {
		cm, err := cms.Get(ctx, recordName(s.env), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm, err = nil, nil
		}
		if err != nil {
			return fmt.Errorf("%s: read record: %w", s.env.where(), err)
		}
		data := map[string]string{}
		if cm != nil {
			maps.Copy(data, cm.Data)
		}
		if err := fn(data); err != nil {
			return err
		}
		dropOldSamples(data)
		if cm == nil {
			_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: s.meta(recordName(s.env)), Data: data},
				metav1.CreateOptions{FieldManager: FieldManager})
		} else {
			cm.Data = data
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: FieldManager})
		}
		if err != nil {
			return fmt.Errorf("%s: write record: %w", s.env.where(), err)
		}
		return nil
	})
}

// appendRecord appends v to the JSON array under key, keeping what keep
// returns of it.
func appendRecord[T any](s *Store, key string, v T, keep func([]T) []T) error {
	return s.changeRecord(func(data map[string]string) error {
		var list []T
		if err := s.decode(data, key, &list); err != nil {
			return err
		}
		out, err := json.Marshal(keep(append(list, v)))
		if err != nil {
			return err
		}
		data[key] = string(out)
		return nil
	})
}

// AddSample implements state.Store in the cluster.
func (s *Store) AddSample(env string, rev int, smp soak.Sample) error {
	if err := s.mine(env); err != nil {
		return err
	}
	return appendRecord(s, samplesKey(rev), smp, func(list []soak.Sample) []soak.Sample {
		// A sample of one instant replaces the one stored, as the state
		// file's time-keyed buckets do.
		list = slices.DeleteFunc(list[:len(list)-1], func(x soak.Sample) bool { return x.At.Equal(smp.At) })
		list = append(list, smp)
		sort.SliceStable(list, func(i, j int) bool { return list[i].At.Before(list[j].At) })
		return thin(list)
	})
}

// thin halves the older half of samples past maxSamples, keeping the
// first (the baseline a soak counts from).
func thin(list []soak.Sample) []soak.Sample {
	if len(list) <= maxSamples {
		return list
	}
	half := len(list) / 2
	out := list[:1]
	for i := 1; i < half; i++ {
		if i%2 == 0 {
			out = append(out, list[i])
		}
	}
	return append(out, list[half:]...)
}

// dropOldSamples keeps the samples of the newest keptSampleRevisions
// revisions.
func dropOldSamples(data map[string]string) {
	var revs []int
	for k := range data {
		if n, ok := strings.CutPrefix(k, samplesPrefix); ok {
			if rev, err := strconv.Atoi(strings.TrimSuffix(n, ".json")); err == nil {
				revs = append(revs, rev)
			}
		}
	}
	slices.Sort(revs)
	for len(revs) > keptSampleRevisions {
		delete(data, samplesKey(revs[0]))
		revs = revs[1:]
	}
}

// Samples implements state.Store in the cluster.
func (s *Store) Samples(env string, rev int, from, to time.Time) ([]soak.Sample, error) {
	if err := s.mine(env); err != nil {
		return nil, err
	}
	var list []soak.Sample
	if err := s.readRecord(samplesKey(rev), &list); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(x soak.Sample) bool { return x.At.Before(from) || x.At.After(to) }), nil
}

// AddLevel implements state.Store in the cluster.
func (s *Store) AddLevel(set remotelog.Setting) error {
	if err := s.mine(set.Env); err != nil {
		return err
	}
	return appendRecord(s, levelsKey, set, func(l []remotelog.Setting) []remotelog.Setting {
		return l[max(0, len(l)-maxLevels):]
	})
}

// LevelHistory implements state.Store in the cluster.
func (s *Store) LevelHistory(env string) ([]remotelog.Setting, error) {
	if err := s.mine(env); err != nil {
		return nil, err
	}
	var list []remotelog.Setting
	return list, s.readRecord(levelsKey, &list)
}
