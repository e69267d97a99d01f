package promote

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/state"
)

// Soak judges an environment's live revision from the samples scraped
// from the service's own metrics (ferry.yaml soak: {…}).
type Soak struct{ cfg *Config }

// NewSoak returns a Soak over cfg.
func NewSoak(cfg *Config) *Soak { return &Soak{cfg: cfg} }

// SoakLimits are env's soak gates as the soak package reads them.
func SoakLimits(env *project.Environment) soak.Limits {
	g := env.SoakGates
	return soak.Limits{Duration: env.Soak, MaxErrorRatio: g.MaxErrorRatio, MaxP95: g.MaxP95.Duration, MaxP99: g.MaxP99.Duration, MinRequests: g.MinRequests}
}

func soakMetrics(env *project.Environment) soak.Metrics {
	g := env.SoakGates
	return soak.Metrics{Name: g.Metric, StatusLabel: g.StatusLabel, PathLabel: g.PathLabel, IgnorePaths: g.IgnorePaths}
}

// scraper returns the scraper of env's live revision and its number.
func (c *Config) scraper(env *project.Environment) (*soak.Scraper, int, error) {
	cur, err := c.liveRevision(env)
	if err != nil {
		return nil, 0, err
	}
	sc, err := c.scraperOf(env, cur)
	return sc, cur.Number, err
}

// envLive returns the environment called name and its live revision;
// an unknown environment or one with nothing deployed is bad input.
func (c *Config) envLive(name string) (*project.Environment, *state.Revision, error) {
	env, err := c.env(name)
	if err != nil {
		return nil, nil, err
	}
	cur, err := c.liveRevision(env)
	return env, cur, err
}

// liveRevision returns env's live revision; nothing deployed is bad
// input.
func (c *Config) liveRevision(env *project.Environment) (*state.Revision, error) {
	cur, err := c.current(env)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("%w: nothing is deployed in %q", ErrInput, env.Name)
	}
	return cur, nil
}

// scraperOf returns the scraper of revision rev of env, where env's
// target says its metrics are (platform/capabilities.go): every pod, one
// endpoint, or the instances themselves on the host rev's URL names.
func (c *Config) scraperOf(env *project.Environment, rev *state.Revision) (*soak.Scraper, error) {
	vars := snapshotVars(rev)
	port := vars["METRICS_PORT"]
	switch port {
	case "":
		port = "2121" // GoFr's and kit's default
	case "0":
		return nil, fmt.Errorf("no metrics endpoint: METRICS_PORT is 0 in %s, so the service serves no /metrics", env.Name)
	}
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	switch m := t.(type) {
	case platform.PodsMetrics:
		return c.podsScraper(m, env, port), nil
	case platform.MetricsEndpoint:
		u, hc, err := m.MetricsEndpoint(context.Background(), env, port)
		if err != nil {
			return nil, err
		}
		return &soak.Scraper{URL: u, Client: hc, Metrics: soakMetrics(env), Now: c.now}, nil
	case platform.DirectMetrics:
		host := "127.0.0.1"
		if u, err := url.Parse(rev.URL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		return &soak.Scraper{URL: "http://" + host + ":" + port + "/metrics", Metrics: soakMetrics(env), Now: c.now}, nil
	}
	return nil, fmt.Errorf("scraping %s's metrics: the %s target exposes no metrics endpoint", env.Name, env.Target)
}

// baseline stores the sample a metrics soak counts from, taken as rev
// goes live (and dated rev.Since): without it, a soak judged with no
// sampler running (deploy, traffic, promote) would have nothing before
// the window to count from. A scrape that fails is stored as such; the
// soak then counts from the process's start, when it exposes one.
func (c *Config) baseline(ctx context.Context, env *project.Environment, rev *state.Revision) error {
	if !SoakLimits(env).Metric() {
		return nil
	}
	smp := soak.Sample{At: rev.Since}
	if sc, err := c.scraperOf(env, rev); err != nil {
		smp.Err = err.Error()
	} else {
		sc.Now = func() time.Time { return rev.Since }
		ctx, cancel := context.WithTimeout(ctx, baselineTimeout)
		smp = sc.Scrape(ctx)
		cancel()
	}
	smp.Live = true
	st, err := c.store(env)
	if err != nil {
		return err
	}
	if err := st.AddSample(env.Name, rev.Number, smp); err != nil {
		return fmt.Errorf("storing %s revision %d's soak baseline: %w", env.Name, rev.Number, err)
	}
	return nil
}

// recordBaseline records rev's baseline once it is live; the revision
// stays live without one (its soak then counts from the process's
// start), so a failure is logged, not returned.
func (c *Config) recordBaseline(ctx context.Context, env *project.Environment, rev *state.Revision) {
	if err := c.baseline(ctx, env, rev); err != nil {
		c.log().Warn("no soak baseline", "env", env.Name, "revision", rev.Number, "error", err)
	}
}

// baselineTimeout bounds the baseline scrape, which a deploy waits for.
const baselineTimeout = 3 * time.Second

// Run judges envName's live revision over the last soak duration of its
// life (all of it while shorter), counting from the last sample at or
// before the window: the baseline stored as it went live, or a later
// one. With scrape, a sample is taken (and stored) first, which is the
// window's end.
func (s *Soak) Run(ctx context.Context, envName string, scrape bool) (*soak.Verdict, error) {
	c := s.cfg
	env, cur, err := c.envLive(envName)
	if err != nil {
		return nil, err
	}
	lim := SoakLimits(env)
	st, err := c.store(env)
	if err != nil {
		return nil, err
	}
	now := c.now()
	if scrape && lim.Metric() {
		smp := soak.Sample{At: now}
		if sc, err := c.scraperOf(env, cur); err != nil {
			smp.Err = err.Error()
		} else {
			smp = sc.Scrape(ctx)
		}
		if err := st.AddSample(envName, cur.Number, smp); err != nil {
			return nil, err
		}
		now = smp.At
	}
	live := cur.Since
	if live.IsZero() {
		live = cur.At
	}
	w := soak.NewWindow(live, cur.At, now, lim.Duration)
	samples, err := st.Samples(envName, cur.Number, cur.At, w.To)
	if err != nil {
		return nil, err
	}
	if lim.Metric() && len(samples) == 0 {
		if _, err := c.scraperOf(env, cur); err != nil {
			samples = []soak.Sample{{At: w.To, Err: err.Error()}}
		}
	}
	v := soak.Judge(samples, w, lim)
	return &v, nil
}

// Watcher returns a function that scrapes envName's live revision every
// soak interval (5s by default) until its context is done, storing the
// samples.
func (s *Soak) Watcher(envName string) (func(ctx context.Context) error, error) {
	c := s.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	sc, rev, err := c.scraper(env)
	if err != nil {
		return nil, err
	}
	st, err := c.store(env)
	if err != nil {
		return nil, err
	}
	interval := env.SoakGates.Interval.Duration
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return func(ctx context.Context) error {
		return soak.Watch(ctx, sc, st, envName, rev, interval, nil)
	}, nil
}
