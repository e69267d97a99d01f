package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics names what a soak reads from the exposition. The zero value
// reads GoFr's and kit's app_http_response histogram.
type Metrics struct {
	// Name is the metric family: a histogram (counts and latency) or a
	// counter (counts only). "app_http_response" when empty.
	Name string `json:"name,omitempty" yaml:"name"`
	// StatusLabel holds the HTTP status ("500" or a class such as "5xx");
	// "status" when empty.
	StatusLabel string `json:"statusLabel,omitempty" yaml:"statusLabel"`
	// PathLabel holds the route; "path" when empty.
	PathLabel string `json:"pathLabel,omitempty" yaml:"pathLabel"`
	// IgnorePaths are route prefixes left out: by default
	// /.well-known/, the probes ferry and the cluster send, which would
	// otherwise dilute the error ratio.
	IgnorePaths []string `json:"ignorePaths,omitempty" yaml:"ignorePaths"`
}

// DefaultMetric is the histogram GoFr and kit record every request in.
const DefaultMetric = "app_http_response"

func (m Metrics) withDefaults() Metrics {
	if m.Name == "" {
		m.Name = DefaultMetric
	}
	if m.StatusLabel == "" {
		m.StatusLabel = "status"
	}
	if m.PathLabel == "" {
		m.PathLabel = "path"
	}
	if m.IgnorePaths == nil {
		m.IgnorePaths = []string{"/.well-known/"}
	}
	return m
}

// Scraper reads one service's metrics endpoint.
type Scraper struct {
	// URL is the endpoint, such as http://127.0.0.1:2121/metrics.
	URL     string
	Metrics Metrics
	// Client is used for the request; a 5s timeout when nil.
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Instances, when set, lists the instances to scrape at each scrape
	// (name → metrics URL; URL is then unused) and the client that
	// reads them (Client when nil): every one is read, at most
	// Concurrency at once, into one Sample with per-instance parts.
	Instances func(ctx context.Context) (map[string]string, *http.Client, error)
	// Concurrency bounds the instances scraped at once; 4 when zero.
	Concurrency int
}

// maxBody bounds what is read of an exposition: a service's own metrics
// are kilobytes; more is a misconfigured URL.
const maxBody = 16 << 20

// Scrape reads the endpoint once. A failure is a Sample whose Err says
// plainly what went wrong, so that it is stored and shown like any other.
func (s *Scraper) Scrape(ctx context.Context) Sample {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	smp := Sample{At: now()}
	if s.Instances != nil {
		return s.scrapeInstances(ctx, smp.At)
	}
	fams, err := s.fetch(ctx)
	if err == nil {
		err = s.Metrics.reduce(fams, &smp)
	}
	if err != nil {
		smp = Sample{At: smp.At, Err: err.Error()}
	}
	return smp
}

func (s *Scraper) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	return s.fetchURL(ctx, s.Client, s.URL)
}

func (s *Scraper) fetchURL(ctx context.Context, client *http.Client, u string) (map[string]*dto.MetricFamily, error) {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("metrics URL %q: %w", u, err)
	}
	// Ask for the text format: it is what every client library serves.
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("no metrics endpoint: nothing listens at %s", u)
		}
		return nil, fmt.Errorf("metrics endpoint %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("metrics endpoint %s answered %s", u, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("malformed metrics from %s: %w", u, err)
	}
	return fams, nil
}

// Reduce turns parsed metric families into a Sample's counts (At and Err
// are left to the caller); it is what Scrape does after the request.
func (m Metrics) reduce(fams map[string]*dto.MetricFamily, smp *Sample) error {
	m = m.withDefaults()
	if f := fams["process_start_time_seconds"]; f != nil && len(f.GetMetric()) > 0 {
		smp.Start = f.GetMetric()[0].GetGauge().GetValue()
	}
	fam := fams[m.Name]
	if fam == nil {
		smp.Missing = fmt.Sprintf("the metrics have no %s (set soak.metric in ferry.yaml for a service that is not on GoFr or kit)", m.Name)
		return nil
	}
	var buckets map[float64]float64
	for _, mt := range fam.GetMetric() {
		var status, path string
		for _, l := range mt.GetLabel() {
			switch l.GetName() {
			case m.StatusLabel:
				status = l.GetValue()
			case m.PathLabel:
				path = l.GetValue()
			}
		}
		if m.ignored(path) {
			continue
		}
		var n float64
		switch fam.GetType() {
		case dto.MetricType_HISTOGRAM:
			h := mt.GetHistogram()
			n = float64(h.GetSampleCount()) + h.GetSampleCountFloat()
			if buckets == nil {
				buckets = map[float64]float64{}
			}
			for _, b := range h.GetBucket() {
				if !math.IsInf(b.GetUpperBound(), 1) {
					buckets[b.GetUpperBound()] += float64(b.GetCumulativeCount()) + b.GetCumulativeCountFloat()
				}
			}
		case dto.MetricType_COUNTER:
			n = mt.GetCounter().GetValue()
		case dto.MetricType_UNTYPED:
			n = mt.GetUntyped().GetValue()
		default:
			return fmt.Errorf("%s is a %s; a soak reads a histogram or a counter", m.Name, strings.ToLower(fam.GetType().String()))
		}
		smp.Requests += n
		if strings.HasPrefix(status, "5") {
			smp.Errors += n
		}
	}
	for le, c := range buckets {
		smp.Buckets = append(smp.Buckets, Bucket{LE: le, Count: c})
	}
	sort.Slice(smp.Buckets, func(i, j int) bool { return compareFloat(smp.Buckets[i].LE, smp.Buckets[j].LE) < 0 })
	return nil
}

func (m Metrics) ignored(path string) bool {
	for _, p := range m.IgnorePaths {
		if p != "" && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
