package platform

import (
	"fmt"
	"time"

	"github.com/ferrydev/ferry/project"
)

// Cluster are the settings a target that reads or writes a Kubernetes
// cluster shares with the others that do (kube, gitops): which cluster,
// and how long a rollout there may take. A target's settings struct
// inlines it (`yaml:",inline"`).
type Cluster struct {
	// Context is the kubeconfig context; the current context when empty.
	Context string `yaml:"context"`
	// Timeout bounds a rollout; the target's default when zero.
	Timeout project.Duration `yaml:"timeout"`
}

// Check refuses a negative timeout, naming e's ferry.yaml line.
func (c Cluster) Check(e *project.Environment) error {
	if c.Timeout.Duration < 0 {
		return fmt.Errorf("%s:%d: environment %q: timeout %s is negative", project.FileName, e.KeyLine("timeout"), e.Name, c.Timeout.Duration)
	}
	return nil
}

// RolloutTimeout is the timeout, or def when none is set.
func (c Cluster) RolloutTimeout(def time.Duration) time.Duration {
	if c.Timeout.Duration > 0 {
		return c.Timeout.Duration
	}
	return def
}
