package soak

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// defaultConcurrency bounds the instances scraped at once: the API
// server proxies each, and a release has a handful of pods.
const defaultConcurrency = 4

// scrapeInstances reads every instance Instances lists into one sample
// taken at at: its parts by name, their sums at the top. A part that
// fails is kept with its Err (the judge skips it, keeping that
// instance's last good counts); the sample fails only when every part
// does.
func (s *Scraper) scrapeInstances(ctx context.Context, at time.Time) Sample {
	urls, client, err := s.Instances(ctx)
	if err != nil {
		return Sample{At: at, Err: err.Error()}
	}
	if len(urls) == 0 {
		return Sample{At: at, Err: "no instance to scrape"}
	}
	names := slices.Sorted(maps.Keys(urls))
	parts := make([]Sample, len(names))
	var g errgroup.Group
	n := s.Concurrency
	if n <= 0 {
		n = defaultConcurrency
	}
	g.SetLimit(n)
	for i, name := range names {
		g.Go(func() error {
			p := Sample{At: at}
			fams, err := s.fetchURL(ctx, cmp.Or(client, s.Client), urls[name])
			if err == nil {
				err = s.Metrics.reduce(fams, &p)
			}
			if err != nil {
				p = Sample{At: at, Err: err.Error()}
			}
			parts[i] = p
			return nil
		})
	}
	_ = g.Wait()
	smp := Sample{At: at, Instances: make(map[string]Sample, len(names))}
	for i, name := range names {
		smp.Instances[name] = parts[i]
	}
	smp.sumInstances()
	return smp
}

// sumInstances sets the top-level counts to the sums of the good parts:
// requests and errors added, histograms merged bucket by bucket, Start
// the earliest (zero unless every part has one), Missing only when every
// part misses the metric, Err only when every part failed.
func (s *Sample) sumInstances() {
	buckets := map[float64]float64{}
	var failed []string
	good, missing, starts := 0, 0, 0
	for _, name := range slices.Sorted(maps.Keys(s.Instances)) {
		p := s.Instances[name]
		if p.Err != "" {
			failed = append(failed, name+": "+p.Err)
			continue
		}
		good++
		if p.Missing != "" {
			missing++
			s.Missing = p.Missing
		}
		if p.Start > 0 {
			starts++
			if s.Start == 0 || p.Start < s.Start {
				s.Start = p.Start
			}
		}
		s.Requests += p.Requests
		s.Errors += p.Errors
		for _, b := range p.Buckets {
			buckets[b.LE] += b.Count
		}
	}
	if good == 0 {
		s.Err = "every instance failed: " + strings.Join(failed, "; ")
		return
	}
	if missing < good {
		s.Missing = ""
	}
	if starts < good {
		s.Start = 0
	}
	s.Buckets = nil
	for _, le := range slices.Sorted(maps.Keys(buckets)) {
		s.Buckets = append(s.Buckets, Bucket{LE: le, Count: buckets[le]})
	}
}

// InstanceFigures are one instance's counts over a soak window.
type InstanceFigures struct {
	Name       string  `json:"name"`
	Requests   float64 `json:"requests"`
	Errors     float64 `json:"errors"`
	ErrorRatio float64 `json:"errorRatio"`
	// P95 and P99 are in seconds; -1 when unknown.
	P95      float64 `json:"p95Seconds"`
	P99      float64 `json:"p99Seconds"`
	Restarts int     `json:"restarts"`
}

// String says what the instance counted, for a verdict's reason.
func (f InstanceFigures) String() string {
	s := fmt.Sprintf("%s: %s of %s requests failed (%s)", f.Name, num(f.Errors), num(f.Requests), percent(f.ErrorRatio))
	if f.P99 >= 0 {
		s += ", p99 " + seconds(f.P99)
	}
	if f.Restarts > 0 {
		s += fmt.Sprintf(", %d restart(s)", f.Restarts)
	}
	return s
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// part is one instance's growth over the window.
type part struct {
	delta
	restarts int
}

func (d *delta) part(name string) *part {
	if d.parts == nil {
		d.parts = map[string]*part{}
	}
	p := d.parts[name]
	if p == nil {
		p = &part{}
		d.parts[name] = p
	}
	return p
}

// seed makes s's good parts what later parts count from.
func (d *delta) seed(s *Sample) {
	if len(s.Instances) == 0 {
		return
	}
	if d.last == nil {
		d.last = map[string]Sample{}
	}
	for name, p := range s.Instances {
		if p.Err == "" {
			d.last[name] = p
		}
	}
}

// addParts adds each good part of s's growth since that instance's last
// good part, and returns the restarts seen: an instance whose counts
// dropped or whose start time changed counts from zero, for it alone;
// an instance not seen before (a new pod) counts from zero too.
func (d *delta) addParts(s *Sample) (restarts int) {
	if d.last == nil {
		d.last = map[string]Sample{}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Instances)) {
		in := s.Instances[name]
		if in.Err != "" {
			continue
		}
		old, seen := d.last[name]
		var base *Sample
		switch {
		case !seen:
		case in.Requests < old.Requests || (in.Start > 0 && old.Start > 0 && in.Start != old.Start):
			restarts++
			d.part(name).restarts++
		default:
			base = &old
		}
		d.addFlat(&in, base)
		d.part(name).addFlat(&in, base)
		d.last[name] = in
	}
	return restarts
}

// instances are the per-instance figures, by name.
func (d *delta) instances() []InstanceFigures {
	var out []InstanceFigures
	for _, name := range slices.Sorted(maps.Keys(d.parts)) {
		p := d.parts[name]
		f := InstanceFigures{Name: name, Requests: p.requests, Errors: p.errors, P95: -1, P99: -1, Restarts: p.restarts}
		if p.requests > 0 {
			f.ErrorRatio = p.errors / p.requests
			if len(p.buckets) > 0 {
				f.P95, f.P99 = p.quantile(0.95), p.quantile(0.99)
			}
		}
		out = append(out, f)
	}
	return out
}

// worst picks the instance that did worst by the figure named (the one
// that failed the soak): the most restarts, the slowest, or else the
// highest error ratio; ties go to the most errors, then the name.
func worst(ins []InstanceFigures, figure string) (InstanceFigures, bool) {
	if len(ins) == 0 {
		return InstanceFigures{}, false
	}
	key := func(f InstanceFigures) float64 {
		switch figure {
		case "restarts":
			return float64(f.Restarts)
		case "p95":
			return f.P95
		case "p99":
			return f.P99
		}
		return f.ErrorRatio
	}
	w := ins[0]
	for _, f := range ins[1:] {
		if k, kw := key(f), key(w); k > kw || (k == kw && f.Errors > w.Errors) {
			w = f
		}
	}
	return w, true
}

// worst is the instance named by Worst.
func (v *Verdict) worst() (InstanceFigures, bool) {
	for _, f := range v.Instances {
		if f.Name == v.Worst {
			return f, true
		}
	}
	return InstanceFigures{}, false
}
