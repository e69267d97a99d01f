package testcluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

//go:embed testdata/kwok/*.yaml
var stages embed.FS

// adminToken is the static bearer token of the cluster's only user, a
// member of system:masters. It exists only on loopback, for one test run.
const adminToken = "ferry-testcluster-admin"

// nobodyToken authenticates user "nobody", whom no RBAC rule grants
// anything: tests of what a user without permission sees.
const nobodyToken = "ferry-testcluster-nobody"

// NodeName is the kwok node every pod lands on.
const NodeName = "kwok-node-0"

// Cluster is a running control plane.
type Cluster struct {
	// Dir holds the data, PKI, kubeconfig and one log per component.
	Dir string
	// Kubeconfig is the path of a kubeconfig for the cluster's admin,
	// with one context named Context.
	Kubeconfig string
	Context    string
	// Server is the API server's URL.
	Server string
	// Client is a clientset for the admin.
	Client kubernetes.Interface
	// Started is how long the start took, up to a Ready node.
	Started time.Duration

	caPEM    []byte
	procs    []*proc // in start order; stopped in reverse
	stopOnce sync.Once
	// bins, apiArgs and api let StartAPIServer start the API server
	// again, on the same port and etcd, at procs[api].
	bins     Binaries
	apiArgs  []string
	api      int
	restarts int
}

// Options tune Start.
type Options struct {
	// Name names the kubeconfig's context (and cluster and user);
	// "testcluster" when empty. Tests with two clusters give them
	// different names.
	Name string
	// Log receives build progress; nothing when nil.
	Log io.Writer
	// Build builds missing binaries instead of failing with
	// ErrNoBinaries (about 8.5 minutes the first time).
	Build bool
}

// Start starts a control plane in a new temporary directory and returns
// once it serves, its node is Ready and the default namespace's service
// account exists (pods are admitted only after it does).
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	begin := time.Now()
	if o.Name == "" {
		o.Name = "testcluster"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	bins, err := Locate()
	if err != nil {
		return nil, err
	}
	if missing := bins.Missing(); len(missing) > 0 {
		if !o.Build {
			return nil, fmt.Errorf("%w: %s missing in %s; build them with `make testcluster` (about 8.5 minutes the first time)", ErrNoBinaries, strings.Join(missing, ", "), bins.Dir)
		}
		if err := bins.Build(ctx, o.Log); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "ferry-testcluster-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir, Context: o.Name}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	pk, err := writePKI(dir)
	if err != nil {
		return nil, fmt.Errorf("testcluster pki: %w", err)
	}
	c.caPEM = pk.CAPEM
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	c.Server = fmt.Sprintf("https://127.0.0.1:%d", apiPort)

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	etcd, err := c.start(bins, "etcd", "--name=test", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL, "--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, etcd, http.DefaultClient, etcdURL+"/health", "", 30*time.Second); err != nil {
		return nil, err
	}

	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(adminToken+`,admin,admin-uid,"system:masters"`+"\n"+
		nobodyToken+",nobody,nobody-uid\n"), 0o600); err != nil {
		return nil, err
	}
	c.bins, c.api = bins, len(c.procs)
	c.apiArgs = []string{"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		// The default reconciler refuses a loopback advertise address;
		// only default/kubernetes's endpoints are lost, which kwok
		// does not need.
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--tls-cert-file=" + pk.CertFile, "--tls-private-key-file=" + pk.KeyFile,
		"--client-ca-file=" + pk.CAFile,
		"--token-auth-file=" + tokens, "--authorization-mode=Node,RBAC",
		"--service-account-key-file=" + pk.SAPub, "--service-account-signing-key-file=" + pk.SAKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.96.0.0/16"}
	api, err := c.start(bins, "kube-apiserver", c.apiArgs...)
	if err != nil {
		return nil, err
	}
	if err := c.waitAPIServer(ctx, api); err != nil {
		return nil, err
	}

	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, c.kubeconfig(o.Name), 0o600); err != nil {
		return nil, err
	}
	if c.Client, err = kubernetes.NewForConfig(c.RESTConfig()); err != nil {
		return nil, err
	}
	kc := "--kubeconfig=" + c.Kubeconfig
	if _, err := c.start(bins, "kube-controller-manager", kc,
		"--authentication-kubeconfig="+c.Kubeconfig, "--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+pk.SAKey, "--root-ca-file="+pk.CAFile,
		"--controllers=*"); err != nil {
		return nil, err
	}
	if _, err := c.start(bins, "kube-scheduler", kc,
		"--authentication-kubeconfig="+c.Kubeconfig, "--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false"); err != nil {
		return nil, err
	}
	kwokConfig, err := writeStages(dir)
	if err != nil {
		return nil, err
	}
	kwok, err := c.start(bins, "kwok", kc, "--config="+kwokConfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.0/16", "--node-ip=10.243.0.1", "--server-address=127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := c.createNode(ctx); err != nil {
		return nil, err
	}
	if err := c.waitNodeReady(ctx, kwok, 60*time.Second); err != nil {
		return nil, err
	}
	if err := c.waitServiceAccount(ctx, "default", 60*time.Second); err != nil {
		return nil, err
	}
	c.Started = time.Since(begin)
	return c, nil
}

func (c *Cluster) start(bins Binaries, name string, args ...string) (*proc, error) {
	p, err := startProc(bins.Path(name), name, c.Dir, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// Stop stops the components in reverse order (kwok first, etcd last: an
// API server with clients attached may take long to go), each with a
// SIGKILL after 5 s, and removes the cluster's directory. It is safe to
// call more than once.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].stop(5 * time.Second)
		}
		if os.Getenv("FERRY_TESTCLUSTER_KEEP") == "" {
			os.RemoveAll(c.Dir)
		}
	})
}

// Exited names each component that exited without being stopped, with
// the last lines of its log: nil while all of them run. Waits fail with
// it at once instead of running out their time, and a failing test that
// used the cluster shows it (Get), so that a test failed by a dead
// control plane says which part died and why.
func (c *Cluster) Exited() error {
	if c == nil {
		return nil
	}
	var dead []string
	for _, p := range c.procs {
		if d := p.died(); d != "" {
			dead = append(dead, d)
		}
	}
	if len(dead) == 0 {
		return nil
	}
	return fmt.Errorf("control plane component %s", strings.Join(dead, "\ncontrol plane component "))
}

// StopAPIServer stops the API server alone, as a control plane that goes
// away under a client (an upgrade of the masters, a network cut):
// etcd, the controllers and kwok keep running and reconnect once
// StartAPIServer brings it back.
func (c *Cluster) StopAPIServer() {
	c.procs[c.api].stop(5 * time.Second)
}

// StartAPIServer starts the API server again after StopAPIServer, with
// the same flags, port and etcd (so the same objects), and returns once
// it is ready. Its log is a new file, kube-apiserver-restart-N.log.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if !c.procs[c.api].exited() {
		return fmt.Errorf("testcluster: kube-apiserver is still running")
	}
	c.restarts++
	p, err := startProc(c.bins.Path("kube-apiserver"), fmt.Sprintf("kube-apiserver-restart-%d", c.restarts), c.Dir, c.apiArgs...)
	if err != nil {
		return err
	}
	c.procs[c.api] = p
	return c.waitAPIServer(ctx, p)
}

func (c *Cluster) waitAPIServer(ctx context.Context, api *proc) error {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.pool()}}
	defer tr.CloseIdleConnections()
	return waitHTTP(ctx, api, &http.Client{Transport: tr, Timeout: 5 * time.Second}, c.Server+"/readyz", adminToken, 60*time.Second)
}

// RESTConfig returns a client config for the cluster's admin.
func (c *Cluster) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:            c.Server,
		BearerToken:     adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.caPEM},
		QPS:             200,
		Burst:           400,
	}
}

func (c *Cluster) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(c.caPEM)
	return p
}

// NobodyKubeconfig writes a kubeconfig for user "nobody" (authenticated,
// allowed nothing) and returns its path.
func (c *Cluster) NobodyKubeconfig() (string, error) {
	path := filepath.Join(c.Dir, "kubeconfig-nobody")
	return path, os.WriteFile(path, c.kubeconfigFor(c.Context, nobodyToken), 0o600)
}

func (c *Cluster) kubeconfig(name string) []byte { return c.kubeconfigFor(name, adminToken) }

func (c *Cluster) kubeconfigFor(name, token string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority: %[3]s
users:
- name: %[1]s-admin
  user:
    token: %[4]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s-admin
    namespace: default
current-context: %[1]s
`, name, c.Server, filepath.Join(c.Dir, "ca.crt"), token)
}

// writeStages writes kwok's configuration: every vendored stage, as one
// multi-document file.
func writeStages(dir string) (string, error) {
	ents, err := stages.ReadDir("testdata/kwok")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	for _, e := range ents {
		data, err := stages.ReadFile("testdata/kwok/" + e.Name())
		if err != nil {
			return "", err
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	path := filepath.Join(dir, "kwok.yaml")
	return path, os.WriteFile(path, b.Bytes(), 0o600)
}

// createNode registers the one fake node, annotated so that kwok manages
// it, with no taint, so that charts need no tolerations. Its capacity is
// a real machine's, so that a pod asking for more stays Pending as it
// would on a real cluster.
func (c *Cluster) createNode(ctx context.Context) error {
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("250"),
	}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        NodeName,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux",
				"kubernetes.io/arch": "amd64", "type": "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: res, Allocatable: res},
	}
	_, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create node %s: %w", NodeName, err)
	}
	return nil
}

func (c *Cluster) waitNodeReady(ctx context.Context, kwok *proc, limit time.Duration) error {
	return c.poll(ctx, limit, func() (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	}, func() error { return kwok.failure("node "+NodeName+" never Ready", errTimeout) })
}

// waitServiceAccount waits for ns's default service account: the
// controller-manager creates it asynchronously, and until it exists the
// ServiceAccount admission plugin rejects pods.
func (c *Cluster) waitServiceAccount(ctx context.Context, ns string, limit time.Duration) error {
	return c.poll(ctx, limit, func() (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}, func() error {
		return fmt.Errorf("namespace %s: no default service account after %s (is kube-controller-manager running? see %s)", ns, limit, filepath.Join(c.Dir, "kube-controller-manager.log"))
	})
}

// waitHTTP polls url until it answers 200 or p exits.
func waitHTTP(ctx context.Context, p *proc, client *http.Client, url, token string, limit time.Duration) error {
	var last string
	return poll(ctx, limit, func() (bool, error) {
		if p.exited() {
			return false, p.failure("GET "+url, errTimeout)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		last = fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body))
		return resp.StatusCode == http.StatusOK, nil
	}, func() error { return p.failure("GET "+url+" last answered "+last, errTimeout) })
}

// poll is poll that fails as soon as a component of c has exited.
func (c *Cluster) poll(ctx context.Context, limit time.Duration, cond func() (bool, error), timeout func() error) error {
	return poll(ctx, limit, func() (bool, error) {
		if err := c.Exited(); err != nil {
			return false, err
		}
		return cond()
	}, timeout)
}

// poll calls cond every 50 ms until it is true or fails, or limit passes.
func poll(ctx context.Context, limit time.Duration, cond func() (bool, error), timeout func() error) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return timeout()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
