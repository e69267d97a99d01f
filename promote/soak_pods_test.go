package promote

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
)

// podsFake is the fake target with several instances whose metrics are
// real HTTP servers on 127.0.0.1 (standing in for pods behind the API
// server's proxy, which the kube tests reach for real).
type podsFake struct {
	*platformtest.Fake
	mu   sync.Mutex
	urls map[string]string
	hits int
}

func (p *podsFake) MetricsEndpoints(_ context.Context, _ *project.Environment, _ string) (map[string]string, *http.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hits++
	return p.urls, nil, nil
}

// TestSoakSumsEveryInstance: on a target with several instances the
// soak gate judges the sums over all of them, from the baseline taken at
// the deploy, and a refusal names the instance that failed.
func TestSoakSumsEveryInstance(t *testing.T) {
	c, f, _ := fakeProject(t)
	clk := &frozen{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	c.Now = clk.Now
	counts := map[string]*[2]int{"orders-api-a": {}, "orders-api-b": {}, "orders-api-c": {}}
	var mu sync.Mutex
	pf := &podsFake{Fake: f, urls: map[string]string{}}
	for name, n := range counts {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(w, "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\",route=\"/orders\"} %d\nhttp_requests_total{code=\"503\",route=\"/orders\"} %d\n", n[0], n[1])
		}))
		t.Cleanup(srv.Close)
		pf.urls[name] = srv.URL + "/metrics"
	}
	c.Target = func(*project.Environment) (platform.Target, error) { return pf, nil }
	staging, err := c.Project.Env("staging")
	if err != nil {
		t.Fatal(err)
	}
	staging.Target = "kube"
	staging.Soak = 2 * time.Second
	limit := 0.01
	staging.SoakGates = project.Soak{MaxErrorRatio: &limit, MinRequests: 100, Metric: "http_requests_total", StatusLabel: "code", PathLabel: "route"}
	serve := func(name string, ok, failed int) {
		mu.Lock()
		counts[name][0] += ok
		counts[name][1] += failed
		mu.Unlock()
	}
	serve("orders-api-a", 50, 0) // before the deploy: not this soak's
	deploy(t, c, "staging", "2.0.0")
	serve("orders-api-a", 100, 0)
	serve("orders-api-b", 100, 0)
	serve("orders-api-c", 100, 0)
	clk.Advance(3 * time.Second)
	v, err := NewSoak(c).Run(t.Context(), "staging", true)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != soak.Passed || v.Requests != 300 || len(v.Instances) != 3 {
		t.Errorf("three clean instances: %s, %v requests, %d instances (%s); want passed, 300, 3", v.State, v.Requests, len(v.Instances), v.Summary())
	}

	serve("orders-api-b", 60, 40)
	clk.Advance(time.Second)
	v, err = NewSoak(c).Run(t.Context(), "staging", true)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != soak.Failed || v.Requests != 400 || v.Worst != "orders-api-b" || !strings.Contains(v.Reason, "worst orders-api-b: 40 of 200 requests failed") {
		t.Errorf("one instance serving 5xx: %s, %v requests, worst %q: %s; want failed, 400, orders-api-b named", v.State, v.Requests, v.Worst, v.Reason)
	}
	if pf.hits < 3 {
		t.Errorf("the instances were listed %d times, want once per scrape (baseline and two soaks)", pf.hits)
	}
}
