package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ferrydev/ferry/promote"
)

// TestVerifyTakesLiveServicesIntoAccount: a Service the chart does not
// render (redis, made by hand) gives the pods its link variables; the
// resolved env has them as the kubelet would, and verify counts them as
// the platform's, not as unexpected keys.
func TestVerifyTakesLiveServicesIntoAccount(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	staging, prod := exampleEnv(t, c, "staging"), exampleEnv(t, c, "prod")
	kp := newKubeProject(t, c, staging.Namespace, prod.Namespace)

	svcs := c.Client.CoreV1().Services(staging.Namespace)
	redis, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "redis"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "redis", Port: 6379},
			{Name: "sentinel-udp", Port: 26379, Protocol: corev1.ProtocolUDP},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Near misses: neither a headless nor an ExternalName Service gives
	// variables.
	for _, s := range []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "redis-headless"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Port: 6379}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "payments"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "payments.example.org"}},
	} {
		if _, err := svcs.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kp.deploy(t, "staging", "alice@laptop")

	v, err := promote.NewVerify(kp.engine(t, "alice@laptop")).Run(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || len(v.Differences) != 0 {
		t.Errorf("verify with a live redis Service: ok=%v differences %+v", v.OK(), v.Differences)
	}

	co, err := dial(staging, nil)
	if err != nil {
		t.Fatal(err)
	}
	live, err := (&Kube{}).Live(ctx, staging)
	if err != nil || len(live.Pods) == 0 {
		t.Fatalf("live staging: %v %+v", err, live)
	}
	if err := co.resolveEnv(ctx, live); err != nil {
		t.Fatal(err)
	}
	ip := redis.Spec.ClusterIP
	env := live.Pods[0].Env
	for key, want := range map[string]string{
		"REDIS_PORT":                      "tcp://" + ip + ":6379",
		"REDIS_SERVICE_HOST":              ip,
		"REDIS_SERVICE_PORT":              "6379",
		"REDIS_SERVICE_PORT_SENTINEL_UDP": "26379",
		"REDIS_PORT_26379_UDP":            "udp://" + ip + ":26379",
		"REDIS_PORT_26379_UDP_PROTO":      "udp",
		"REDIS_PORT_6379_TCP_ADDR":        ip,
	} {
		if env[key] != want || !live.Pods[0].Runtime[key] {
			t.Errorf("%s = %q (runtime %v), want %q", key, env[key], live.Pods[0].Runtime[key], want)
		}
	}
	for k := range env {
		if strings.HasPrefix(k, "REDIS_HEADLESS_") || strings.HasPrefix(k, "PAYMENTS_") {
			t.Errorf("%s from a Service that gives no links", k)
		}
	}
	if env["KUBERNETES_SERVICE_HOST"] == "" {
		t.Errorf("no KUBERNETES_SERVICE_HOST: the kubelet always gives it")
	}

	// enableServiceLinks: false leaves only the API server's own.
	master, ns := co.linkServices(ctx)
	pod := live.Pods[0].pod.DeepCopy()
	pod.Spec.EnableServiceLinks = ptr.To(false)
	off := serviceEnv(pod, master, ns)
	for k := range off {
		if !strings.HasPrefix(k, "KUBERNETES_") {
			t.Errorf("enableServiceLinks: false still gives %s", k)
		}
	}
	if off["KUBERNETES_SERVICE_HOST"] == "" {
		t.Errorf("enableServiceLinks: false drops the API server's variables too: %v", off)
	}
}
