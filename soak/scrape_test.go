package soak

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveFile serves a fixture as a metrics endpoint on 127.0.0.1.
func serveFile(t testing.TB, name string, status int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/metrics"
}

func TestScrape(t *testing.T) {
	tests := []struct {
		name     string
		url      func(t *testing.T) string
		metrics  Metrics
		requests float64
		errors   float64
		buckets  int
		start    float64
		err      string // substring of Sample.Err; "" for none
		missing  string // substring of Sample.Missing
	}{
		{
			name: "kit histogram, probes left out",
			url:  func(t *testing.T) string { return serveFile(t, "kit.txt", 200) },
			// 900 GET 200 + 100 POST 201 + 10 POST 500; the 400 503s of
			// /.well-known/health are probes.
			requests: 1010, errors: 10, buckets: 18, start: 1.76459e+09,
		},
		{
			name:     "kit histogram, probes counted when asked",
			url:      func(t *testing.T) string { return serveFile(t, "kit.txt", 200) },
			metrics:  Metrics{IgnorePaths: []string{}},
			requests: 1410, errors: 410, buckets: 18, start: 1.76459e+09,
		},
		{
			name:     "generic counter by status class",
			url:      func(t *testing.T) string { return serveFile(t, "generic-counter.txt", 200) },
			metrics:  Metrics{Name: "http_requests_total", StatusLabel: "code", PathLabel: "route", IgnorePaths: []string{"/healthz"}},
			requests: 1567, errors: 16, start: 1764590000.5,
		},
		{
			name:    "generic service read with the default names",
			url:     func(t *testing.T) string { return serveFile(t, "generic-counter.txt", 200) },
			missing: "the metrics have no app_http_response", start: 1764590000.5,
		},
		{
			name:    "runtime metrics only",
			url:     func(t *testing.T) string { return serveFile(t, "runtime-only.txt", 200) },
			missing: "the metrics have no app_http_response",
		},
		{
			name:    "a summary is not a soak metric",
			url:     func(t *testing.T) string { return serveFile(t, "runtime-only.txt", 200) },
			metrics: Metrics{Name: "go_gc_duration_seconds"},
			err:     "go_gc_duration_seconds is a summary",
		},
		{
			name: "malformed exposition",
			url:  func(t *testing.T) string { return serveFile(t, "malformed.txt", 200) },
			err:  "malformed metrics from",
		},
		{
			name: "endpoint answers 404",
			url:  func(t *testing.T) string { return serveFile(t, "kit.txt", 404) },
			err:  "answered 404 Not Found",
		},
		{
			name: "nothing listens",
			url:  closedPort,
			err:  "no metrics endpoint: nothing listens at",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			sc := &Scraper{URL: tt.url(t), Metrics: tt.metrics, Now: func() time.Time { return at }}
			s := sc.Scrape(context.Background())
			if !s.At.Equal(at) {
				t.Errorf("At = %v, want %v", s.At, at)
			}
			if tt.err != "" {
				if !strings.Contains(s.Err, tt.err) {
					t.Fatalf("Err = %q, want it to contain %q", s.Err, tt.err)
				}
				if s.Requests != 0 || len(s.Buckets) != 0 {
					t.Errorf("a failed scrape carries counts: %+v", s)
				}
				return
			}
			if s.Err != "" {
				t.Fatalf("Err = %q", s.Err)
			}
			if !strings.Contains(s.Missing, tt.missing) || (tt.missing == "") != (s.Missing == "") {
				t.Errorf("Missing = %q, want %q", s.Missing, tt.missing)
			}
			if s.Requests != tt.requests || s.Errors != tt.errors || len(s.Buckets) != tt.buckets || s.Start != tt.start {
				t.Errorf("Scrape = requests %v errors %v buckets %d start %v, want %v %v %d %v", s.Requests, s.Errors, len(s.Buckets), s.Start, tt.requests, tt.errors, tt.buckets, tt.start)
			}
			for i := 1; i < len(s.Buckets); i++ {
				if s.Buckets[i].LE <= s.Buckets[i-1].LE || s.Buckets[i].Count < s.Buckets[i-1].Count {
					t.Fatalf("buckets not cumulative in order: %v", s.Buckets)
				}
			}
		})
	}
}
