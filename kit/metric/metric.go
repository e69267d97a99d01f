// Package metric holds the metric names, units and buckets of GoFr's
// contract, so that dashboards built for GoFr services read kit services
// unchanged.
package metric

// HTTPBuckets are GoFr's buckets for app_http_response, in seconds.
var HTTPBuckets = []float64{.001, .003, .005, .01, .02, .03, .05, .1, .2, .3, .5, .75, 1, 2, 3, 5, 10, 30}

// DatasourceBuckets are GoFr's buckets for app_sql_stats, in milliseconds.
var DatasourceBuckets = []float64{
	.05, .075, .1, .125, .15, .2, .3, .5, .75, 1, 2, 3, 5, 7.5, 10,
	25, 50, 100, 250, 500, 1000, 5000, 10000, 30000,
}

// MicrosecondBuckets are DatasourceBuckets scaled to microseconds, for
// app_redis_stats (GoFr records Redis latency in µs).
var MicrosecondBuckets = func() []float64 {
	out := make([]float64, len(DatasourceBuckets))
	for i, b := range DatasourceBuckets {
		out[i] = b * 1000
	}
	return out
}()
