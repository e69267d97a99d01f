package kube

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ferrydev/ferry/project"
)

// MetricsEndpoint returns where the service's metrics are read on
// Kubernetes: pods/<pod>:<port>/proxy/metrics through the API server, as
// ferry reaches no pod itself, with the client that authenticates to it.
// It is the first ready pod's (by name), not a sum over the pods: a
// soak sample then counts that pod's requests, which for a Deployment's
// evenly balanced replicas is a fair sample of the error ratio and
// latency, but not of the total request count.
func (t *Target) MetricsEndpoint(ctx context.Context, e *project.Environment, port string) (string, *http.Client, error) {
	env := t.Env(e)
	c, err := dial(env, t.k.Log)
	if err != nil {
		return "", nil, err
	}
	l, err := t.k.Live(ctx, env)
	if err != nil {
		return "", nil, fmt.Errorf("scraping %s's metrics: %w", env.Name, err)
	}
	pod := ""
	for _, p := range l.Pods {
		if p.Ready && !p.Terminating && (pod == "" || p.Name < pod) {
			pod = p.Name
		}
	}
	if pod == "" {
		return "", nil, fmt.Errorf("scraping %s's metrics: no ready pod in namespace %s", env.Name, env.Namespace)
	}
	hc, err := rest.HTTPClientFor(c.rest)
	if err != nil {
		return "", nil, fmt.Errorf("scraping %s's metrics: %w", env.Name, err)
	}
	hc.Timeout = 5 * time.Second
	u := c.client.CoreV1().RESTClient().Get().Namespace(env.Namespace).Resource("pods").
		Name(pod + ":" + port).SubResource("proxy").Suffix("metrics").URL()
	return u.String(), hc, nil
}
