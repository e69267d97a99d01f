package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/state"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func init() {
	platform.Register("kube", platform.Registration{Decode: decode, Open: func(o platform.Options) (platform.Target, error) {
		return &Target{k: &Kube{Log: o.Logger}, p: o.Project, images: o.Images}, nil
	}})
}

// Target is the Kubernetes platform.Target: ferry.yaml's `target: kube`.
// It keeps its environments' state in their clusters (it implements
// promote.Stateful).
type Target struct {
	k      *Kube
	p      *project.Project
	images *artifact.Store
	// Kubeconfig, when set, overrides the kubeconfig loading rules (tests).
	Kubeconfig string
}

// NewTarget returns the kube target of project p.
func NewTarget(p *project.Project, images *artifact.Store, kubeconfig string) *Target {
	return &Target{k: &Kube{}, p: p, images: images, Kubeconfig: kubeconfig}
}

// Name implements platform.Target.
func (t *Target) Name() string { return "kube" }

// Env returns the kube settings of a project environment.
func (t *Target) Env(e *project.Environment) Env {
	repo := t.p.Image
	if repo == "" {
		repo = t.p.Service
	}
	release := e.Release
	if release == "" {
		release = t.p.Service
	}
	var values []string
	for _, v := range e.Values {
		values = append(values, filepath.Join(t.p.Dir, v))
	}
	own := settingsOf(e)
	env := Env{
		Name: e.Name, Kubeconfig: t.Kubeconfig, Context: own.Context, Namespace: e.Namespace,
		Release: release, Chart: filepath.Join(t.p.Dir, t.p.Chart), Values: values,
		Image: repo, Health: e.Health, Timeout: own.Timeout.Duration,
		Input: func(ctx context.Context) (*chart.Chart, map[string]any, error) {
			return render.New(t.p).HelmInput(ctx, e.Name)
		},
	}
	env.defaults()
	return env
}

func (t *Target) envNamed(name string) (Env, error) {
	e, err := t.p.Env(name)
	if err != nil {
		return Env{}, fmt.Errorf("%w: %w", platform.ErrBadInput, err)
	}
	return t.Env(e), nil
}

// Store implements promote.Stateful: the environment's history and lock
// live in its cluster.
func (t *Target) Store(e *project.Environment) (state.Store, error) {
	return t.k.NewStore(t.Env(e)), nil
}

// Desired implements platform.Target: the part of the effective
// configuration that reaches the container through its pod spec (env and
// envFrom). Keys that only the image's configs/ files set are not in the
// pod's environment and are left out; a Secret or ConfigMap the chart
// references but does not render is the cluster's to supply, so its value
// is read from the live object (a missing one stays empty: verify then
// names the key).
func (t *Target) Desired(ctx context.Context, e *project.Environment, eff *render.Config) ([]platform.Var, error) {
	var c *conn
	var srcs *sources
	var out []platform.Var
	for _, en := range eff.Entries {
		v := platform.Var{Key: en.Key, Value: en.Value, Secret: en.Secret, Source: en.Source.String()}
		switch en.Source.Kind {
		case render.KindFile, render.KindRuntime:
			continue
		case render.KindExternal:
			kind, ref, _ := strings.Cut(en.Source.Detail, " ")
			obj, key, _ := strings.Cut(ref, "/")
			if c == nil {
				var err error
				if c, err = dial(t.Env(e), t.k.Log); err != nil {
					return nil, err
				}
				srcs = &sources{c: c, ctx: ctx, seen: map[string]*source{}}
			}
			if kind == "Secret" || kind == "ConfigMap" {
				v.Value = srcs.get(kind, obj).data[key]
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Deploy implements platform.Target: the image is pushed to the
// environment's repository when it is not there yet, then the release is
// upgraded (or installed) with it pinned.
func (t *Target) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	env := t.Env(s.Environment)
	if s.HealthTimeout > 0 {
		env.Timeout = s.HealthTimeout
	}
	if err := t.push(ctx, env, s.Digest); err != nil {
		return nil, err
	}
	meta := Meta{Op: "deploy", Tag: s.Tag, Revision: s.Revision}
	// The revision's why (promote from where, by whom, which gates) is
	// in the store, written before the deploy.
	_ = t.k.NewStore(env).View(func(tx state.Tx) error {
		if r, err := tx.Get(env.Name, s.Revision); err == nil {
			meta.Op, meta.From, meta.By = r.Action, r.PromotedFrom, r.By
			for _, g := range r.Gates {
				meta.Gates = append(meta.Gates, g.Name)
			}
		}
		return nil
	})
	res, err := t.k.Deploy(ctx, env, s.Digest, meta, DeployOptions{ForceConflicts: s.ForceConflicts, MigrateClientSide: s.MigrateApply})
	if err != nil {
		var de *DeployError
		if errors.As(err, &de) {
			de.Revision = s.Revision // ferry's number, not Helm's
			return nil, de
		}
		if errors.Is(err, ErrBadInput) {
			return nil, fmt.Errorf("%w: %w", platform.ErrBadInput, err)
		}
		return nil, err
	}
	l, err := t.k.Live(ctx, env)
	if err != nil {
		return nil, err
	}
	return &platform.Rollout{Instances: instances(l), Startup: res.Took}, nil
}

// push copies the image to the environment's repository when the
// repository names a registry and lacks the digest. A bare name
// (orders-api) is the cluster's business (a preloaded image, kind load).
func (t *Target) push(ctx context.Context, env Env, digest string) error {
	if !namesRegistry(env.Image) || t.images == nil {
		return nil
	}
	ref := env.Image + "@" + digest
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("%w: image %s: %w", platform.ErrBadInput, ref, err)
	}
	if _, err := remote.Head(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err == nil {
		return nil
	}
	if err := t.images.Push(ctx, digest, ref, false); err != nil {
		return fmt.Errorf("%s: %w", env.where(), err)
	}
	return nil
}

func instances(l *Live) []platform.Instance {
	var out []platform.Instance
	for _, p := range l.Pods {
		out = append(out, platform.Instance{
			Name: p.Name, Digest: p.Digest, Revision: l.Revision.Ferry, Ready: p.Ready,
			Restarts: p.Restarts, Started: p.Started, Node: p.Node, Env: p.Env, Stale: p.Stale, Runtime: p.Runtime,
		})
	}
	return out
}

// Live implements platform.Target.
func (t *Target) Live(ctx context.Context, q platform.Query) (*platform.Live, error) {
	env, err := t.queryEnv(q)
	if err != nil {
		return nil, err
	}
	c, err := dial(env, t.k.Log)
	if err != nil {
		return nil, err
	}
	l, err := c.live(ctx)
	if errors.Is(err, ErrNotDeployed) {
		return nil, fmt.Errorf("%w: %w", platform.ErrNotRunning, err)
	}
	if err != nil {
		return nil, err
	}
	if err := c.resolveEnv(ctx, l); err != nil {
		return nil, err
	}
	pl := &platform.Live{Env: env.Name, Revision: l.Revision.Ferry, Digest: l.Digest, Instances: instances(l)}
	pl.Health, pl.HealthDetail = c.health(ctx, l)
	return pl, nil
}

// Promotable implements platform.SourceChecker: q's environment can be
// promoted from only once its rollout has settled and every pod runs,
// ready, the one digest its release pins.
func (t *Target) Promotable(ctx context.Context, q platform.Query) error {
	env, err := t.queryEnv(q)
	if err != nil {
		return err
	}
	l, err := t.k.Live(ctx, env)
	if err != nil {
		return err
	}
	return l.promotable()
}

func (t *Target) queryEnv(q platform.Query) (Env, error) {
	if q.Environment != nil {
		return t.Env(q.Environment), nil
	}
	return t.envNamed(q.Env)
}

// Health implements platform.Target.
func (t *Target) Health(ctx context.Context, q platform.Query) (platform.Health, string) {
	env, err := t.queryEnv(q)
	if err != nil {
		return platform.HealthUnknown, err.Error()
	}
	c, err := dial(env, t.k.Log)
	if err != nil {
		return platform.HealthUnknown, err.Error()
	}
	l, err := c.live(ctx)
	if err != nil {
		return platform.HealthDown, err.Error()
	}
	return c.health(ctx, l)
}

// health judges the environment the way its `health:` says: pod
// readiness alone, a URL ferry reaches itself, or GoFr's health body
// through the API server's service proxy (DEGRADED is unhealthy even
// with a 200).
func (c *conn) health(ctx context.Context, l *Live) (platform.Health, string) {
	var notReady []string
	for _, p := range l.Pods {
		if !p.Ready && !p.Terminating {
			notReady = append(notReady, p.Name)
		}
	}
	mode := c.env.Health
	switch {
	case len(l.Pods) == 0:
		return platform.HealthDown, "no pods"
	case len(notReady) > 0:
		return platform.HealthDown, "pods not ready: " + strings.Join(notReady, ", ")
	case mode == "readiness":
		return platform.HealthUp, "readiness only (health: readiness): ferry does not call the service"
	case strings.HasPrefix(mode, "http://") || strings.HasPrefix(mode, "https://"):
		hc := &http.Client{Timeout: 5 * time.Second}
		return platform.CheckHTTP(ctx, hc, mode)
	}
	path := "/.well-known/health"
	if strings.HasPrefix(mode, "/") {
		path = mode
	}
	svc, port := c.service()
	if svc == "" {
		return platform.HealthUnknown, "the release renders no Service to reach the pods through; set health: readiness or a URL"
	}
	var code int
	body, err := c.client.CoreV1().RESTClient().Get().Namespace(c.env.Namespace).Resource("services").
		Name(svc + ":" + port).SubResource("proxy").Suffix(path).Timeout(5 * time.Second).Do(ctx).StatusCode(&code).Raw()
	where := fmt.Sprintf("service/%s:%s%s (API server proxy)", svc, port, path)
	if err != nil && code == 0 {
		return platform.HealthDown, where + ": " + err.Error()
	}
	return platform.ParseHealth(code, body, where)
}

// service returns the release's first Service and the port to call: the
// one named http, else the first.
func (c *conn) service() (string, string) {
	rels, err := c.releases()
	if err != nil {
		return "", ""
	}
	cur := deployed(rels)
	if cur == nil {
		return "", ""
	}
	for _, doc := range splitYAML(cur.Manifest) {
		var obj struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
			Spec     struct {
				Ports []struct {
					Name string `json:"name"`
					Port int    `json:"port"`
				} `json:"ports"`
			} `json:"spec"`
		}
		if yaml.Unmarshal([]byte(doc), &obj) != nil || obj.Kind != "Service" || len(obj.Spec.Ports) == 0 {
			continue
		}
		port := obj.Spec.Ports[0]
		for _, p := range obj.Spec.Ports {
			if p.Name == "http" {
				port = p
			}
		}
		if port.Name != "" {
			return obj.Metadata.Name, port.Name
		}
		return obj.Metadata.Name, fmt.Sprint(port.Port)
	}
	return "", ""
}

// ObjectDrift implements platform.Drifter: the live objects' fields
// that differ from the live revision's manifest, with their managers.
func (t *Target) ObjectDrift(ctx context.Context, q platform.Query) ([]platform.ObjectDrift, error) {
	env, err := t.queryEnv(q)
	if err != nil {
		return nil, err
	}
	return t.k.Drift(ctx, env)
}

// Revisions implements platform.Target: the ferry revision the release
// runs.
func (t *Target) Revisions(ctx context.Context, envName string) ([]int, error) {
	env, err := t.envNamed(envName)
	if err != nil {
		return nil, err
	}
	l, err := t.k.Live(ctx, env)
	if errors.Is(err, ErrNotDeployed) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.Revision.Ferry == 0 {
		return nil, nil
	}
	return []int{l.Revision.Ferry}, nil
}

// Stop implements platform.Target. An upgrade already retired the older
// revisions' pods (their ReplicaSets scale to zero), so only keep == 0 —
// ferry down — does anything: the release is uninstalled.
func (t *Target) Stop(ctx context.Context, envName string, keep int) error {
	if keep != 0 {
		return nil
	}
	env, err := t.envNamed(envName)
	if err != nil {
		return err
	}
	return t.k.Down(ctx, env)
}
