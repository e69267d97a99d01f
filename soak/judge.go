package soak

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits are a soak's gates. A zero limit is not checked, except
// Duration and MinRequests, whose zero means none required.
type Limits struct {
	// Duration is how long the revision must soak.
	Duration time.Duration `json:"duration"`
	// MaxErrorRatio is the highest share of 5xx answers; nil: not checked.
	MaxErrorRatio *float64 `json:"maxErrorRatio,omitempty"`
	// MaxP95 and MaxP99 bound the latency quantiles; zero: not checked.
	MaxP95 time.Duration `json:"maxP95,omitempty"`
	MaxP99 time.Duration `json:"maxP99,omitempty"`
	// MinRequests is how many requests the window needs before its
	// figures mean anything; fewer makes the soak unknown.
	MinRequests int `json:"minRequests,omitempty"`
}

// Metric says whether the limits need metrics at all: a soak of elapsed
// time only (`soak: 30m`) does not scrape.
func (l Limits) Metric() bool {
	return l.MaxErrorRatio != nil || l.MaxP95 > 0 || l.MaxP99 > 0 || l.MinRequests > 0
}

// State is a soak's or one figure's outcome.
type State string

// The states of a soak. Unknown and Soaking block a promotion as Failed
// does, but they say something else: not enough to judge, or not yet.
const (
	Passed  State = "passed"
	Failed  State = "failed"
	Unknown State = "unknown"
	Soaking State = "soaking"
)

// Figure is one measured figure against its limit.
type Figure struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Limit string `json:"limit,omitempty"`
	State State  `json:"state"`
}

// Verdict is a judged soak window.
type Verdict struct {
	// From and To are the window judged: the last Duration of the
	// revision's life, or all of it while shorter.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Since is when the revision went live; its soak has run To − Since.
	Since time.Time `json:"since"`
	// Base and End are the samples the counts run between, so that a
	// verdict says what it saw: Base is at or before From (or, with no
	// sample there, the first one after it), End is the newest. BaseKind
	// says what Base is: "baseline" (taken as the revision went live),
	// "sample" (the last before the window), "process start" (no sample
	// before the window, but the process started in it, so its counts
	// start at zero) or "first sample" (requests before it are not
	// counted).
	Base     time.Time `json:"base,omitzero"`
	BaseKind string    `json:"baseKind,omitempty"`
	End      time.Time `json:"end,omitzero"`
	State    State     `json:"state"`
	// Reason says in one line why the state is what it is.
	Reason     string  `json:"reason"`
	Requests   float64 `json:"requests"`
	Errors     float64 `json:"errors"`
	ErrorRatio float64 `json:"errorRatio"`
	// P95 and P99 are in seconds; -1 when unknown (a counter, or no
	// request).
	P95      float64  `json:"p95Seconds"`
	P99      float64  `json:"p99Seconds"`
	Restarts int      `json:"restarts"`
	Scrapes  int      `json:"scrapes"`
	Failed   int      `json:"failedScrapes"`
	Figures  []Figure `json:"figures"`
	// Instances are each instance's figures when the samples have
	// per-instance parts (kube: one per pod), and Worst the name of the
	// one that did worst by the figure that failed (by error ratio when
	// none did).
	Instances []InstanceFigures `json:"instances,omitempty"`
	Worst     string            `json:"worst,omitempty"`
}

// The kinds of sample a verdict's counts start from (Verdict.BaseKind).
const (
	BaseLive   = "baseline"
	BaseSample = "sample"
	BaseStart  = "process start"
	BaseFirst  = "first sample"
)

// Window describes the window for messages, with the samples that
// bounded its counts: "12:00:01–12:30:01 (30m0s), counted from the
// sample at 12:00:00 to the sample at 12:30:01".
func (v *Verdict) Window() string {
	s := fmt.Sprintf("%s–%s (%s)", clock(v.From), clock(v.To), v.To.Sub(v.From).Round(time.Second))
	if b := v.Bounds(); b != "" {
		s += ", " + b
	}
	return s
}

// Bounds says which samples the counts run between ("" before any).
func (v *Verdict) Bounds() string {
	if v.BaseKind == "" {
		return ""
	}
	var from string
	switch v.BaseKind {
	case BaseLive:
		from = "the baseline taken live at " + clock(v.Base)
	case BaseStart:
		from = "the process's start at " + clock(v.Base)
	case BaseFirst:
		from = "the first sample at " + clock(v.Base) + " (none before the window)"
	default:
		from = "the sample at " + clock(v.Base)
	}
	if v.End.Equal(v.Base) {
		return "counted at " + from + " alone"
	}
	return "counted from " + from + " to the sample at " + clock(v.End)
}

func clock(t time.Time) string { return t.UTC().Format(time.TimeOnly) }

// startTime reads process_start_time_seconds.
func startTime(sec float64) time.Time { return time.Unix(0, int64(sec*1e9)) }

// Summary is the verdict in one line, naming each figure not met and the
// window.
func (v *Verdict) Summary() string {
	var bad []string
	for _, f := range v.Figures {
		if f.State == Failed {
			bad = append(bad, fmt.Sprintf("%s %s, limit %s", f.Name, f.Value, f.Limit))
		}
	}
	if len(bad) > 0 {
		if w, ok := v.worst(); ok && len(v.Instances) > 1 {
			bad = append(bad, "worst "+w.String())
		}
		return strings.Join(bad, "; ") + " over " + v.Window()
	}
	return v.Reason + " over " + v.Window()
}

// Window is the span a soak is judged over.
type Window struct {
	// From and To bound it; NewWindow sets From to the last soak
	// duration before To, or Live when the revision is younger.
	From, To time.Time
	// Live is when the revision went live (zero: From).
	Live time.Time
	// Deployed is when the revision's process was started (zero: Live).
	// A process that started after it counted only the revision's
	// requests, so without a sample before the window its first sample
	// counts from zero.
	Deployed time.Time
}

// NewWindow is the window a soak of duration d judges at now, of a
// revision deployed (its process started) at deployed and live since
// live: [max(live, now − d), now]. With no duration it is the
// revision's whole life.
func NewWindow(live, deployed, now time.Time, d time.Duration) Window {
	from := live
	if d > 0 && now.Add(-d).After(live) {
		from = now.Add(-d)
	}
	return Window{From: from, To: now, Live: live, Deployed: deployed}
}

// startSlack is how early a process start time can read: the kernel
// reports it as its boot time, in whole seconds and drifting with clock
// adjustments, plus the ticks since boot.
const startSlack = time.Second

// Judge judges the samples of a revision against lim over the window w.
// Samples are oldest first and may reach back before the window: the
// counts run from the last sample at or before w.From (the baseline
// taken as the revision went live, or a later one) to the newest sample
// up to w.To, so that how often samples were taken changes how precisely
// the window is bounded, never what was counted. Failed scrapes are
// counted, not summed. A drop in the counts or a new process start time
// is a restart: the counts after it are counted from zero, never as a
// negative rate.
func Judge(samples []Sample, w Window, lim Limits) Verdict {
	from, to := w.From, w.To
	live := w.Live
	if live.IsZero() {
		live = from
	}
	born := w.Deployed
	if born.IsZero() {
		born = live
	}
	v := Verdict{From: from, To: to, Since: live, P95: -1, P99: -1}
	// The base: the newest sample that is not a failed scrape at or
	// before the window's start. Older samples are not looked at.
	first := 0
	for i, s := range samples {
		if s.At.After(from) {
			break
		}
		if s.Err == "" {
			first = i
		}
	}
	var d delta
	var prev *Sample
	var lastErr string
	var lastErrAt time.Time
	var missing string
	for i := first; i < len(samples) && !samples[i].At.After(to); i++ {
		s := &samples[i]
		v.Scrapes++
		if s.Err != "" {
			v.Failed++
			lastErr, lastErrAt = s.Err, s.At
			continue
		}
		if s.Missing != "" && prev != nil && prev.Missing == "" && (s.Start == 0 || s.Start == prev.Start) {
			// The same process no longer shows the metric.
			lastErr, lastErrAt = s.Missing, s.At
			continue
		}
		lastErr = ""
		missing = s.Missing
		switch {
		case prev == nil && !s.At.After(from):
			// Counts up to the window's start are the baseline.
			v.Base, v.BaseKind = s.At, BaseSample
			if s.Live {
				v.BaseKind = BaseLive
			}
			d.seed(s)
		case prev == nil && s.Start > 0 && !startTime(s.Start).Before(born.Add(-startSlack)):
			// No sample before the window, but the process started
			// for this revision: everything it counted is the revision's.
			v.Base, v.BaseKind = startTime(s.Start), BaseStart
			d.add(s, nil)
		case prev == nil:
			// Nothing to count from but this sample: what it counted
			// is not known to be this revision's.
			v.Base, v.BaseKind = s.At, BaseFirst
			d.seed(s)
		case len(s.Instances) > 0 && len(prev.Instances) > 0:
			// Each instance counts against its own last good part.
			v.Restarts += d.addParts(s)
		case s.Requests < prev.Requests || (s.Start > 0 && prev.Start > 0 && s.Start != prev.Start):
			v.Restarts++
			d.add(s, nil)
		default:
			d.add(s, prev)
		}
		prev = s
		v.End = s.At
	}
	v.Requests, v.Errors = d.requests, d.errors
	v.Instances = d.instances()
	if d.requests > 0 {
		v.ErrorRatio = d.errors / d.requests
	}
	hist := len(d.buckets) > 0
	if hist && d.requests > 0 {
		v.P95, v.P99 = d.quantile(0.95), d.quantile(0.99)
	}
	enough := prev != nil && d.requests >= float64(lim.MinRequests) && d.requests > 0
	elapsed := to.Sub(live)

	fig := func(name, value, limit string, st State) {
		v.Figures = append(v.Figures, Figure{Name: name, Value: value, Limit: limit, State: st})
	}
	st := Passed
	if elapsed < lim.Duration {
		st = Soaking
	}
	fig("duration", elapsed.Round(time.Second).String(), "≥ "+lim.Duration.String(), st)
	if lim.Metric() {
		st = Passed
		if !enough {
			st = Unknown
		}
		limit := ""
		if lim.MinRequests > 0 {
			limit = "≥ " + strconv.Itoa(lim.MinRequests)
		}
		fig("requests", strconv.FormatFloat(d.requests, 'f', -1, 64), limit, st)
	}
	if lim.MaxErrorRatio != nil {
		fig("error ratio", percent(v.ErrorRatio), "≤ "+percent(*lim.MaxErrorRatio), judged(enough, v.ErrorRatio <= *lim.MaxErrorRatio))
	}
	for _, q := range []struct {
		name  string
		value float64
		limit time.Duration
	}{{"p95", v.P95, lim.MaxP95}, {"p99", v.P99, lim.MaxP99}} {
		if q.limit <= 0 {
			continue
		}
		switch {
		case !hist && prev != nil:
			fig(q.name, "not measured (the metric is a counter)", "≤ "+q.limit.String(), Unknown)
		case q.value < 0:
			fig(q.name, "no requests", "≤ "+q.limit.String(), Unknown)
		default:
			fig(q.name, seconds(q.value), "≤ "+q.limit.String(), judged(enough, q.value <= q.limit.Seconds()))
		}
	}
	if lim.Metric() {
		st = Passed
		if v.Restarts > 0 {
			st = Failed
		}
		fig("restarts", strconv.Itoa(v.Restarts), "0", st)
	}

	// The state: a figure over its limit fails the soak even before its
	// time is up; otherwise not yet, then not enough to judge, then passed.
	v.State, v.Reason = Passed, "every figure within its limit"
	if w, ok := worst(v.Instances, ""); ok {
		v.Worst = w.Name
	}
	for _, f := range v.Figures {
		if f.State == Failed {
			v.State, v.Reason = Failed, f.Name+" "+f.Value+", limit "+f.Limit
			if w, ok := worst(v.Instances, f.Name); ok {
				v.Worst = w.Name
				if len(v.Instances) > 1 {
					v.Reason += "; worst " + w.String()
				}
			}
			return v
		}
	}
	switch {
	case lim.Metric() && lastErr != "" && prev != nil:
		v.State, v.Reason = Unknown, fmt.Sprintf("the metrics stopped at %s: %s", lastErrAt.UTC().Format(time.TimeOnly), lastErr)
	case lim.Metric() && prev == nil && lastErr != "":
		v.State, v.Reason = Unknown, "no metrics: "+lastErr
	case lim.Metric() && prev == nil:
		v.State, v.Reason = Unknown, "no metrics scraped yet"
	case elapsed < lim.Duration:
		v.State, v.Reason = Soaking, fmt.Sprintf("%s of %s soaked, %s left", elapsed.Round(time.Second), lim.Duration, (lim.Duration-elapsed).Round(time.Second))
	case lim.Metric() && missing != "":
		v.State, v.Reason = Unknown, missing
	case lim.Metric() && !enough:
		v.State, v.Reason = Unknown, fmt.Sprintf("too few requests to judge: %s, need %d", strconv.FormatFloat(d.requests, 'f', -1, 64), max(lim.MinRequests, 1))
	}
	return v
}

func judged(enough, within bool) State {
	switch {
	case !enough:
		return Unknown
	case within:
		return Passed
	}
	return Failed
}

// percent writes a ratio with up to two decimals: 5%, 0.25%, 5.12%.
func percent(r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Microsecond).String()
}

// delta sums the growth of the counts over the window; with
// per-instance samples, also each instance's (parts) from its last good
// part (last).
type delta struct {
	requests, errors float64
	buckets          map[float64]float64
	last             map[string]Sample
	parts            map[string]*part
}

// add adds s's growth since prev; nil prev counts s from zero, and then
// s's parts from zero too.
func (d *delta) add(s, prev *Sample) {
	d.addFlat(s, prev)
	if prev == nil {
		for name, p := range s.Instances {
			if p.Err == "" {
				d.part(name).addFlat(&p, nil)
			}
		}
	}
	d.seed(s)
}

// addFlat adds s's growth since prev in the top-level counts only.
func (d *delta) addFlat(s, prev *Sample) {
	var base Sample
	if prev != nil {
		base = *prev
	}
	d.requests += s.Requests - base.Requests
	d.errors += s.Errors - base.Errors
	if len(s.Buckets) > 0 && d.buckets == nil {
		d.buckets = map[float64]float64{}
	}
	j := 0
	for _, b := range s.Buckets {
		c := b.Count
		for j < len(base.Buckets) && base.Buckets[j].LE < b.LE {
			j++
		}
		if j < len(base.Buckets) && base.Buckets[j].LE == b.LE {
			c -= base.Buckets[j].Count
		}
		d.buckets[b.LE] += max(c, 0)
	}
}

// quantile estimates the q-quantile from the cumulative buckets as
// Prometheus's histogram_quantile does: linearly within the bucket the
// rank falls in; beyond the last finite bucket, that bucket's bound.
func (d *delta) quantile(q float64) float64 {
	les := make([]float64, 0, len(d.buckets))
	for le := range d.buckets {
		les = append(les, le)
	}
	slices.Sort(les)
	rank := q * d.requests
	lower, below := 0.0, 0.0
	for _, le := range les {
		c := d.buckets[le]
		if c >= rank {
			if c == below {
				return le
			}
			return lower + (le-lower)*(rank-below)/(c-below)
		}
		lower, below = le, c
	}
	if len(les) == 0 {
		return math.NaN()
	}
	return les[len(les)-1]
}
