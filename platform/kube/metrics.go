package kube

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/ferrydev/ferry/project"
)

// MetricsEndpoint returns the first ready pod's (by name) metrics
// endpoint, of those MetricsEndpoints returns: one pod's view, for a
// caller that reads a single instance. A soak reads them all.
func (t *Target) MetricsEndpoint(ctx context.Context, e *project.Environment, port string) (string, *http.Client, error) {
	urls, hc, err := t.MetricsEndpoints(ctx, e, port)
	if err != nil {
		return "", nil, err
	}
	return urls[slices.Min(slices.Collect(maps.Keys(urls)))], hc, nil
}
