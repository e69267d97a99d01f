package kube

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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
// real HTTP server on a test host of the test's own (a network namespace
// joined by a veth pair, see listenInTestHost), and the one staging pod
// reports that host's address as its IP, as a kubelet would after a CNI
// gave it one; the EndpointSlice controller then points the Service at
// it. No other address is ever proxied to: the probe waits until the
// slice lists that one address alone.
func TestHealthThroughServiceProxy(t *testing.T) {
	c := testcluster.Get(t)
	l := listenInTestHost(t)
	ip, port := l.Addr().(*net.TCPAddr).IP.String(), l.Addr().(*net.TCPAddr).Port

	srv := serveGoFr(t, l)

	// The container's http port is the server's.
	portValues := filepath.Join(t.TempDir(), "values-port.yaml")
	if err := os.WriteFile(portValues, fmt.Appendf(nil, "config:\n  HTTP_PORT: %q\n", fmt.Sprint(port)), 0o644); err != nil {
		t.Fatal(err)
	}
	env, _ := deployAtTestHost(t, c, ip, portValues)
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

// listenInTestHost listens on a test host of the test's own: a network
// namespace it creates (removed at cleanup), joined to this one by a veth
// pair, 10.213.N.1 on this side and 10.213.N.2 on the other. The API
// server proxies only to a pod's IP and never to loopback, and traffic
// must stay on this machine's loopback or its own test hosts: so the
// service listens inside that namespace, and the pod reports 10.213.N.2
// as its IP. The socket is made in the namespace and stays there (a
// socket belongs to the namespace it was created in), so the rest of the
// test runs in its own namespace as usual. Without root or iproute2 the
// test cannot run: it skips, and fails under CI=true.
//
// port, when given, is the port to listen on (0 by default): test hosts
// are separate network namespaces, so several can listen on one port, as
// a release's pods do.
func listenInTestHost(t *testing.T, port ...int) net.Listener {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		if testcluster.CI() {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if os.Geteuid() != 0 {
		fail("a test host needs a network namespace, which needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		fail("a test host needs iproute2's ip: %v", err)
	}
	// Each call its own names and subnet: a test binary may make several,
	// and a deleted veth pair lingers a moment.
	k := int(testHosts.Add(1))
	n := (os.Getpid()+7*k)%200 + 20
	ns, host, peer := fmt.Sprintf("ferry-test-%d-%d", os.Getpid(), k), fmt.Sprintf("fh%d-%d", os.Getpid()%100000, k), "ferryp0"
	local, remote := fmt.Sprintf("10.213.%d.1", n), fmt.Sprintf("10.213.%d.2", n)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", ns)
	// Deleting the namespace deletes the veth pair with it.
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns)
	ip("addr", "add", local+"/30", "dev", host)
	ip("link", "set", host, "up")
	ip("-n", ns, "addr", "add", remote+"/30", "dev", peer)
	ip("-n", ns, "link", "set", peer, "up")
	ip("-n", ns, "link", "set", "lo", "up")

	type result struct {
		l   net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The thread enters the namespace and comes back before it is
		// handed back to the scheduler. It is not retired instead: a
		// control plane process started from it (Pdeathsig) would be
		// killed with it. If it cannot come back, the goroutine ends
		// locked and the runtime retires the thread.
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer home.Close()
		target, err := os.Open(filepath.Join("/var/run/netns", ns))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{err: fmt.Errorf("enter %s: %w", ns, err)}
			return
		}
		l, err := net.Listen("tcp", net.JoinHostPort(remote, fmt.Sprint(append(port, 0)[0])))
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{l, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("listen in test host %s: %v", ns, r.err)
	}
	t.Cleanup(func() { r.l.Close() })
	return r.l
}

// deployAtTestHost deploys staging with one pod and has that pod report
// ip (a test host's, see listenInTestHost) as its IP, as a kubelet would
// after a CNI gave it one.
func deployAtTestHost(t *testing.T, c *testcluster.Cluster, ip string, extraValues ...string) (Env, corev1.Pod) {
	t.Helper()
	ctx := context.Background()
	env := exampleEnv(t, c, "staging", extraValues...)
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
	return env, pod
}

// testHosts counts the test hosts this test binary made.
var testHosts atomic.Int32

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
