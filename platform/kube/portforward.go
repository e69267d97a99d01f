package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/ferrydev/ferry/project"
)

// PortForward forwards a loopback port to the http port of a ready pod
// of the release (the first by name), through the API server's
// pods/<pod>/portforward over SPDY, as `kubectl port-forward` does: so a
// smoke step reaches a service that has no URL outside the cluster. It
// returns the base URL (http://127.0.0.1:<port>) and the function that
// closes the forward.
func (t *Target) PortForward(ctx context.Context, e *project.Environment) (string, func(), error) {
	env := t.Env(e)
	fail := func(err error) (string, func(), error) {
		return "", nil, fmt.Errorf("port-forward to %s: %w", env.Name, err)
	}
	c, err := dial(env, t.k.Log)
	if err != nil {
		return fail(err)
	}
	l, err := t.k.Live(ctx, env)
	if err != nil {
		return fail(err)
	}
	name := ""
	for _, p := range l.Pods {
		if p.Ready && !p.Terminating && (name == "" || p.Name < name) {
			name = p.Name
		}
	}
	if name == "" {
		return fail(fmt.Errorf("no ready pod in namespace %s", env.Namespace))
	}
	pod, err := c.client.CoreV1().Pods(env.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fail(err)
	}
	port, err := httpPort(pod)
	if err != nil {
		return fail(err)
	}
	rt, upgrader, err := spdy.RoundTripperFor(c.rest)
	if err != nil {
		return fail(err)
	}
	u := c.client.CoreV1().RESTClient().Post().Namespace(env.Namespace).Resource("pods").
		Name(name).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)
	stop, ready := make(chan struct{}), make(chan struct{})
	var errOut strings.Builder
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(int(port))}, stop, ready, io.Discard, &errOut)
	if err != nil {
		return fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		if err == nil {
			err = fmt.Errorf("closed before it was ready")
		}
		return fail(fmt.Errorf("pod %s port %d: %w", name, port, err))
	case <-ctx.Done():
		close(stop)
		return fail(ctx.Err())
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stop)
		return fail(fmt.Errorf("pod %s port %d: no local port (%v)", name, port, err))
	}
	return fmt.Sprintf("http://127.0.0.1:%d", ports[0].Local), func() { close(stop); <-done }, nil
}

// httpPort is the pod's container port named http, else its first
// container port.
func httpPort(p *corev1.Pod) (int32, error) {
	var first int32
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == "http" {
				return cp.ContainerPort, nil
			}
			if first == 0 {
				first = cp.ContainerPort
			}
		}
	}
	if first == 0 {
		return 0, fmt.Errorf("pod %s declares no container port", p.Name)
	}
	return first, nil
}
