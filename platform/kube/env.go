package kube

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	autoscalingv2client "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/ferrydev/ferry/internal/sentinel"
	"github.com/ferrydev/ferry/platform/kubeconn"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// FieldManager is the one server-side-apply field manager ferry applies
// as: a field another manager changed shows up under that manager's name.
const FieldManager = "ferry"

// Env is one environment on a cluster, as ferry.yaml describes it.
type Env struct {
	// Name is the environment's name (staging, prod).
	Name string
	// Kubeconfig is an explicit kubeconfig file; empty means the default
	// loading rules, as kubectl: $KUBECONFIG (a list), else
	// ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context; empty means its current context.
	Context string
	// Namespace is where the release lives; the environment's name by
	// default.
	Namespace string
	// Release is the Helm release's name; the service's name by default.
	Release string
	// Chart is the chart directory and Values the values files, base
	// first (absolute paths).
	Chart  string
	Values []string
	// Input, when set, gives the chart and merged values to install in
	// place of loading Chart and Values: the target sets it to read them
	// as ferry render does (confined to the project, SOPS decrypted).
	Input func(context.Context) (*chart.Chart, map[string]any, error)
	// Image is the repository the cluster pulls the service from; every
	// workload container running it is pinned to Image@digest.
	Image string
	// Timeout bounds a rollout (5m when zero).
	Timeout time.Duration
	// Health is how ferry judges the service's health: "gofr" (the
	// default: GoFr's /.well-known/health body through the API server's
	// service proxy), a path ("/healthz", same route), an http(s) URL
	// ferry can reach directly, or "readiness" (pod readiness alone).
	Health string
}

// ErrBadInput marks an error in what the user gave (an unknown context, a
// chart that pins nothing): exit 2.
var ErrBadInput error = &sentinel.Error{Text: "bad input"}

func (e *Env) defaults() {
	if e.Namespace == "" {
		e.Namespace = e.Name
	}
	if e.Timeout == 0 {
		e.Timeout = 5 * time.Minute
	}
	if e.Health == "" {
		e.Health = "gofr"
	}
}

// where names the environment's place for messages: "prod (context
// kind-prod, namespace orders)".
func (e *Env) where() string {
	ctx := e.Context
	if ctx == "" {
		ctx = "current context"
	} else {
		ctx = "context " + ctx
	}
	return fmt.Sprintf("%s (%s, namespace %s)", e.Name, ctx, e.Namespace)
}

// conn is a connection to an environment's cluster: the typed clients
// ferry reads with, the dynamic client and REST mapper the release flow
// applies manifests with, and Helm's release records (Secrets in the
// environment's namespace, where helm history/status/rollback find them:
// records.go).
type conn struct {
	env    Env
	rest   *rest.Config
	client *clients
	dyn    *dynamic.DynamicClient
	mapper meta.ResettableRESTMapper
	helm   *helmConfig
}

// helmConfig is Helm's release records and the log for their messages.
type helmConfig struct {
	Releases *records
	log      *slog.Logger
}

// dial loads the kubeconfig with kubectl's loading rules and the
// environment's context. An unknown context is bad input.
func dial(e Env, log *slog.Logger) (*conn, error) {
	e.defaults()
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = e.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: e.Context}).ClientConfig()
	if err != nil {
		msg := err.Error()
		if clientcmd.IsContextNotFound(err) || clientcmd.IsEmptyConfig(err) ||
			(strings.Contains(msg, "context") && (strings.Contains(msg, "does not exist") || strings.Contains(msg, "was not found"))) {
			return nil, fmt.Errorf("%w: environment %s: %w", ErrBadInput, e.Name, err)
		}
		return nil, fmt.Errorf("environment %s: kubeconfig: %w", e.Name, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	client, err := newClients(cfg)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", e.Name, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", e.Name, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", e.Name, err)
	}
	return &conn{
		env: e, rest: cfg, client: client, dyn: dyn,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		helm:   &helmConfig{Releases: &records{secrets: client.CoreV1().Secrets(e.Namespace), log: log}, log: log},
	}, nil
}

// clients are the API groups ferry uses, each a concrete typed client
// sharing one HTTP client, as kubernetes.NewForConfig builds them — but
// not kubernetes.Clientset, which builds all fifty groups, nor anything
// held as an interface: a client in an interface keeps every method of
// its type in the binary (Helm's engine uses text/template, so the
// linker keeps the methods of all types that reach an interface), and
// through them every group's client and apply configurations, about 8 MB.
type clients struct {
	core  *corev1client.CoreV1Client
	apps  *appsv1client.AppsV1Client
	as    *autoscalingv2client.AutoscalingV2Client
	coord *coordinationv1client.CoordinationV1Client
	disc  *discovery.DiscoveryClient
}

func (c *clients) CoreV1() *corev1client.CoreV1Client                         { return c.core }
func (c *clients) AppsV1() *appsv1client.AppsV1Client                         { return c.apps }
func (c *clients) AutoscalingV2() *autoscalingv2client.AutoscalingV2Client    { return c.as }
func (c *clients) CoordinationV1() *coordinationv1client.CoordinationV1Client { return c.coord }
func (c *clients) Discovery() *discovery.DiscoveryClient                      { return c.disc }

// newClients builds the clients on one connection (kubeconn.Prepare):
// the default user agent, one HTTP client and rate limiter for all.
func newClients(c *rest.Config) (*clients, error) {
	cfg, hc, err := kubeconn.Prepare(c)
	if err != nil {
		return nil, err
	}
	var out clients
	if out.core, err = corev1client.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if out.apps, err = appsv1client.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if out.as, err = autoscalingv2client.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if out.coord, err = coordinationv1client.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if out.disc, err = discovery.NewDiscoveryClientForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	return &out, nil
}
