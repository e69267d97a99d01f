package promote

import (
	"context"
	"net/http"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
)

// podsScraper scrapes every instance m lists for env, looked up again
// at each scrape (pods come and go during a soak), and sums them, each
// instance counted against its own earlier counts.
func (c *Config) podsScraper(m platform.PodsMetrics, env *project.Environment, port string) *soak.Scraper {
	return &soak.Scraper{Metrics: soakMetrics(env), Now: c.now,
		Instances: func(ctx context.Context) (map[string]string, *http.Client, error) {
			return m.MetricsEndpoints(ctx, env, port)
		}}
}
