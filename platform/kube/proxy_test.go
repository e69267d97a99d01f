package kube

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestHealthThroughServiceProxy: the default health mode, gofr, reads
// GoFr's /.well-known/health body through the API server's service proxy
// (services/orders-api:http/proxy/...), as it must on a cluster whose
// pods ferry cannot reach itself.
//
// The API server proxies only to an address that is a pod's status.podIP
// and never to loopback, and kwok's pods run nothing. So the service is a
// real HTTP server on this machine's own non-loopback address (the
// kernel's local route: the traffic never leaves the machine, which the
// bind proves: only a local address can be bound), and the one staging
// pod reports that address as its IP, as a kubelet would after a CNI
// gave it one; the EndpointSlice controller then points the Service at
// it. No other address is ever proxied to: the probe waits until the
// slice lists that one address alone.
func TestHealthThroughServiceProxy(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	l := listenLocalNonLoopback(t)
	ip, port := l.Addr().(*net.TCPAddr).IP.String(), l.Addr().(*net.TCPAddr).Port

	srv := serveGoFr(t, l)

	// The container's http port is the server's.
	portValues := filepath.Join(t.TempDir(), "values-port.yaml")
	if err := os.WriteFile(portValues, fmt.Appendf(nil, "config:\n  HTTP_PORT: %q\n", fmt.Sprint(port)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := exampleEnv(t, c, "staging", portValues)
	if _, err := (&Kube{}).Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	pods, err := c.WaitPods(ctx, env.Namespace, "app.kubernetes.io/name=orders-api", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pod := pods[0]
	pod.Status.PodIP, pod.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	if _, err := c.Client.CoreV1().Pods(env.Namespace).UpdateStatus(ctx, &pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitSliceIs(t, c, env.Namespace, "orders-api", fmt.Sprintf("%s:%d", ip, port))

	checkHealth(t, env, srv, []healthCase{
		{"GoFr UP", "gofr", 200, `{"data":{"status":"UP","details":{"sql":{"status":"UP"}}}}`, platform.HealthUp, "/.well-known/health", ""},
		// GoFr answers 200 while a datasource is down: DEGRADED is unhealthy.
		{"GoFr DEGRADED with a 200", "gofr", 200, `{"data":{"status":"DEGRADED","details":{"redis":{"status":"DOWN"}}}}`, platform.HealthDegraded, "/.well-known/health", "DEGRADED"},
		{"GoFr 503", "gofr", 503, `{"data":{"status":"DOWN"}}`, platform.HealthDown, "/.well-known/health", "503"},
		{"another path through the proxy", "/healthz", 200, `ok`, platform.HealthUp, "/healthz", ""},
		{"another path answering 500", "/healthz", 500, `boom`, platform.HealthDown, "/healthz", "500"},
	})
}

// listenLocalNonLoopback listens on a free port of this machine's first
// non-loopback IPv4 address. Without one the test cannot run: it skips,
// and fails under CI=true.
func listenLocalNonLoopback(t *testing.T) net.Listener {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var tried []string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil || n.IP.IsLoopback() || !n.IP.IsGlobalUnicast() {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(n.IP.String(), "0"))
		if err == nil {
			return l
		}
		tried = append(tried, err.Error())
	}
	msg := fmt.Sprintf("no non-loopback IPv4 address to listen on (the API server proxies to no loopback address); tried %q", tried)
	if testcluster.CI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil
}

// waitSliceIs waits until the Service's EndpointSlices list exactly one
// ready endpoint for port http, at want (ip:port).
func waitSliceIs(t *testing.T, c *testcluster.Cluster, ns, svc, want string) {
	t.Helper()
	var last []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(context.Background(), metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			t.Fatal(err)
		}
		last = nil
		for _, s := range l.Items {
			for _, p := range s.Ports {
				if p.Name == nil || *p.Name != "http" || p.Port == nil {
					continue
				}
				for _, ep := range s.Endpoints {
					for _, a := range ep.Addresses {
						last = append(last, fmt.Sprintf("%s:%d", a, *p.Port))
					}
				}
			}
		}
		if len(last) == 1 && last[0] == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("service %s's endpoints for http: %q, want only %s", svc, last, want)
}
