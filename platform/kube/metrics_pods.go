package kube

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ferrydev/ferry/project"
)

// MetricsEndpoints returns the metrics endpoint of every ready pod of the
// release, by pod name: pods/<pod>:<port>/proxy/metrics through the API
// server, as ferry reaches no pod itself, with the client that
// authenticates to it. A soak sums what the pods count and judges each
// pod against its own earlier counts, so no pod stands for the others.
func (t *Target) MetricsEndpoints(ctx context.Context, e *project.Environment, port string) (map[string]string, *http.Client, error) {
	env := t.Env(e)
	c, err := dial(env, t.k.Log)
	if err != nil {
		return nil, nil, err
	}
	l, err := t.k.Live(ctx, env)
	if err != nil {
		return nil, nil, fmt.Errorf("scraping %s's metrics: %w", env.Name, err)
	}
	urls := map[string]string{}
	for _, p := range l.Pods {
		if p.Ready && !p.Terminating {
			urls[p.Name] = c.client.CoreV1().RESTClient().Get().Namespace(env.Namespace).Resource("pods").
				Name(p.Name + ":" + port).SubResource("proxy").Suffix("metrics").URL().String()
		}
	}
	if len(urls) == 0 {
		return nil, nil, fmt.Errorf("scraping %s's metrics: no ready pod in namespace %s", env.Name, env.Namespace)
	}
	hc, err := rest.HTTPClientFor(c.rest)
	if err != nil {
		return nil, nil, fmt.Errorf("scraping %s's metrics: %w", env.Name, err)
	}
	hc.Timeout = 5 * time.Second
	return urls, hc, nil
}
