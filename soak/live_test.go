package soak

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// service is a real HTTP service on 127.0.0.1 instrumented as kit and
// GoFr instrument theirs (app_http_response by path, method and status,
// GoFr's buckets), with its /metrics on a second listener. failEvery
// makes every n-th request a 500 (0: never).
type service struct {
	app, metrics *httptest.Server
	failEvery    atomic.Int64
	n            atomic.Int64
}

func newService(t *testing.T) *service {
	t.Helper()
	reg := prometheus.NewRegistry()
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "app_http_response",
		Help:    "Response time of HTTP requests in seconds.",
		Buckets: []float64{.001, .003, .005, .01, .02, .03, .05, .1, .2, .3, .5, .75, 1, 2, 3, 5, 10, 30},
	}, []string{"path", "method", "status"})
	reg.MustRegister(hist)
	s := &service{}
	s.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := http.StatusOK
		if f := s.failEvery.Load(); f > 0 && s.n.Add(1)%f == 0 {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		hist.WithLabelValues("/orders", r.Method, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	}))
	s.metrics = httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(s.app.Close)
	t.Cleanup(s.metrics.Close)
	return s
}

func (s *service) load(t *testing.T, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(s.app.URL + "/orders")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

// TestLiveSoak soaks a real service under generated load: with no errors
// the window passes; at 5% 5xx it fails naming the error ratio; with too
// few requests it is unknown; and when the endpoint goes away the soak
// says so.
func TestLiveSoak(t *testing.T) {
	lim := Limits{Duration: 100 * time.Millisecond, MaxErrorRatio: ratio(0.01), MaxP99: 500 * time.Millisecond, MinRequests: 100}
	tests := []struct {
		name      string
		failEvery int64
		requests  int
		state     State
		reason    string
	}{
		{"0% 5xx passes", 0, 400, Passed, "every figure within its limit"},
		{"5% 5xx fails on the error ratio", 20, 400, Failed, "error ratio 5%, limit ≤ 1%"},
		{"too few requests is unknown", 0, 20, Unknown, "too few requests to judge: 20, need 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t)
			svc.failEvery.Store(tt.failEvery)
			store := &MemStore{}
			sc := &Scraper{URL: svc.metrics.URL + "/metrics"}
			// The baseline, as a deploy takes it when the revision goes
			// live: the window counts from it whatever the sampler beside
			// the load happened to catch.
			base := sc.Scrape(t.Context())
			base.Live = true
			from := base.At
			if err := store.AddSample("staging", 1, base); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- Watch(ctx, sc, store, "staging", 1, 20*time.Millisecond, nil) }()
			svc.load(t, tt.requests)
			time.Sleep(lim.Duration) // at least the soak's duration
			cancel()
			<-done
			last := sc.Scrape(t.Context())
			if err := store.AddSample("staging", 1, last); err != nil {
				t.Fatal(err)
			}
			to := last.At
			samples, err := store.Samples("staging", 1, from, to)
			if err != nil {
				t.Fatal(err)
			}
			v := Judge(samples, Window{From: from, To: to}, lim)
			if v.BaseKind != BaseLive || !v.Base.Equal(from) || !v.End.Equal(to) {
				t.Errorf("counted from %s %s to %s, want from the baseline at %s to %s", v.BaseKind, v.Base, v.End, from, to)
			}
			if v.State != tt.state {
				t.Fatalf("state %s (%s), want %s", v.State, v.Summary(), tt.state)
			}
			if int(v.Requests) != tt.requests {
				t.Errorf("requests = %v, want %d (%d samples)", v.Requests, tt.requests, len(samples))
			}
			if got := v.Summary(); !contains(got, tt.reason) {
				t.Errorf("Summary() = %q, want %q in it", got, tt.reason)
			}
		})
	}

	t.Run("endpoint gone mid-soak", func(t *testing.T) {
		svc := newService(t)
		sc := &Scraper{URL: svc.metrics.URL + "/metrics"}
		store := &MemStore{}
		from := time.Now()
		_ = store.AddSample("staging", 1, sc.Scrape(t.Context()))
		svc.load(t, 150)
		_ = store.AddSample("staging", 1, sc.Scrape(t.Context()))
		svc.metrics.Close()
		_ = store.AddSample("staging", 1, sc.Scrape(t.Context()))
		samples, _ := store.Samples("staging", 1, from, time.Now())
		v := Judge(samples, Window{From: from, To: time.Now().Add(time.Second)}, lim)
		if v.State != Unknown || !contains(v.Reason, "the metrics stopped at") {
			t.Errorf("Judge = %s: %s, want unknown because the metrics stopped", v.State, v.Reason)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
