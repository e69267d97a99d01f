package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

const digest = "sha256:4c1e04ab1a0f5ad8e2a6c4bd92b04bbdb6a7bd5b5e2b8bc2d0e3bd53c2f0a1d7"

func TestDeploymentPodsReadyWithImageID(t *testing.T) {
	c := Get(t)
	tests := []struct {
		name, image string
		replicas    int32
		wantImageID string
	}{
		{"pinned by digest", "registry.example.test/orders-api@" + digest, 3, "registry.example.test/orders-api@" + digest},
		{"tag with digest", "orders-api:1.4.2@" + digest, 1, "orders-api:1.4.2@" + digest},
		// A kubelet resolves a tag through the registry; kwok cannot, so
		// it reports no imageID rather than a made-up one.
		{"tag only", "orders-api:1.4.2", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := c.Namespace(t)
			ctx := context.Background()
			labels := map[string]string{"app": "orders-api"}
			d := &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "orders-api"},
				Spec: appsv1.DeploymentSpec{
					Replicas: &tt.replicas,
					Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: labels},
						Spec: corev1.PodSpec{Containers: []corev1.Container{
							{Name: "app", Image: tt.image},
							{Name: "proxy", Image: "envoyproxy/envoy:v1.33.0"},
						}},
					},
				},
			}
			start := time.Now()
			if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			pods, err := c.WaitPods(ctx, ns, "app=orders-api", int(tt.replicas), 60*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d pods Ready in %s", len(pods), time.Since(start).Round(time.Millisecond))
			for _, p := range pods {
				if p.Spec.NodeName != NodeName {
					t.Errorf("pod %s on node %q, want %q", p.Name, p.Spec.NodeName, NodeName)
				}
				if p.Status.PodIP == "" {
					t.Errorf("pod %s has no IP", p.Name)
				}
				got := map[string]string{}
				for _, s := range p.Status.ContainerStatuses {
					got[s.Name] = s.ImageID
				}
				if got["app"] != tt.wantImageID {
					t.Errorf("pod %s: app imageID = %q, want %q", p.Name, got["app"], tt.wantImageID)
				}
				if got["proxy"] != "" {
					t.Errorf("pod %s: proxy (pinned by tag) imageID = %q, want none", p.Name, got["proxy"])
				}
			}
			// The Deployment's own status must agree: that is what Helm's
			// status watcher reads.
			got, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "orders-api", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for got.Status.AvailableReplicas != tt.replicas && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				if got, err = c.Client.AppsV1().Deployments(ns).Get(ctx, "orders-api", metav1.GetOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if got.Status.AvailableReplicas != tt.replicas {
				t.Errorf("deployment available replicas = %d, want %d", got.Status.AvailableReplicas, tt.replicas)
			}
		})
	}
}

func TestSetContainerStatusSticks(t *testing.T) {
	c := Get(t)
	ns := c.Namespace(t)
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "one", Labels: map[string]string{"app": "one"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "orders-api@" + digest}}},
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitPods(ctx, ns, "app=one", 1, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	other := "orders-api@sha256:" + strings.Repeat("ab", 32)
	if err := c.SetContainerStatus(ctx, ns, "one", "app", func(s *corev1.ContainerStatus) {
		s.ImageID = other
		s.RestartCount = 2
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetContainerStatus(ctx, ns, "one", "nope", func(*corev1.ContainerStatus) {}); err == nil {
		t.Error("SetContainerStatus of a container the pod lacks: no error")
	}
	time.Sleep(500 * time.Millisecond) // give kwok the chance to undo it
	p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "one", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Status.ContainerStatuses[0]; s.ImageID != other || s.RestartCount != 2 {
		t.Errorf("after SetContainerStatus: imageID %q restarts %d, want %q 2", s.ImageID, s.RestartCount, other)
	}
}

func TestKubeconfigLoadsWithClientcmd(t *testing.T) {
	c := Get(t)
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig},
		&clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != c.Server {
		t.Errorf("kubeconfig server %q, want %q", cfg.Host, c.Server)
	}
	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	// Helm checks charts' kubeVersion against this: the build must stamp it.
	if v.GitVersion != KubeVersion {
		t.Errorf("server version %q, want %q", v.GitVersion, KubeVersion)
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	t.Setenv("FERRY_TESTCLUSTER_BIN", t.TempDir())
	_, err := Start(context.Background(), Options{})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("Start with an empty binary dir: %v, want ErrNoBinaries", err)
	}
	for _, name := range []string{"kube-apiserver", "etcd", "kwok", "make testcluster"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %q", err, name)
		}
	}
}

func TestCacheKeyFollowsModuleFiles(t *testing.T) {
	src, err := findSrc()
	if err != nil {
		t.Fatal(err)
	}
	copyTree := func(t *testing.T) string {
		dst := t.TempDir()
		for _, m := range []string{"k8s", "etcd", "kwok"} {
			for _, f := range []string{"go.mod", "go.sum"} {
				b, err := os.ReadFile(filepath.Join(src, m, f))
				if err != nil {
					t.Fatal(err)
				}
				os.MkdirAll(filepath.Join(dst, m), 0o755)
				if err := os.WriteFile(filepath.Join(dst, m, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		return dst
	}
	base, err := cacheKey(src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(dir string) error
		same   bool
	}{
		{"unchanged copy", func(string) error { return nil }, true},
		{"kwok go.sum gains a line", func(d string) error {
			f, err := os.OpenFile(filepath.Join(d, "kwok", "go.sum"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("example.com/x v1.0.0 h1:AAAA=\n")
			return err
		}, false},
		{"etcd bumped in go.mod", func(d string) error {
			p := filepath.Join(d, "etcd", "go.mod")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, []byte(strings.Replace(string(b), "v3.7.3", "v3.7.4", 1)), 0o644)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := copyTree(t)
			if err := tt.change(d); err != nil {
				t.Fatal(err)
			}
			got, err := cacheKey(d)
			if err != nil {
				t.Fatal(err)
			}
			if (got == base) != tt.same {
				t.Errorf("key %s vs base %s: same = %v, want %v", got, base, got == base, tt.same)
			}
		})
	}
}

// failedTB is a test that has failed, whose log is kept.
type failedTB struct {
	testing.TB
	logs []string
}

func (f *failedTB) Failed() bool { return true }
func (f *failedTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// TestExitedNamesTheComponent: a component that dies is named, with the
// last lines of its log, by Exited, by the waits (at once, not after
// their time runs out) and in a failed test's output; one that was
// stopped is not. The components are real processes (sh) standing in
// for the control plane, so this runs without the binaries.
func TestExitedNamesTheComponent(t *testing.T) {
	c := &Cluster{Dir: t.TempDir()}
	sh := func(name, script string) *proc {
		t.Helper()
		p, err := startProc("/bin/sh", name, c.Dir, "-c", script)
		if err != nil {
			t.Fatal(err)
		}
		c.procs = append(c.procs, p)
		t.Cleanup(func() { p.stop(time.Second) })
		return p
	}
	api := sh("kube-apiserver", "echo serving; exec sleep 60")
	api.stop(5 * time.Second)
	if err := c.Exited(); err != nil {
		t.Fatalf("Exited after a stop = %v, want nil", err)
	}
	sched := sh("kube-scheduler", `for i in $(seq 1 30); do echo "I1207 line $i"; done
echo 'E1207 server.go:72] "command failed" err="leader election lost"' >&2
exit 1`)
	<-sched.done
	err := c.Exited()
	if err == nil {
		t.Fatal("Exited = nil after kube-scheduler died")
	}
	for _, want := range []string{"control plane component kube-scheduler exited at", "(exit status 1)", `err="leader election lost"`, "I1207 line 17\n", "I1207 line 30"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Exited() = %q, want %q in it", err, want)
		}
	}
	if strings.Contains(err.Error(), "I1207 line 16\n") || strings.Contains(err.Error(), "kube-apiserver") {
		t.Errorf("Exited() = %q, want the last 15 lines of kube-scheduler alone", err)
	}
	// The waits fail with it instead of waiting out their minute.
	if _, werr := c.WaitPods(t.Context(), "default", "app=x", 1, time.Minute); werr == nil || werr.Error() != err.Error() {
		t.Errorf("WaitPods = %v, want %v", werr, err)
	}
	if werr := c.waitServiceAccount(t.Context(), "default", time.Minute); werr == nil || werr.Error() != err.Error() {
		t.Errorf("waitServiceAccount = %v, want %v", werr, err)
	}
	// A failed test that used the cluster says so in its output.
	ft := &failedTB{TB: t}
	c.explain(ft)
	if len(ft.logs) != 1 || !strings.Contains(ft.logs[0], "testcluster: control plane component kube-scheduler exited") {
		t.Errorf("explain logged %q, want the exited component", ft.logs)
	}
}

// TestDeadComponentNamed: on a real control plane whose scheduler dies
// (killed, as the OOM killer would), waiting for a pod fails at once
// naming kube-scheduler, how it ended and its last log lines, instead of
// "0 pods, 0 ready" a minute later. A cluster of its own: the package's
// shared one must keep its scheduler.
func TestDeadComponentNamed(t *testing.T) {
	Get(t) // the skip and CI rules
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Name: "dying"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ns := c.Namespace(t)
	var sched *proc
	for _, p := range c.procs {
		if p.name == "kube-scheduler" {
			sched = p
		}
	}
	if err := sched.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-sched.done
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "one", Labels: map[string]string{"app": "one"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "orders-api@" + digest}}},
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.WaitPods(ctx, ns, "app=one", 1, time.Minute)
	if err == nil {
		t.Fatal("WaitPods passed with the scheduler dead")
	}
	msg := err.Error()
	if !strings.Contains(msg, "control plane component kube-scheduler exited at") || !strings.Contains(msg, "(signal: killed)") ||
		!strings.Contains(msg, "last lines of its log:\n    ") || strings.Contains(msg, "kube-apiserver") {
		t.Errorf("WaitPods = %v, want kube-scheduler named, killed, with its log's last lines", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("WaitPods took %s, want it to fail at once", took)
	}
	t.Logf("WaitPods: %v", err)
}
