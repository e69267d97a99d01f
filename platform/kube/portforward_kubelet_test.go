package kube

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/project"
)

// kubeletPortForward serves a kubelet's /portForward endpoint as the
// kubelet does (SPDY, protocol portforward.k8s.io: per connection an
// error stream and a data stream, matched by requestID), forwarding
// every data stream to target whatever the pod and port. It stands in
// for the kubelet, which kwok does not run; the API server's hop to it
// and client-go's side are the real ones.
func kubeletPortForward(t *testing.T, target string, seen func(path string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		seen(req.URL.Path)
		if _, err := httpstream.Handshake(req, w, []string{"portforward.k8s.io"}); err != nil {
			return
		}
		streams := make(chan httpstream.Stream, 16)
		conn := spdy.NewResponseUpgrader().UpgradeResponse(w, req, func(s httpstream.Stream, _ <-chan struct{}) error {
			streams <- s
			return nil
		})
		if conn == nil {
			return
		}
		defer conn.Close()
		var mu sync.Mutex
		errStreams := map[string]httpstream.Stream{}
		for {
			select {
			case <-conn.CloseChan():
				return
			case s := <-streams:
				id := s.Headers().Get(corev1.PortForwardRequestIDHeader)
				switch s.Headers().Get(corev1.StreamType) {
				case corev1.StreamTypeError:
					mu.Lock()
					errStreams[id] = s
					mu.Unlock()
				case corev1.StreamTypeData:
					go func() {
						defer func() {
							s.Close()
							mu.Lock()
							if e := errStreams[id]; e != nil {
								e.Close()
							}
							mu.Unlock()
						}()
						c, err := net.Dial("tcp", target)
						if err != nil {
							t.Errorf("fake kubelet: %v", err)
							return
						}
						defer c.Close()
						go io.Copy(c, s)
						io.Copy(s, c)
					}()
				}
			}
		}
	})
}

// TestSmokeThroughPortForward: the port-forward a smoke step without a
// URL goes through reaches the release's ready pod's http port through
// the API server's pods/<pod>/portforward. The kubelet end is
// kubeletPortForward on a test host of the test's own (see
// listenInTestHost), which the pod's node reports as its address for the
// test's length; it forwards to a real HTTP server on loopback.
func TestSmokeThroughPortForward(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()

	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "orders: "+r.Method+" "+r.URL.Path)
	}))
	t.Cleanup(app.Close)
	var mu sync.Mutex
	var paths []string
	l := listenInTestHost(t)
	kubelet := httptest.NewUnstartedServer(kubeletPortForward(t, app.Listener.Addr().String(), func(p string) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, p)
	}))
	kubelet.Listener.Close()
	kubelet.Listener = l
	kubelet.StartTLS()
	t.Cleanup(kubelet.Close)
	kip, kport := l.Addr().(*net.TCPAddr).IP.String(), l.Addr().(*net.TCPAddr).Port

	env := exampleEnv(t, c, "staging")
	if _, err := (&Kube{}).Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	pods, err := c.WaitPods(ctx, env.Namespace, "app.kubernetes.io/name=orders-api", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pod := pods[0]

	// The pod's node is reached at the test host for the test's length.
	nodes := c.Client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, pod.Spec.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	orig := node.Status.DeepCopy()
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: kip}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(kport)
	if _, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n, err := nodes.Get(context.Background(), pod.Spec.NodeName, metav1.GetOptions{})
		if err == nil {
			n.Status.Addresses, n.Status.DaemonEndpoints = orig.Addresses, orig.DaemonEndpoints
			_, err = nodes.UpdateStatus(context.Background(), n, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Errorf("restoring node %s: %v", pod.Spec.NodeName, err)
		}
	})

	p, err := project.Load(example(t))
	if err != nil {
		t.Fatal(err)
	}
	tg := NewTarget(p, nil, "")
	t.Setenv("KUBECONFIG", env.Kubeconfig)
	pe := &project.Environment{Name: "staging", Target: "kube", Namespace: env.Namespace}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	base, stop, err := tg.PortForward(fctx, pe)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base %s, want a loopback URL", base)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, path := range []string{"/orders", "/.well-known/health"} {
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s through the port-forward: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "orders: GET " + path; string(body) != want {
			t.Errorf("GET %s through the port-forward: %q, want %q", path, body, want)
		}
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	want := "/portForward/" + env.Namespace + "/" + pod.Name
	if len(paths) == 0 || paths[0] != want {
		t.Errorf("the kubelet was asked for %q, want %s", paths, want)
	}
	if _, err := hc.Get(base + "/orders"); err == nil {
		t.Errorf("the port-forward still answers after stop")
	}
}
