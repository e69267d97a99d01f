package soak

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// at builds a sample s seconds into the window: n requests, e of them
// 5xx, all answered within 5ms except slow ones answered in 0.75–1s.
func at(sec int, n, e, slow float64) Sample {
	return Sample{
		At: t0.Add(time.Duration(sec) * time.Second), Requests: n, Errors: e, Start: 1000,
		Buckets: []Bucket{{0.005, n - slow}, {0.5, n - slow}, {0.75, n - slow}, {1, n}},
	}
}

func ratio(r float64) *float64 { return &r }

func TestJudge(t *testing.T) {
	lim := Limits{Duration: 30 * time.Second, MaxErrorRatio: ratio(0.01), MaxP99: 500 * time.Millisecond, MinRequests: 100}
	tests := []struct {
		name    string
		samples []Sample
		to      int
		lim     Limits
		state   State
		reason  string // substring of Summary()
		figure  string // a figure with this name must have figState
		figSt   State
	}{
		{
			name:    "clean window passes",
			samples: []Sample{at(0, 50, 0, 0), at(15, 300, 1, 0), at(30, 600, 2, 0)},
			to:      30, lim: lim, state: Passed, reason: "every figure within its limit",
			figure: "error ratio", figSt: Passed,
		},
		{
			name:    "5% errors fail naming the ratio and the window",
			samples: []Sample{at(0, 0, 0, 0), at(15, 100, 5, 0), at(30, 200, 10, 0)},
			to:      30, lim: lim, state: Failed, reason: "error ratio 5%, limit ≤ 1% over 12:00:00–12:00:30 (30s)",
			figure: "error ratio", figSt: Failed,
		},
		{
			name:    "a ratio over the limit fails before the duration is up",
			samples: []Sample{at(0, 0, 0, 0), at(10, 200, 20, 0)},
			to:      10, lim: lim, state: Failed, reason: "error ratio 10%",
			figure: "duration", figSt: Soaking,
		},
		{
			name:    "slow tail fails p99",
			samples: []Sample{at(0, 0, 0, 0), at(30, 1000, 0, 50)},
			to:      30, lim: lim, state: Failed, reason: "p99",
			figure: "p99", figSt: Failed,
		},
		{
			name:    "too few requests is unknown, not passed",
			samples: []Sample{at(0, 0, 0, 0), at(30, 40, 0, 0)},
			to:      30, lim: lim, state: Unknown, reason: "too few requests to judge: 40, need 100",
			figure: "error ratio", figSt: Unknown,
		},
		{
			name:    "too few requests hides a bad ratio",
			samples: []Sample{at(0, 0, 0, 0), at(30, 10, 5, 0)},
			to:      30, lim: lim, state: Unknown, reason: "too few requests",
			figure: "error ratio", figSt: Unknown,
		},
		{
			name:    "not yet soaked",
			samples: []Sample{at(0, 0, 0, 0), at(10, 500, 0, 0)},
			to:      10, lim: lim, state: Soaking, reason: "10s of 30s soaked, 20s left",
		},
		{
			name: "a counter reset is a restart, not a negative rate",
			samples: []Sample{at(0, 0, 0, 0), at(10, 500, 0, 0),
				{At: t0.Add(20 * time.Second), Requests: 30, Buckets: []Bucket{{0.005, 30}, {1, 30}}, Start: 1000},
				at(30, 200, 0, 0)},
			to: 30, lim: lim, state: Failed, reason: "restarts 1, limit 0",
			figure: "requests", figSt: Passed,
		},
		{
			name: "a new start time is a restart even when counts grew",
			samples: []Sample{at(0, 0, 0, 0), at(10, 5, 0, 0),
				{At: t0.Add(20 * time.Second), Requests: 900, Buckets: []Bucket{{0.005, 900}, {1, 900}}, Start: 1020}},
			to: 30, lim: lim, state: Failed, reason: "restarts 1",
		},
		{
			name:    "no metrics endpoint",
			samples: []Sample{{At: t0, Err: "no metrics endpoint: nothing listens at http://127.0.0.1:2121/metrics"}, {At: t0.Add(30 * time.Second), Err: "no metrics endpoint: nothing listens at http://127.0.0.1:2121/metrics"}},
			to:      30, lim: lim, state: Unknown, reason: "no metrics: no metrics endpoint: nothing listens",
		},
		{
			name:    "metrics that disappear mid-soak",
			samples: []Sample{at(0, 0, 0, 0), at(10, 500, 0, 0), {At: t0.Add(20 * time.Second), Err: "the metrics have no app_http_response"}},
			to:      30, lim: lim, state: Unknown, reason: "the metrics stopped at 12:00:20: the metrics have no app_http_response",
		},
		{
			name: "a metric never seen is unknown, saying so",
			samples: []Sample{{At: t0, Missing: "the metrics have no app_http_response", Start: 1000},
				{At: t0.Add(30 * time.Second), Missing: "the metrics have no app_http_response", Start: 1000}},
			to: 30, lim: lim, state: Unknown, reason: "the metrics have no app_http_response",
		},
		{
			name: "a metric created at the first request starts from zero",
			samples: []Sample{{At: t0, Missing: "the metrics have no app_http_response", Start: 1000},
				at(30, 200, 0, 0)},
			to: 30, lim: lim, state: Passed,
		},
		{
			name: "a metric gone without a restart stops the soak",
			samples: []Sample{at(0, 0, 0, 0), at(10, 500, 0, 0),
				{At: t0.Add(20 * time.Second), Missing: "the metrics have no app_http_response", Start: 1000}},
			to: 30, lim: lim, state: Unknown, reason: "the metrics stopped at 12:00:20",
		},
		{
			name:    "a gap that heals is counted, not fatal",
			samples: []Sample{at(0, 0, 0, 0), {At: t0.Add(10 * time.Second), Err: "metrics endpoint answered 503"}, at(30, 500, 0, 0)},
			to:      30, lim: lim, state: Passed,
		},
		{
			name: "no samples yet",
			to:   30, lim: lim, state: Unknown, reason: "no metrics scraped yet",
		},
		{
			name: "time only needs no metrics",
			to:   30, lim: Limits{Duration: 30 * time.Second}, state: Passed,
		},
		{
			name:    "a counter cannot judge p99",
			samples: []Sample{{At: t0, Requests: 0, Start: 1000}, {At: t0.Add(30 * time.Second), Requests: 500, Start: 1000}},
			to:      30, lim: lim, state: Passed,
			figure: "p99", figSt: Unknown,
		},
		{
			name: "a process started in the window counts from zero",
			samples: []Sample{{At: t0.Add(5 * time.Second), Requests: 150, Errors: 0, Start: float64(t0.Unix() + 1),
				Buckets: []Bucket{{0.005, 150}}}},
			to: 30, lim: Limits{Duration: 30 * time.Second, MinRequests: 100}, state: Passed,
			figure: "requests", figSt: Passed,
		},
	}
	// One scrape of a process started after the deploy judges the whole
	// window, even when the window starts later (at health).
	t.Run("one scrape of a process started after the deploy", func(t *testing.T) {
		one := []Sample{{At: t0.Add(30 * time.Second), Requests: 400, Errors: 20, Start: float64(t0.Unix() - 2), Buckets: []Bucket{{0.005, 400}}}}
		v := Judge(one, Window{From: t0, To: t0.Add(30 * time.Second), Deployed: t0.Add(-3 * time.Second)}, lim)
		if v.State != Failed || v.Requests != 400 {
			t.Errorf("Judge = %s with %v requests (%s), want failed on 400", v.State, v.Requests, v.Summary())
		}
		v = Judge(one, Window{From: t0, To: t0.Add(30 * time.Second)}, lim)
		if v.State != Unknown {
			t.Errorf("without Deployed: %s (%s), want unknown (a baseline only)", v.State, v.Summary())
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.samples, Window{From: t0, To: t0.Add(time.Duration(tt.to) * time.Second)}, tt.lim)
			if v.State != tt.state {
				t.Fatalf("Judge state = %s (%s), want %s; figures %+v", v.State, v.Summary(), tt.state, v.Figures)
			}
			if !strings.Contains(v.Summary(), tt.reason) {
				t.Errorf("Summary() = %q, want it to contain %q", v.Summary(), tt.reason)
			}
			if v.Errors > v.Requests || v.Requests < 0 {
				t.Errorf("impossible counts: %v errors of %v", v.Errors, v.Requests)
			}
			if tt.figure != "" {
				found := false
				for _, f := range v.Figures {
					if f.Name == tt.figure {
						found = true
						if f.State != tt.figSt {
							t.Errorf("figure %s = %s (%s), want %s", f.Name, f.State, f.Value, tt.figSt)
						}
					}
				}
				if !found {
					t.Errorf("no figure %q in %+v", tt.figure, v.Figures)
				}
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		name    string
		buckets map[float64]float64
		n       float64
		q, want float64
	}{
		{"inside the first bucket", map[float64]float64{0.01: 100, 0.1: 100}, 100, 0.5, 0.005},
		{"interpolated in a later bucket", map[float64]float64{0.01: 50, 0.1: 100}, 100, 0.95, 0.091},
		{"beyond the last finite bucket", map[float64]float64{0.01: 50, 0.1: 60}, 100, 0.99, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := delta{requests: tt.n, buckets: tt.buckets}
			if got := d.quantile(tt.q); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestNewWindow(t *testing.T) {
	tests := []struct {
		name     string
		live, to int // seconds after t0
		d        time.Duration
		from     int
	}{
		{"younger than the soak: its whole life", 0, 20, 30 * time.Second, 0},
		{"exactly the soak", 0, 30, 30 * time.Second, 0},
		{"older: the last soak duration", 0, 100, 30 * time.Second, 70},
		{"no duration: its whole life", 5, 100, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := t0.Add(time.Duration(tt.live) * time.Second)
			w := NewWindow(live, live.Add(-time.Second), t0.Add(time.Duration(tt.to)*time.Second), tt.d)
			if want := t0.Add(time.Duration(tt.from) * time.Second); !w.From.Equal(want) || !w.Live.Equal(live) {
				t.Errorf("NewWindow = %+v, want From %s", w, want)
			}
		})
	}
}

// live is the baseline sample taken as a revision goes live.
func live(s Sample) Sample { s.Live = true; return s }

// TestJudgeWindow: the counts run from the last sample at or before the
// window's start to the newest, so how densely samples were taken bounds
// the window more or less precisely but never loses what was counted,
// and the verdict names the samples that bounded it.
func TestJudgeWindow(t *testing.T) {
	lim := Limits{Duration: 30 * time.Second, MaxErrorRatio: ratio(0.05), MinRequests: 100}
	end := t0.Add(40 * time.Second)
	win := NewWindow(t0, t0.Add(-2*time.Second), end, lim.Duration) // 12:00:10–12:00:40
	tests := []struct {
		name     string
		samples  []Sample
		w        Window
		state    State
		requests float64
		restarts int
		bounds   string
	}{
		{
			name: "no sampler: the baseline and the promote's own sample",
			// deploy, 400 requests (20 errors), promote: the CLI-only flow
			samples: []Sample{live(at(0, 0, 0, 0)), at(40, 400, 20, 0)},
			w:       win, state: Passed, requests: 400,
			bounds: "counted from the baseline taken live at 12:00:00 to the sample at 12:00:40",
		},
		{
			name: "a dense sampler bounds the window at its last sample before it",
			samples: []Sample{live(at(0, 0, 0, 0)), at(5, 300, 0, 0), at(9, 380, 0, 0),
				at(20, 400, 5, 0), at(40, 550, 8, 0)},
			w: win, state: Passed, requests: 170,
			bounds: "counted from the sample at 12:00:09 to the sample at 12:00:40",
		},
		{
			name:    "a sample exactly at the window's start bounds it",
			samples: []Sample{live(at(0, 0, 0, 0)), at(10, 300, 0, 0), at(40, 420, 0, 0)},
			w:       win, state: Passed, requests: 120,
			bounds: "counted from the sample at 12:00:10",
		},
		{
			name:    "load before the window, then quiet: too few in the window",
			samples: []Sample{live(at(0, 0, 0, 0)), at(5, 400, 0, 0), at(40, 400, 0, 0)},
			w:       win, state: Unknown, requests: 0,
		},
		{
			name:    "a failed scrape before the window does not bound it",
			samples: []Sample{live(at(0, 0, 0, 0)), {At: t0.Add(8 * time.Second), Err: "metrics endpoint answered 503"}, at(40, 400, 0, 0)},
			w:       win, state: Passed, requests: 400,
			bounds: "counted from the baseline taken live at 12:00:00",
		},
		{
			name:    "samples after the window's end are not counted",
			samples: []Sample{live(at(0, 0, 0, 0)), at(40, 400, 0, 0), at(45, 900, 500, 0)},
			w:       win, state: Passed, requests: 400,
		},
		{
			name: "a restart inside the window counts from zero",
			samples: []Sample{live(at(0, 0, 0, 0)), at(9, 200, 0, 0),
				{At: t0.Add(25 * time.Second), Requests: 120, Start: 1025, Buckets: []Bucket{{0.005, 120}}}},
			w: win, state: Failed, requests: 120, restarts: 1,
		},
		{
			name: "a restart between the baseline and the window counts from zero too",
			samples: []Sample{live(at(0, 0, 0, 0)),
				{At: t0.Add(40 * time.Second), Requests: 300, Start: 1005, Buckets: []Bucket{{0.005, 300}}}},
			w: win, state: Failed, requests: 300, restarts: 1,
		},
		{
			name: "no baseline: a process that started for the revision counts from zero",
			// The kernel's start time reads up to a second early.
			samples: []Sample{{At: end, Requests: 400, Start: float64(t0.Add(-2*time.Second).Unix()) - 0.8, Buckets: []Bucket{{0.005, 400}}}},
			w:       win, state: Passed, requests: 400,
			bounds: "counted from the process's start at 11:59:57",
		},
		{
			name:    "no baseline and an older process: the first sample is all there is",
			samples: []Sample{{At: t0.Add(20 * time.Second), Requests: 50, Start: 900}, {At: end, Requests: 450, Start: 900}},
			w:       win, state: Passed, requests: 400,
			bounds: "counted from the first sample at 12:00:20 (none before the window) to the sample at 12:00:40",
		},
		{
			name:    "a failed baseline falls back to the process's start",
			samples: []Sample{{At: t0, Err: "no metrics endpoint: nothing listens at http://127.0.0.1:2121/metrics", Live: true}, {At: end, Requests: 150, Start: float64(t0.Unix())}},
			w:       win, state: Passed, requests: 150,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.samples, tt.w, lim)
			if v.State != tt.state || v.Requests != tt.requests || v.Restarts != tt.restarts {
				t.Fatalf("Judge = %s, %v requests, %d restarts (%s); want %s, %v, %d", v.State, v.Requests, v.Restarts, v.Summary(), tt.state, tt.requests, tt.restarts)
			}
			if !strings.Contains(v.Summary(), "over 12:00:10–12:00:40 (30s)") || !strings.Contains(v.Summary(), tt.bounds) {
				t.Errorf("Summary() = %q, want the window and %q", v.Summary(), tt.bounds)
			}
			if d := v.Figures[0]; d.Name != "duration" || d.Value != "40s" || d.State != Passed {
				t.Errorf("duration figure = %+v, want 40s since live, passed", d)
			}
		})
	}
}
