package kube

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/soak"
)

// podMetrics is what one pod's service counts, served as GoFr's
// app_http_response histogram with its process start time.
type podMetrics struct {
	mu               sync.Mutex
	requests, errors int
	start            int
}

func (m *podMetrics) set(requests, errors, start int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests, m.errors, m.start = requests, errors, start
}

func (m *podMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	ok, bad, start := m.requests-m.errors, m.errors, m.start
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %d\n# TYPE app_http_response histogram\n", start)
	for _, s := range []struct {
		status string
		n      int
	}{{"200", ok}, {"500", bad}} {
		fmt.Fprintf(w, "app_http_response_bucket{method=\"GET\",path=\"/orders\",status=%q,le=\"0.01\"} %d\n", s.status, s.n)
		fmt.Fprintf(w, "app_http_response_bucket{method=\"GET\",path=\"/orders\",status=%q,le=\"+Inf\"} %d\n", s.status, s.n)
		fmt.Fprintf(w, "app_http_response_sum{method=\"GET\",path=\"/orders\",status=%q} %g\n", s.status, float64(s.n)*0.002)
		fmt.Fprintf(w, "app_http_response_count{method=\"GET\",path=\"/orders\",status=%q} %d\n", s.status, s.n)
	}
}

// TestSoakSumsEveryPod: a soak on kube scrapes every ready pod of the
// release through the API server's pod proxy and judges the sums, each
// pod against its own earlier counts. Three staging pods each report the
// address of a test host of their own (see listenInTestHost), where a
// real HTTP server serves that pod's metrics on one shared port, as a
// release's pods do. The scraper is the one promote builds for a target
// with MetricsEndpoints (soak.Scraper.Instances over it).
func TestSoakSumsEveryPod(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()

	// Three test hosts, one per pod, listening on one port.
	first := listenInTestHost(t)
	port := first.Addr().(*net.TCPAddr).Port
	listeners := []net.Listener{first, listenInTestHost(t, port), listenInTestHost(t, port)}
	servers := make([]*podMetrics, len(listeners))
	for i, l := range listeners {
		servers[i] = &podMetrics{}
		srv := &http.Server{Handler: servers[i]}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}

	replicas := filepath.Join(t.TempDir(), "values-replicas.yaml")
	if err := os.WriteFile(replicas, []byte("replicas: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := exampleEnv(t, c, "staging", replicas)
	if _, err := (&Kube{}).Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	pods, err := c.WaitPods(ctx, env.Namespace, "app.kubernetes.io/name=orders-api", 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	// pod i is served by servers[i]: it reports test host i's address.
	name := make([]string, len(pods))
	for i := range pods {
		ip := listeners[i].Addr().(*net.TCPAddr).IP.String()
		pods[i].Status.PodIP, pods[i].Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
		if _, err := c.Client.CoreV1().Pods(env.Namespace).UpdateStatus(ctx, &pods[i], metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		name[i] = pods[i].Name
	}

	p, err := project.Load(example(t))
	if err != nil {
		t.Fatal(err)
	}
	tg := NewTarget(p, nil, "")
	t.Setenv("KUBECONFIG", env.Kubeconfig)
	pe := &project.Environment{Name: "staging", Target: "kube", Namespace: env.Namespace}
	urls, _, err := tg.MetricsEndpoints(ctx, pe, fmt.Sprint(port))
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(urls)); !slices.Equal(got, name) {
		t.Fatalf("metrics endpoints of pods %q, want every ready pod %q", got, name)
	}
	for pod, u := range urls {
		if !strings.Contains(u, "/pods/"+pod+":"+fmt.Sprint(port)+"/proxy/metrics") {
			t.Errorf("%s's metrics URL %s does not go through the pod proxy", pod, u)
		}
	}

	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	step := 0
	sc := &soak.Scraper{
		Now: func() time.Time { return t0.Add(time.Duration(step) * 10 * time.Second) },
		Instances: func(ctx context.Context) (map[string]string, *http.Client, error) {
			return tg.MetricsEndpoints(ctx, pe, fmt.Sprint(port))
		},
	}
	var samples []soak.Sample
	scrape := func(counts ...[3]int) {
		t.Helper()
		for i, n := range counts {
			servers[i].set(n[0], n[1], n[2])
		}
		s := sc.Scrape(ctx)
		if s.Err != "" || len(s.Instances) != 3 {
			t.Fatalf("scrape %d through the pod proxy: %+v", step, s)
		}
		for pod, part := range s.Instances {
			if part.Err != "" {
				t.Fatalf("scrape %d of %s: %s", step, pod, part.Err)
			}
		}
		samples = append(samples, s)
		step++
	}
	lim := soak.Limits{Duration: time.Second, MaxErrorRatio: ratio(0.05), MinRequests: 10}
	judge := func() soak.Verdict {
		// The window is the revision's whole life.
		last := samples[len(samples)-1].At
		return soak.Judge(samples, soak.NewWindow(t0, t0, last, 0), lim)
	}

	// The baseline: each pod has counted its own requests before.
	scrape([3]int{100, 0, 1000}, [3]int{200, 0, 1000}, [3]int{300, 0, 1000})
	samples[0].Live = true
	scrape([3]int{300, 1, 1000}, [3]int{400, 1, 1000}, [3]int{500, 1, 1000})
	v := judge()
	if v.State != soak.Passed || v.Requests != 600 || v.Errors != 3 || len(v.Instances) != 3 {
		t.Errorf("three clean pods: %s, %v requests, %v errors, %d pods (%s); want passed, 600 (the sum over the pods), 3, 3",
			v.State, v.Requests, v.Errors, len(v.Instances), v.Summary())
	}

	// The second pod restarts: it counts from zero, for it alone.
	scrape([3]int{400, 1, 1000}, [3]int{50, 0, 2000}, [3]int{600, 1, 1000})
	v = judge()
	if v.State != soak.Failed || v.Restarts != 1 || v.Requests != 850 || v.Worst != name[1] {
		t.Errorf("one pod restarted: %s, %d restarts, %v requests, worst %q (%s); want failed, 1, 850, %q",
			v.State, v.Restarts, v.Requests, v.Worst, v.Summary(), name[1])
	}

	// The third pod serves 5xx: the error ratio over the sums fails,
	// naming that pod.
	scrape([3]int{500, 1, 1000}, [3]int{150, 0, 2000}, [3]int{900, 200, 1000})
	v = judge()
	if v.State != soak.Failed || v.Worst != name[2] || !strings.Contains(v.Summary(), "error ratio") || !strings.Contains(v.Summary(), "worst "+name[2]) {
		t.Errorf("one pod serving 5xx: %s, worst %q: %s; want failed on the error ratio, naming %s", v.State, v.Worst, v.Summary(), name[2])
	}
	if v.Requests != 1350 || v.Errors != 202 {
		t.Errorf("one pod serving 5xx: %v requests, %v errors; want 1350, 202 (summed over the pods)", v.Requests, v.Errors)
	}
}

func ratio(r float64) *float64 { return &r }
