package gitops

import (
	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/ferrydev/ferry/platform/kubeconn"
)

// kubeReader is the part of a clientset the target reads through: core
// objects (pods, ConfigMaps, Secrets) and discovery. A
// kubernetes.Clientset satisfies it, but building one links every API
// group's typed client and types into the binary (about 9 MB of ferry
// once nothing else builds one); the target needs two.
type kubeReader interface {
	CoreV1() corev1client.CoreV1Interface
	Discovery() discovery.DiscoveryInterface
}

type kubeClients struct {
	core *corev1client.CoreV1Client
	disc *discovery.DiscoveryClient
}

func (k kubeClients) CoreV1() corev1client.CoreV1Interface    { return k.core }
func (k kubeClients) Discovery() discovery.DiscoveryInterface { return k.disc }

// newKubeReader builds the core and discovery clients for c as
// kubernetes.NewForConfig builds its clients: the default user agent,
// one HTTP client and one rate limiter shared by both.
func newKubeReader(c *rest.Config) (kubeReader, error) {
	cfg, hc, err := kubeconn.Prepare(c)
	if err != nil {
		return nil, err
	}
	core, err := corev1client.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	return kubeClients{core: core, disc: disc}, nil
}
