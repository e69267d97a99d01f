package project

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Soak is an environment's soak: `soak: 30m` (time only, as before) or a
// mapping with the gates judged from the service's own metrics:
//
//	soak: {duration: 30m, maxErrorRatio: 0.01, maxP99: 500ms, minRequests: 100}
//
// Duration is embedded so that a soak still reads as its duration.
type Soak struct {
	Duration
	// MaxErrorRatio is the highest share of 5xx answers; nil: not checked.
	MaxErrorRatio *float64
	// MaxP95 and MaxP99 bound the latency quantiles; zero: not checked.
	MaxP95, MaxP99 Duration
	// MinRequests is how many requests the window needs to be judged;
	// fewer makes the soak unknown, never passed.
	MinRequests int
	// Metric, StatusLabel, PathLabel and IgnorePaths name what is read
	// for a service that is not on GoFr or kit (app_http_response by
	// status and path, probes under /.well-known/ left out by default).
	Metric, StatusLabel, PathLabel string
	IgnorePaths                    []string
	// Interval is the time between scrapes; 5s when zero.
	Interval Duration
}

// Judged says whether the soak is judged from metrics, not time alone.
func (s Soak) Judged() bool {
	return s.MaxErrorRatio != nil || s.MaxP95.Duration > 0 || s.MaxP99.Duration > 0 || s.MinRequests > 0
}

var soakFields = []string{"duration", "maxErrorRatio", "maxP95", "maxP99", "minRequests", "metric", "statusLabel", "pathLabel", "ignorePaths", "interval"}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Soak) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return s.Duration.UnmarshalYAML(n)
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: soak is a duration such as 30m or a mapping with duration, maxErrorRatio, maxP95, maxP99, minRequests", n.Line)
	}
	// A nested Decode does not inherit the file's KnownFields, so check
	// the keys here: a misspelt gate must not be silently ignored.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(soakFields, k.Value) {
			return fmt.Errorf("line %d: unknown field %q in soak (known: %s)", k.Line, k.Value, strings.Join(soakFields, ", "))
		}
	}
	var v struct {
		Duration      Duration `yaml:"duration"`
		MaxErrorRatio *float64 `yaml:"maxErrorRatio"`
		MaxP95        Duration `yaml:"maxP95"`
		MaxP99        Duration `yaml:"maxP99"`
		MinRequests   int      `yaml:"minRequests"`
		Metric        string   `yaml:"metric"`
		StatusLabel   string   `yaml:"statusLabel"`
		PathLabel     string   `yaml:"pathLabel"`
		IgnorePaths   []string `yaml:"ignorePaths"`
		Interval      Duration `yaml:"interval"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	switch {
	case v.Duration.Duration <= 0:
		return fmt.Errorf("line %d: soak needs a duration, such as duration: 30m", n.Line)
	case v.MaxErrorRatio != nil && (*v.MaxErrorRatio < 0 || *v.MaxErrorRatio > 1):
		return fmt.Errorf("line %d: soak maxErrorRatio %v is not a ratio between 0 and 1 (0.01 is 1%%)", n.Line, *v.MaxErrorRatio)
	case v.MinRequests < 0:
		return fmt.Errorf("line %d: soak minRequests %d is negative", n.Line, v.MinRequests)
	}
	*s = Soak{Duration: v.Duration, MaxErrorRatio: v.MaxErrorRatio, MaxP95: v.MaxP95, MaxP99: v.MaxP99,
		MinRequests: v.MinRequests, Metric: v.Metric, StatusLabel: v.StatusLabel, PathLabel: v.PathLabel,
		IgnorePaths: v.IgnorePaths, Interval: v.Interval}
	return nil
}
