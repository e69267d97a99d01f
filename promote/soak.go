package promote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
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

// samples is where scraped samples are kept: the project's state file.
func (c *Config) samples() (soak.Store, error) {
	st, ok := c.State.(soak.Store)
	if !ok {
		return nil, errors.New("the state store keeps no metric samples")
	}
	return st, nil
}

// metricsEndpoint is a target whose instances ferry cannot reach itself
// (kube: through the API server's pod proxy).
type metricsEndpoint interface {
	MetricsEndpoint(ctx context.Context, e *project.Environment, port string) (string, *http.Client, error)
}

// scraper returns the scraper of env's live revision: its METRICS_PORT
// on the host the revision's URL names, or where the target says.
func (c *Config) scraper(env *project.Environment) (*soak.Scraper, int, error) {
	cur, err := c.current(env)
	if err != nil {
		return nil, 0, err
	}
	if cur == nil {
		return nil, 0, fmt.Errorf("%w: nothing is deployed in %q", ErrInput, env.Name)
	}
	vars := snapshotVars(cur)
	port := vars["METRICS_PORT"]
	switch port {
	case "":
		port = "2121" // GoFr's and kit's default
	case "0":
		return nil, cur.Number, fmt.Errorf("no metrics endpoint: METRICS_PORT is 0 in %s, so the service serves no /metrics", env.Name)
	}
	if env.Target != "local" {
		t, err := c.Target(env)
		if err != nil {
			return nil, cur.Number, err
		}
		m, ok := t.(metricsEndpoint)
		if !ok {
			return nil, cur.Number, fmt.Errorf("scraping %s's metrics: the %s target exposes no metrics endpoint", env.Name, env.Target)
		}
		u, hc, err := m.MetricsEndpoint(context.Background(), env, port)
		if err != nil {
			return nil, cur.Number, err
		}
		return &soak.Scraper{URL: u, Client: hc, Metrics: soakMetrics(env), Now: c.now}, cur.Number, nil
	}
	host := "127.0.0.1"
	if u, err := url.Parse(cur.URL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return &soak.Scraper{URL: "http://" + host + ":" + port + "/metrics", Metrics: soakMetrics(env), Now: c.now}, cur.Number, nil
}

// Run judges envName's live revision over its life so far. With scrape,
// a sample is taken (and stored) first, which is enough for a process
// that exposes its start time: it counted only this revision's requests.
func (s *Soak) Run(ctx context.Context, envName string, scrape bool) (*soak.Verdict, error) {
	c := s.cfg
	env, err := c.env(envName)
	if err != nil {
		return nil, err
	}
	cur, err := c.current(env)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("%w: nothing is deployed in %q", ErrInput, envName)
	}
	lim := SoakLimits(env)
	w := soak.Window{From: cur.Since, To: c.now(), Deployed: cur.At}
	if w.From.IsZero() {
		w.From = cur.At
	}
	st, err := c.samples()
	if err != nil {
		return nil, err
	}
	if scrape && lim.Metric() {
		sc, rev, err := c.scraper(env)
		smp := soak.Sample{At: c.now()}
		if err != nil {
			smp.Err = err.Error()
		} else {
			smp = sc.Scrape(ctx)
		}
		if rev > 0 {
			if err := st.AddSample(envName, rev, smp); err != nil {
				return nil, err
			}
		}
		w.To = smp.At
	}
	samples, err := st.Samples(envName, cur.Number, cur.At, w.To)
	if err != nil {
		return nil, err
	}
	if lim.Metric() && len(samples) == 0 {
		if _, _, err := c.scraper(env); err != nil {
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
	st, err := c.samples()
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
