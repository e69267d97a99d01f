package boltstore

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
)

// TestSamplesSurviveReopen: samples and log levels written by one store
// (a ferry serve) are read by another opened later on the same file (the
// serve restarted mid-soak), by environment, revision and time window.
func TestSamplesSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := New(path)
	var want []soak.Sample
	for i := range 5 {
		s := soak.Sample{At: t0.Add(time.Duration(i) * 5 * time.Second), Requests: float64(100 * i), Errors: float64(i), Start: 1000,
			Buckets: []soak.Bucket{{LE: 0.005, Count: float64(90 * i)}, {LE: 1, Count: float64(100 * i)}}}
		if i == 3 {
			s = soak.Sample{At: s.At, Err: "metrics endpoint http://127.0.0.1:2121/metrics answered 503 Service Unavailable"}
		}
		if err := w.AddSample("staging", 4, s); err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	// Another revision and another environment stay apart.
	_ = w.AddSample("staging", 5, soak.Sample{At: t0, Requests: 7})
	_ = w.AddSample("prod", 4, soak.Sample{At: t0, Requests: 9})
	set := remotelog.Setting{Env: "staging", Level: "DEBUG", By: "ann", At: t0, Until: t0.Add(15 * time.Minute)}
	if err := w.AddLevel(set); err != nil {
		t.Fatal(err)
	}
	_ = w.AddLevel(remotelog.Setting{Env: "staging", Reset: true, By: "bob", At: t0.Add(time.Minute)})

	r := New(path)
	tests := []struct {
		name     string
		env      string
		rev      int
		from, to time.Time
		want     []soak.Sample
	}{
		{"the whole window", "staging", 4, t0, t0.Add(time.Hour), want},
		{"a window's bounds are inclusive", "staging", 4, t0.Add(5 * time.Second), t0.Add(15 * time.Second), want[1:4]},
		{"another revision", "staging", 5, t0, t0, []soak.Sample{{At: t0, Requests: 7}}},
		{"an environment without samples", "qa", 4, t0, t0.Add(time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Samples(tt.env, tt.rev, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Samples (-want +got):\n%s", diff)
			}
		})
	}
	levels, err := r.LevelHistory("staging")
	if err != nil || len(levels) != 2 || levels[0] != set || !levels[1].Reset {
		t.Errorf("LevelHistory = %+v, %v", levels, err)
	}
	if empty, err := New(filepath.Join(t.TempDir(), "none.db")).LevelHistory("staging"); err != nil || empty != nil {
		t.Errorf("a store not yet written: %v, %v", empty, err)
	}
}
