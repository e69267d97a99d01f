package soak

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pods builds a sample sec seconds into the window whose parts are the
// given pods' samples (see at), with the sums at the top as a scrape
// makes them.
func pods(sec int, parts map[string]Sample) Sample {
	s := Sample{At: t0.Add(time.Duration(sec) * time.Second), Instances: map[string]Sample{}}
	for name, p := range parts {
		p.At = s.At
		s.Instances[name] = p
	}
	s.sumInstances()
	return s
}

func TestJudgeInstances(t *testing.T) {
	lim := Limits{Duration: 30 * time.Second, MaxErrorRatio: ratio(0.05), MaxP99: 500 * time.Millisecond, MinRequests: 100}
	restarted := func(s Sample) Sample { s.Start = 2000; return s }
	tests := []struct {
		name     string
		samples  []Sample
		state    State
		requests float64
		errors   float64
		restarts int
		worst    string
		reason   string // substring of Summary()
	}{
		{
			name: "requests are the sum over the pods",
			samples: []Sample{
				pods(0, map[string]Sample{"a": at(0, 100, 0, 0), "b": at(0, 50, 0, 0), "c": at(0, 10, 0, 0)}),
				pods(30, map[string]Sample{"a": at(0, 300, 1, 0), "b": at(0, 250, 1, 0), "c": at(0, 210, 1, 0)}),
			},
			state: Passed, requests: 600, errors: 3, reason: "every figure within its limit",
		},
		{
			name: "one pod serving 5xx fails the soak, naming it",
			samples: []Sample{
				pods(0, map[string]Sample{"a": at(0, 0, 0, 0), "b": at(0, 0, 0, 0), "c": at(0, 0, 0, 0)}),
				pods(30, map[string]Sample{"a": at(0, 100, 0, 0), "b": at(0, 100, 60, 0), "c": at(0, 100, 0, 0)}),
			},
			state: Failed, requests: 300, errors: 60, worst: "b", reason: "error ratio 20%, limit ≤ 5%; worst b: 60 of 100 requests failed (60%)",
		},
		{
			name: "a restart of one pod counts from zero for that pod alone",
			samples: []Sample{
				pods(0, map[string]Sample{"a": at(0, 1000, 0, 0), "b": at(0, 1000, 0, 0)}),
				pods(10, map[string]Sample{"a": at(0, 1100, 0, 0), "b": at(0, 1200, 0, 0)}),
				// b restarted: 30 since its start, while a went on from 1100.
				pods(20, map[string]Sample{"a": at(0, 1150, 0, 0), "b": restarted(at(0, 30, 0, 0))}),
				pods(30, map[string]Sample{"a": at(0, 1200, 0, 0), "b": restarted(at(0, 80, 0, 0))}),
			},
			// a: 200; b: 200 before the restart, 80 after it.
			state: Failed, requests: 480, restarts: 1, worst: "b", reason: "restarts 1, limit 0; worst b",
		},
		{
			// The sum drops (b's count falls from 500 to 20) while a's
			// grows: only b restarted, and a's 400 are not lost.
			name: "a restart without a start time is a drop of that pod's count",
			samples: []Sample{
				pods(0, map[string]Sample{"a": {Requests: 100}, "b": {Requests: 100}}),
				pods(15, map[string]Sample{"a": {Requests: 300}, "b": {Requests: 500}}),
				pods(30, map[string]Sample{"a": {Requests: 500}, "b": {Requests: 20}}),
			},
			state: Failed, requests: 820, restarts: 1, worst: "b",
		},
		{
			name: "a pod whose scrape failed keeps its last good counts",
			samples: []Sample{
				pods(0, map[string]Sample{"a": at(0, 100, 0, 0), "b": at(0, 100, 0, 0)}),
				pods(15, map[string]Sample{"a": at(0, 200, 0, 0), "b": {Err: "metrics endpoint answered 503"}}),
				pods(30, map[string]Sample{"a": at(0, 300, 0, 0), "b": at(0, 250, 0, 0)}),
			},
			state: Passed, requests: 350,
		},
		{
			name: "a new pod counts from zero",
			samples: []Sample{
				pods(0, map[string]Sample{"a": at(0, 100, 0, 0)}),
				pods(30, map[string]Sample{"a": at(0, 200, 0, 0), "d": at(0, 40, 0, 0)}),
			},
			state: Passed, requests: 140,
		},
		{
			name: "one slow pod fails p99, naming it",
			samples: []Sample{
				pods(0, map[string]Sample{"a": at(0, 0, 0, 0), "b": at(0, 0, 0, 0)}),
				pods(30, map[string]Sample{"a": at(0, 500, 0, 0), "b": at(0, 500, 0, 50)}),
			},
			state: Failed, requests: 1000, worst: "b", reason: "p99",
		},
		{
			// A baseline stored before per-pod scrapes (one sum) is
			// counted from as a sum.
			name: "a baseline without parts counts the sums",
			samples: []Sample{
				at(0, 100, 0, 0),
				pods(30, map[string]Sample{"a": at(0, 150, 0, 0), "b": at(0, 150, 0, 0)}),
			},
			state: Passed, requests: 200,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(tc.samples, NewWindow(t0, t0, t0.Add(30*time.Second), lim.Duration), lim)
			if v.State != tc.state || v.Requests != tc.requests || v.Restarts != tc.restarts {
				t.Errorf("state %s, %v requests, %d restarts; want %s, %v, %d (%s)", v.State, v.Requests, v.Restarts, tc.state, tc.requests, tc.restarts, v.Summary())
			}
			if tc.errors != 0 && v.Errors != tc.errors {
				t.Errorf("errors %v, want %v", v.Errors, tc.errors)
			}
			if tc.worst != "" && v.Worst != tc.worst {
				t.Errorf("worst %q, want %q (%+v)", v.Worst, tc.worst, v.Instances)
			}
			if !strings.Contains(v.Summary(), tc.reason) {
				t.Errorf("summary %q, want %q in it", v.Summary(), tc.reason)
			}
		})
	}
}

// TestScrapeInstances: a scraper with instances reads every one (real
// HTTP servers on 127.0.0.1), at most Concurrency at once, and sums them;
// one that fails is kept as a failed part.
func TestScrapeInstances(t *testing.T) {
	var inflight, peak atomic.Int32
	serve := func(n, e int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c := inflight.Add(1); c > peak.Load() {
				peak.Store(c)
			}
			defer inflight.Add(-1)
			time.Sleep(20 * time.Millisecond)
			fmt.Fprintf(w, "# TYPE app_http_response histogram\n"+
				"app_http_response_bucket{path=\"/orders\",status=\"200\",le=\"0.1\"} %d\napp_http_response_bucket{path=\"/orders\",status=\"200\",le=\"+Inf\"} %d\n"+
				"app_http_response_sum{path=\"/orders\",status=\"200\"} 1\napp_http_response_count{path=\"/orders\",status=\"200\"} %d\n"+
				"app_http_response_bucket{path=\"/orders\",status=\"500\",le=\"0.1\"} %d\napp_http_response_bucket{path=\"/orders\",status=\"500\",le=\"+Inf\"} %d\n"+
				"app_http_response_sum{path=\"/orders\",status=\"500\"} 1\napp_http_response_count{path=\"/orders\",status=\"500\"} %d\n",
				n-e, n-e, n-e, e, e, e)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/metrics"
	}
	urls := map[string]string{}
	for i := range 6 {
		urls[fmt.Sprintf("pod-%d", i)] = serve(10*(i+1), i)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	urls["pod-down"] = down.URL + "/metrics"
	sc := &Scraper{Concurrency: 2, Instances: func(context.Context) (map[string]string, *http.Client, error) { return urls, nil, nil }}
	s := sc.Scrape(context.Background())
	if s.Err != "" || len(s.Instances) != 7 {
		t.Fatalf("sample %+v", s)
	}
	if s.Requests != 210 || s.Errors != 15 {
		t.Errorf("sums: %v requests, %v errors; want 210, 15", s.Requests, s.Errors)
	}
	if len(s.Buckets) != 1 || s.Buckets[0].Count != 210 {
		t.Errorf("merged buckets %+v, want le 0.1: 210", s.Buckets)
	}
	if s.Instances["pod-5"].Requests != 60 || s.Instances["pod-5"].Errors != 5 {
		t.Errorf("pod-5's part %+v", s.Instances["pod-5"])
	}
	if !strings.Contains(s.Instances["pod-down"].Err, "nothing listens") {
		t.Errorf("pod-down's part %+v, want a failed scrape", s.Instances["pod-down"])
	}
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("%d scrapes at once, want at most 2", p)
	}

	none := (&Scraper{Instances: func(context.Context) (map[string]string, *http.Client, error) { return nil, nil, nil }}).Scrape(context.Background())
	if none.Err == "" {
		t.Errorf("no instances: %+v, want a failed sample", none)
	}
}
