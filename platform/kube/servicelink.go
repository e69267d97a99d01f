package kube

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Service links as the kubelet builds them (pkg/kubelet/envvars
// FromServices and getServiceEnvVarMap): the default namespace's
// kubernetes Service always, the pod's namespace's Services unless the
// pod sets enableServiceLinks: false; headless and ExternalName Services
// (no cluster IP) get none. Reading them from the live Services is what
// lets verify compare the environment the container really has.

// linkServices lists the Services whose links a pod may see: those of
// the namespace, and the API server's own. Errors leave a list short
// rather than fail verify: a link the kubelet gave is then reported as
// unexpected, which the operator can read.
func (c *conn) linkServices(ctx context.Context) (master *corev1.Service, ns []corev1.Service) {
	if l, err := c.client.CoreV1().Services(c.env.Namespace).List(ctx, metav1.ListOptions{}); err == nil {
		ns = l.Items
	}
	if s, err := c.client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{}); err == nil {
		master = s
	}
	return master, ns
}

// serviceEnv is the link variables a pod gets from the Services.
func serviceEnv(p *corev1.Pod, master *corev1.Service, ns []corev1.Service) map[string]string {
	byName := map[string]*corev1.Service{}
	links := p.Spec.EnableServiceLinks == nil || *p.Spec.EnableServiceLinks
	for i := range ns {
		if links && ipSet(&ns[i]) {
			byName[ns[i].Name] = &ns[i]
		}
	}
	if master != nil && ipSet(master) {
		if _, ok := byName[master.Name]; !ok {
			byName[master.Name] = master
		}
	}
	out := map[string]string{}
	for _, s := range byName {
		prefix := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
		ip := s.Spec.ClusterIP
		out[prefix+"_SERVICE_HOST"] = ip
		for i, sp := range s.Spec.Ports {
			port := strconv.Itoa(int(sp.Port))
			proto := string(sp.Protocol)
			if proto == "" {
				proto = string(corev1.ProtocolTCP)
			}
			url := fmt.Sprintf("%s://%s", strings.ToLower(proto), net.JoinHostPort(ip, port))
			if i == 0 {
				out[prefix+"_SERVICE_PORT"] = port
				out[prefix+"_PORT"] = url
			}
			if sp.Name != "" {
				out[prefix+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(sp.Name, "-", "_"))] = port
			}
			pp := fmt.Sprintf("%s_PORT_%s_%s", prefix, port, strings.ToUpper(proto))
			out[pp] = url
			out[pp+"_PROTO"] = strings.ToLower(proto)
			out[pp+"_PORT"] = port
			out[pp+"_ADDR"] = ip
		}
	}
	return out
}

// ipSet is the kubelet's IsServiceIPSet.
func ipSet(s *corev1.Service) bool {
	return s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone
}
