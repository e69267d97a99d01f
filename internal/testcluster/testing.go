package testcluster

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The package-wide cluster that Get starts on first use and Main stops.
var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Main runs a test package's tests and stops the cluster if one of them
// started it. Use it from TestMain: os.Exit(testcluster.Main(m)).
func Main(m *testing.M) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	code := m.Run()
	if err := shared.Exited(); err != nil && code != 0 {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
	}
	shared.Stop()
	if shared != nil && code != 0 {
		fmt.Fprintf(os.Stderr, "testcluster: component logs were in %s (set FERRY_TESTCLUSTER_KEEP=1 to keep them)\n", shared.Dir)
	}
	return code
}

// CI reports whether the tests run in CI, where a missing dependency is a
// failure and never a skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Get returns the package's cluster, starting it on first use. Under
// -short it skips the test; without the binaries it skips, except under
// CI=true, where it fails.
func Get(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("testcluster: a real control plane is not started under -short")
	}
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		shared, sharedErr = Start(ctx, Options{})
		if sharedErr == nil {
			t.Logf("testcluster: control plane ready in %s (%s)", shared.Started.Round(time.Millisecond), shared.Dir)
		}
	})
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrNoBinaries) && !CI() {
			t.Skipf("testcluster: %v", sharedErr)
		}
		t.Fatalf("testcluster: %v", sharedErr)
	}
	if err := shared.Exited(); err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	t.Cleanup(func() { shared.explain(t) })
	return shared
}

// explain adds to a failed test's output which components exited while
// it ran: its own error is often only a timeout or a refused connection.
func (c *Cluster) explain(t testing.TB) {
	if !t.Failed() {
		return
	}
	if err := c.Exited(); err != nil {
		t.Logf("testcluster: %v", err)
	}
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// Namespace creates a namespace for t, named after the test, waits for
// its default service account, and deletes it when t ends.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 50 {
		name = name[:50]
	}
	ctx := context.Background()
	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("testcluster: create namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = c.Client.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	if err := c.waitServiceAccount(ctx, ns.Name, 60*time.Second); err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	return ns.Name
}

// SetContainerStatus changes one container's status on a running pod the
// way a kubelet would (through the status subresource): a new imageID
// simulates a node that pulled another digest for the same tag, restarts
// a crash-looping container. kwok leaves running pods alone, so the
// change stays.
func (c *Cluster) SetContainerStatus(ctx context.Context, ns, pod, container string, change func(*corev1.ContainerStatus)) error {
	p, err := c.Client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return err
	}
	found := false
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == container {
			change(&p.Status.ContainerStatuses[i])
			found = true
		}
	}
	if !found {
		return fmt.Errorf("pod %s/%s has no status for container %q", ns, pod, container)
	}
	_, err = c.Client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// WaitPods waits until the pods matching selector in ns number want and
// are all Ready, and returns them.
func (c *Cluster) WaitPods(ctx context.Context, ns, selector string, want int, limit time.Duration) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	var last string
	err := c.poll(ctx, limit, func() (bool, error) {
		l, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		pods = l.Items
		ready := 0
		for _, p := range pods {
			if p.DeletionTimestamp == nil && podReady(&p) {
				ready++
			}
		}
		last = fmt.Sprintf("%d pods, %d ready", len(pods), ready)
		return len(pods) == want && ready == want, nil
	}, func() error {
		return fmt.Errorf("pods %q in %s: want %d ready, have %s after %s", selector, ns, want, last, limit)
	})
	return pods, err
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
