package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	helmkube "helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/api/meta"
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

// conn is a connection to an environment's cluster: Helm's kube client
// and release storage (Secrets in the environment's namespace, where
// helm history/status/rollback find them), and a clientset.
type conn struct {
	env    Env
	rest   *rest.Config
	client kubernetes.Interface
	helm   *helmConfig
}

// helmConfig is the part of Helm's SDK ferry's release flow runs on: the
// kube client that builds, applies, waits for and deletes the objects, and
// the release records.
type helmConfig struct {
	KubeClient *helmkube.Client
	Releases   *storage.Storage
	log        *slog.Logger
	// getter is the kubeconfig the kube client builds from; its REST
	// mapper learns new kinds when reset (after installing CRDs).
	getter genericclioptions.RESTClientGetter
}

// resetMapper forgets the discovered kinds, so that objects of CRDs just
// installed can be built.
func (c *conn) resetMapper() error {
	if dc, err := c.helm.getter.ToDiscoveryClient(); err == nil {
		dc.Invalidate()
	}
	m, err := c.helm.getter.ToRESTMapper()
	if err != nil {
		return err
	}
	if r, ok := m.(meta.ResettableRESTMapper); ok {
		r.Reset()
	}
	return nil
}

// configFlags are kubectl's loading rules for the environment's
// kubeconfig, context and namespace (e has its defaults).
func (e *Env) configFlags() *genericclioptions.ConfigFlags {
	flags := genericclioptions.NewConfigFlags(false)
	if e.Kubeconfig != "" {
		flags.KubeConfig = &e.Kubeconfig
	}
	if e.Context != "" {
		flags.Context = &e.Context
	}
	flags.Namespace = &e.Namespace
	return flags
}

// dial loads the kubeconfig with kubectl's loading rules and the
// environment's context. An unknown context is bad input.
func dial(e Env, log *slog.Logger) (*conn, error) {
	e.defaults()
	flags := e.configFlags()
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
	kc := helmkube.New(flags)
	kc.SetLogger(log.Handler())
	kc.Namespace = e.Namespace
	d := driver.NewSecrets(client.CoreV1().Secrets(e.Namespace))
	d.SetLogger(log.Handler())
	hc := &helmConfig{KubeClient: kc, Releases: storage.Init(d), log: log, getter: flags}
	return &conn{env: e, rest: cfg, client: client, helm: hc}, nil
}
