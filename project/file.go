package project

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// FileName is the name of the optional project file.
const FileName = "ferry.yaml"

// File is ferry.yaml. Every field is optional.
type File struct {
	// Service names the service; it defaults to the chart's name, then to
	// the directory's name.
	Service string `yaml:"service"`
	// Main is the Go main package to build, relative to the project
	// directory; "." by default.
	Main string `yaml:"main"`
	// Chart is the chart directory, relative to the project directory.
	Chart string `yaml:"chart"`
	// Image is the image repository the artifact is published as.
	Image string `yaml:"image"`
	// Runtime is "gofr" or "generic"; detected when empty (go.mod requires
	// gofr.dev or ferry's kit, or configs/.env exists: gofr).
	Runtime string `yaml:"runtime"`
	// Path is the promotion path, first environment first.
	Path []string `yaml:"path"`
	// Exclude names discovered environments that are not environments
	// (a values file for a developer's laptop, say).
	Exclude []string `yaml:"exclude"`
	// Layers are values files every environment reads after the chart's
	// values.yaml and before its own (values-common.yaml), relative to the
	// project directory; discovered when absent.
	Layers []string `yaml:"layers"`
	// Database describes the database the environments' services share a
	// server of, for the connection budget.
	Database Database `yaml:"database"`
	// Accept lists findings of `ferry check` that the team has accepted.
	Accept []Acceptance `yaml:"accept"`
	// Environments holds per-environment settings by name.
	Environments map[string]EnvSpec `yaml:"environments"`
	// Trust says which signatures count and where they are required.
	Trust Trust `yaml:"trust"`
}

// Trust is ferry.yaml's trust section: the signing keys whose signatures
// count, and the environments whose deploys and promotions require one.
// Keyless identities (OIDC issuer + subject) would be a third field.
type Trust struct {
	// Keys are public keys: a path relative to the project directory,
	// or an inline PEM.
	Keys []string `yaml:"keys"`
	// Require lists the environments that only run signed digests.
	Require []string `yaml:"require"`
	// Line is where the section stands in ferry.yaml.
	Line int `yaml:"-"`
}

// Database is ferry.yaml's database section.
type Database struct {
	// MaxConnections is the server's connection limit (PostgreSQL's
	// max_connections); 100 when unset.
	MaxConnections int `yaml:"maxConnections"`
}

// Acceptance accepts the findings of one rule in some environments.
type Acceptance struct {
	Rule         string   `yaml:"rule"`
	Environments []string `yaml:"environments"`
	Reason       string   `yaml:"reason"`
	// Line is where the acceptance stands in ferry.yaml.
	Line int `yaml:"-"`
}

// EnvSpec is ferry.yaml's section for one environment: the settings
// every target shares. Everything else in the section belongs to the
// environment's target, which decodes and validates it from Section
// (platform.Register's decoder): a new per-environment setting is one
// target package's business, not project's.
type EnvSpec struct {
	// Target names the registered target that runs the environment:
	// "local" (default), "kube", "gitops".
	Target string `yaml:"target"`
	// Namespace is the release's namespace, which the chart renders with
	// whatever the target; the environment's name by default.
	Namespace string `yaml:"namespace"`
	// Release is the Helm release name the chart renders with; the
	// service's name by default.
	Release string `yaml:"release"`
	// Values replaces the discovered values files, in order, relative to
	// the project directory.
	Values []string `yaml:"values"`
	// Soak is how long a revision must run healthy here before it may be
	// promoted onwards.
	Soak Soak `yaml:"soak"`
	// Smoke lists the checks run against the environment after a deploy
	// and before promoting from it.
	Smoke []SmokeStep `yaml:"smoke"`
	// Health overrides the health URL (by default the service's
	// /.well-known/health on its HTTP_PORT).
	Health string `yaml:"health"`
	// Section is the whole section as written, the target's keys
	// included, for the target's decoder.
	Section *yaml.Node `yaml:"-"`

	line int
}

// SharedKeys are the keys of an environment's section that project
// reads for every target; a target's decoder reads the others.
var SharedKeys = []string{"target", "namespace", "release", "values", "soak", "smoke", "health"}

// UnmarshalYAML implements yaml.Unmarshaler: it decodes the shared keys
// and keeps the section for the target.
func (s *EnvSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return nil
		}
		return fmt.Errorf("line %d: an environment's section must be a mapping", n.Line)
	}
	shared := *n
	shared.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if slices.Contains(SharedKeys, n.Content[i].Value) {
			shared.Content = append(shared.Content, n.Content[i], n.Content[i+1])
		}
	}
	type plain EnvSpec // without this method
	if err := knownFields(&shared, reflect.TypeFor[plain]()); err != nil {
		return err
	}
	if err := shared.Decode((*plain)(s)); err != nil {
		return err
	}
	s.Section = n
	return nil
}

// SmokeStep is one smoke check: an HTTP request or a command.
type SmokeStep struct {
	// Name labels the step in reports; derived from the step when empty.
	Name string `yaml:"name"`
	// HTTP is "METHOD /path" (or a full URL), sent to the environment.
	HTTP string `yaml:"http"`
	// Body is sent with the HTTP request, as JSON.
	Body string `yaml:"body"`
	// Expect is the HTTP status that passes; 200 by default.
	Expect int `yaml:"expect"`
	// Run is a shell command run with sh -c; exit status 0 passes. The
	// environment's base URL is in $FERRY_URL.
	Run string `yaml:"run"`
	// Line is where the step stands in ferry.yaml.
	Line int `yaml:"-"`
}

// smokeMethods are the HTTP methods a smoke step may send.
var smokeMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Method is the HTTP method of an http step (GET when the step names
// only a path), "" for a run step.
func (s SmokeStep) Method() string {
	if s.HTTP == "" {
		return ""
	}
	if m, _, ok := strings.Cut(strings.TrimSpace(s.HTTP), " "); ok {
		return m
	}
	return "GET"
}

// Safe says whether the step only reads: an HTTP GET or HEAD. A run
// step may do anything, so it is not safe; dry runs and read commands
// run only safe steps.
func (s SmokeStep) Safe() bool {
	m := s.Method()
	return m == "GET" || m == "HEAD"
}

// String describes the step for reports.
func (s SmokeStep) String() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.HTTP != "":
		want := s.Expect
		if want == 0 {
			want = 200
		}
		return fmt.Sprintf("%s → %d", s.HTTP, want)
	default:
		return s.Run
	}
}

// Duration is a time.Duration written as "30m" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 30m", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// ParseFile reads ferry.yaml content. Unknown fields are errors naming
// their line; name is used in messages.
func ParseFile(name string, data []byte) (*File, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	f := &File{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	// A second pass over the node tree records the lines that reports
	// point at.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil && len(doc.Content) == 1 {
		root := doc.Content[0]
		if acc := mapValue(root, "accept"); acc != nil {
			for i, item := range acc.Content {
				if i < len(f.Accept) {
					f.Accept[i].Line = item.Line
				}
			}
		}
		if tr := mapValue(root, "trust"); tr != nil {
			f.Trust.Line = tr.Line
		}
		if envs := mapValue(root, "environments"); envs != nil {
			for i := 0; i+1 < len(envs.Content); i += 2 {
				if spec, ok := f.Environments[envs.Content[i].Value]; ok {
					spec.line = envs.Content[i].Line
					if sm := mapValue(envs.Content[i+1], "smoke"); sm != nil {
						for j, item := range sm.Content {
							if j < len(spec.Smoke) {
								spec.Smoke[j].Line = item.Line
							}
						}
					}
					f.Environments[envs.Content[i].Value] = spec
				}
			}
		}
	}
	for name, spec := range f.Environments {
		for i, s := range spec.Smoke {
			if (s.HTTP == "") == (s.Run == "") {
				return nil, fmt.Errorf("%s:%d: environment %q: smoke step %d needs exactly one of http or run", FileName, spec.line, name, i+1)
			}
			if m := s.Method(); m != "" && !slices.Contains(smokeMethods, m) {
				line := s.Line
				if line == 0 {
					line = spec.line
				}
				return nil, fmt.Errorf("%s:%d: environment %q: smoke step %d: %q is not an HTTP method (%s)", FileName, line, name, i+1, m, strings.Join(smokeMethods, ", "))
			}
		}
	}
	return f, nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var yamlLine = lazyre.New(`line (\d+): (.*)`)

// yamlError turns yaml.v3's "yaml: line 3: …" and "yaml: unmarshal errors:
// line 5: field x not found in type …" into "name:3: …", one line.
func yamlError(name string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.Get().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		detail := m[2]
		if f := regexp.MustCompile(`field (\S+) not found in type`).FindStringSubmatch(detail); f != nil {
			detail = fmt.Sprintf("unknown field %q", f[1])
		}
		return fmt.Errorf("%s:%d: %s", name, line, strings.TrimPrefix(detail, "yaml: "))
	}
	return fmt.Errorf("%s: %s", name, strings.TrimPrefix(msg, "yaml: "))
}
