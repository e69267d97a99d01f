package platform

import (
	"context"
	"net/http"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// The optional interfaces: a Target implements what its environments
// can do beyond running (Target), and promote asks for each with a type
// assertion where it needs it. A new target implements the ones that
// apply and nothing else; this file is the list of them.

// Drifter is a target whose environments are objects that can be changed
// behind ferry's back (a ConfigMap edited with kubectl): drift compares
// them with what the live revision deployed.
type Drifter interface {
	ObjectDrift(ctx context.Context, q Query) ([]ObjectDrift, error)
}

// Reattacher is a target that can take back instances the state store
// recorded (write-ahead) but the target itself lost track of: a local
// process whose record file is gone. Recovery calls it before it looks
// at what runs.
type Reattacher interface {
	Reattach(ctx context.Context, env string, rev int, instances []Instance) error
}

// StoreOwner is a target that keeps its environments' whole record —
// revisions, soak samples, log levels and the lock — itself (a
// Kubernetes target: a Secret, a ConfigMap and a Lease in the cluster)
// instead of in the project's state file, so that everyone working on
// an environment sees one record.
type StoreOwner interface {
	Store(env *project.Environment) (state.Store, error)
}

// SourceChecker is a target that knows, beyond the digest Live reports,
// why an environment cannot be promoted from right now (kube: a rollout
// in progress, pods not ready or running different digests, an image
// changed by hand), naming what is wrong. The live gate fails with it.
type SourceChecker interface {
	Promotable(ctx context.Context, q Query) error
}

// TagResolver is a target whose environments pull from a registry: a tag
// named on the command line is resolved there, where the cluster would
// resolve it, not in this laptop's artifact store. It returns "" (and no
// error) when the environment names no registry.
type TagResolver interface {
	ResolveTag(ctx context.Context, env *project.Environment, tag string) (digest, where string, err error)
}

// DirectMetrics is a target whose instances ferry reaches itself (local:
// processes on this machine): a soak scrapes their metrics port on the
// host the revision's URL names. A target that implements none of
// DirectMetrics, MetricsEndpoint and the kube target's per-pod
// MetricsEndpoints has no metrics soak.
type DirectMetrics interface {
	DirectMetrics()
}

// MetricsEndpoint is a target whose instances ferry cannot reach itself
// (kube: through the API server's pod proxy): it returns the URL of the
// instances' metrics on port and the client to scrape it with.
type MetricsEndpoint interface {
	MetricsEndpoint(ctx context.Context, e *project.Environment, port string) (string, *http.Client, error)
}

// PodsMetrics is a target that runs several instances ferry cannot reach
// itself (kube: every ready pod, through the API server's pod proxy): a
// soak scrapes each one it lists, looked up again at every scrape, and
// sums them.
type PodsMetrics interface {
	MetricsEndpoints(ctx context.Context, e *project.Environment, port string) (map[string]string, *http.Client, error)
}

// PortForwarder is a target whose service ferry may reach only inside
// the cluster (kube: a port-forward to a ready pod through the API
// server): smoke steps are sent through it. It returns the forwarded
// base URL and the function that closes it.
type PortForwarder interface {
	PortForward(ctx context.Context, e *project.Environment) (string, func(), error)
}

// ConfigsReader is a target that sees an artifact's configuration layer
// apart from its executable (the local target): verify compares the live
// instance's with the live revision's artifact's.
type ConfigsReader interface {
	ImageConfigs(digest string) (string, error)
}

// Describer is a target that can say, from its own record of an instance
// (Private, as Deploy returned it and the state store kept it), what
// people should see of it without asking the platform: a local
// process's pid. `ferry status` shows it; the record stays the target's.
type Describer interface {
	Describe(in Instance) map[string]string
}
