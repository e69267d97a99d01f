package kube

import (
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

// The optional interfaces (platform/capabilities.go) the kube target
// implements; a change of signature there fails here.
var (
	_ platform.Drifter         = (*Target)(nil)
	_ platform.StoreOwner      = (*Target)(nil)
	_ platform.TagResolver     = (*Target)(nil)
	_ platform.MetricsEndpoint = (*Target)(nil)
	_ platform.PodsMetrics     = (*Target)(nil)
	_ platform.PortForwarder   = (*Target)(nil)
	_ platform.SourceChecker   = (*Target)(nil)
)

// Settings are the kube target's own keys of an environment's ferry.yaml
// section: the cluster (context:) and the rollout's timeout. The release
// and namespace the chart renders with are every target's.
type Settings struct {
	platform.Cluster `yaml:",inline"`
}

// decode is the kube target's platform.Decoder.
func decode(_ *project.Project, e *project.Environment) (any, error) {
	s := &Settings{}
	if err := e.DecodeSettings("kube", s); err != nil {
		return nil, err
	}
	if err := s.Check(e); err != nil {
		return nil, err
	}
	return s, nil
}

// settingsOf returns e's kube settings, decoding them when nothing has
// (an environment built by hand); a section that does not decode gives
// the defaults, the error being platform.Open's to report.
func settingsOf(e *project.Environment) *Settings {
	if s, ok := e.Settings.(*Settings); ok {
		return s
	}
	s := &Settings{}
	_ = e.DecodeSettings("kube", s)
	return s
}
