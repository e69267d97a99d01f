package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	helmkube "helm.sh/helm/v4/pkg/kube"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// FieldManager is the one server-side-apply field manager ferry applies
// as: a field another manager changed shows up under that manager's name.
const FieldManager = "ferry"

func init() {
	// Helm's kube client applies under this package-level name.
	helmkube.ManagedFieldsManager = FieldManager
}

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
var ErrBadInput = errors.New("bad input")

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

// conn is a connection to an environment's cluster: a Helm action
// configuration bound to the environment's namespace, and a clientset.
type conn struct {
	env    Env
	rest   *rest.Config
	client kubernetes.Interface
	helm   *action.Configuration
}

// dial loads the kubeconfig with kubectl's loading rules and the
// environment's context. An unknown context is bad input.
func dial(e Env, log *slog.Logger) (*conn, error) {
	e.defaults()
	flags := genericclioptions.NewConfigFlags(false)
	if e.Kubeconfig != "" {
		flags.KubeConfig = &e.Kubeconfig
	}
	if e.Context != "" {
		flags.Context = &e.Context
	}
	flags.Namespace = &e.Namespace
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		msg := err.Error()
		if clientcmd.IsContextNotFound(err) || clientcmd.IsEmptyConfig(err) ||
			(strings.Contains(msg, "context") && (strings.Contains(msg, "does not exist") || strings.Contains(msg, "was not found"))) {
			return nil, fmt.Errorf("%w: environment %s: %w", ErrBadInput, e.Name, err)
		}
		return nil, fmt.Errorf("environment %s: kubeconfig: %w", e.Name, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.QPS, c.Burst = 100, 200
		return c
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", e.Name, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := action.NewConfiguration(action.ConfigurationSetLogger(log.Handler()))
	if err := hc.Init(flags, e.Namespace, "secret"); err != nil {
		return nil, fmt.Errorf("environment %s: helm: %w", e.Name, err)
	}
	return &conn{env: e, rest: cfg, client: client, helm: hc}, nil
}
