package soak

import (
	"sort"
	"sync"
	"time"
)

// Sample is one scrape, reduced to what a soak is judged by. Counts are
// cumulative, as the service exposes them.
type Sample struct {
	At time.Time `json:"at"`
	// Err says why the scrape gave nothing (endpoint down, malformed
	// text); the other fields are then zero.
	Err string `json:"err,omitempty"`
	// Missing says the exposition has no such metric. A service creates
	// its series at its first request, so right after a start this is
	// zero requests; later, without a restart, the metric disappeared.
	Missing string `json:"missing,omitempty"`
	// Requests and Errors (status 5xx) are the metric's counts summed
	// over every series that is not ignored.
	Requests float64 `json:"requests"`
	Errors   float64 `json:"errors"`
	// Buckets are the histogram's cumulative buckets, merged over the
	// series; none when the metric is a counter.
	Buckets []Bucket `json:"buckets,omitempty"`
	// Start is the process start time (process_start_time_seconds), zero
	// when the service does not expose it.
	Start float64 `json:"start,omitempty"`
	// Live marks the baseline: the sample taken as the revision went
	// live, which its soak counts from.
	Live bool `json:"live,omitempty"`
	// Instances are the per-instance parts of a sample of several
	// instances (kube: one per ready pod, by name), whose sums are the
	// fields above. Each is counted against its own earlier parts, so a
	// restart of one instance counts from zero for it alone. Empty for a
	// sample of one instance.
	Instances map[string]Sample `json:"instances,omitempty"`
}

// Bucket is one cumulative histogram bucket: Count observations ≤ LE
// seconds.
type Bucket struct {
	LE    float64 `json:"le"`
	Count float64 `json:"count"`
}

// Store keeps the samples of each environment's revisions. ferry's state
// file implements it, so samples survive a restart of `ferry serve`.
type Store interface {
	// AddSample records s for revision rev of env.
	AddSample(env string, rev int, s Sample) error
	// Samples returns the samples of revision rev of env taken in
	// [from, to], oldest first.
	Samples(env string, rev int, from, to time.Time) ([]Sample, error)
}

// MemStore is a Store in memory, for tests and for `ferry soak --watch`
// without a state file.
type MemStore struct {
	mu sync.Mutex
	m  map[memKey][]Sample
}

type memKey struct {
	env string
	rev int
}

var _ Store = (*MemStore)(nil)

// AddSample implements Store.
func (m *MemStore) AddSample(env string, rev int, s Sample) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[memKey][]Sample{}
	}
	k := memKey{env, rev}
	m.m[k] = append(m.m[k], s)
	return nil
}

// Samples implements Store.
func (m *MemStore) Samples(env string, rev int, from, to time.Time) ([]Sample, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Sample
	for _, s := range m.m[memKey{env, rev}] {
		if !s.At.Before(from) && !s.At.After(to) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
