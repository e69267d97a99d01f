// Package soak judges a soaking environment from the service's own
// metrics, with no Prometheus server in between.
//
// A Scraper reads the service's /metrics (the Prometheus text exposition
// format, parsed by prometheus/common's expfmt) and reduces it to a Sample:
// the cumulative request and 5xx counts and latency buckets of one metric
// (GoFr's and kit's app_http_response histogram by default; any counter or
// histogram with a status label for a generic service), and the process
// start time. Samples go to a Store, so that a ferry restarted mid-soak
// judges the whole window. Judge turns the samples of a window into the
// figures the gates compare: error ratio, p95 and p99 latency, restarts.
//
// The window is [max(live, now − duration), now] (NewWindow), and its
// counts run from the last sample at or before its start — the baseline
// ferry takes as a revision goes live, or a later one — to the newest:
// how often samples were taken changes how tightly the window is
// bounded, never what is counted, and the verdict names both samples.
//
// The judgement has three outcomes, never two: a window with too few
// requests, or with no metrics at all, is Unknown — not passed.
package soak
