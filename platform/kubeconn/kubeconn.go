// Package kubeconn prepares one connection to a cluster the way
// kubernetes.NewForConfig prepares its clients — the default user agent,
// one HTTP client and one rate limiter shared by every client built on it
// — for the kube and gitops targets, which build only the typed clients
// they use (the whole clientset would keep every API group's client in
// ferry's binary).
package kubeconn

import (
	"net/http"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Prepare returns a copy of c with kubernetes.NewForConfig's defaults
// filled in and the HTTP client every client built from it shares.
func Prepare(c *rest.Config) (*rest.Config, *http.Client, error) {
	cfg := *c
	if cfg.UserAgent == "" {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	hc, err := rest.HTTPClientFor(&cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.RateLimiter == nil && cfg.QPS > 0 {
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
	}
	return &cfg, hc, nil
}
