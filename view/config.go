package view

import "github.com/ferrydev/ferry/render"

// The effective configuration and the difference between two
// environments, as `ferry render -o json` and `ferry diff -o json` print
// them (same field names) and the page of `ferry serve` shows them. A
// value enters these types only through render.Entry.Display, so a
// secret, or a run-time value ferry cannot know, is never in them.

// ConfigSource is a value a key's winning value hides, and where it was set.
type ConfigSource struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

// ConfigEntry is one key of an effective configuration.
type ConfigEntry struct {
	Key      string         `json:"key"`
	Value    string         `json:"value"`
	Source   string         `json:"source"`
	Secret   bool           `json:"secret"`
	External bool           `json:"external,omitempty"`
	Kind     render.Kind    `json:"kind"`
	Shadows  []ConfigSource `json:"shadows,omitempty"`
}

// NewConfigEntry is the printable form of e: the only way a rendered
// value gets into a view.
func NewConfigEntry(e render.Entry) ConfigEntry {
	ce := ConfigEntry{Key: e.Key, Value: e.Display(), Source: e.Source.String(), Secret: e.Secret, External: e.External, Kind: e.Source.Kind}
	if e.External {
		ce.Value = ""
	}
	for _, s := range e.Shadows {
		v := s.Value
		if s.Secret || e.Secret {
			v = render.Redacted
		}
		ce.Shadows = append(ce.Shadows, ConfigSource{Value: v, Source: s.Source.String()})
	}
	return ce
}

// NewConfig is every entry of c, printable.
func NewConfig(c *render.Config) []ConfigEntry {
	out := []ConfigEntry{}
	if c == nil {
		return out
	}
	for _, e := range c.Entries {
		out = append(out, NewConfigEntry(e))
	}
	return out
}

// ContainerConfig is one container of a rendered workload.
type ContainerConfig struct {
	Kind      string        `json:"kind"`
	Name      string        `json:"name"`
	Container string        `json:"container"`
	Init      bool          `json:"init,omitempty"`
	Primary   bool          `json:"primary,omitempty"`
	Template  string        `json:"template,omitempty"`
	Image     string        `json:"image"`
	Config    []ConfigEntry `json:"config"`
}

// Render is an environment's effective configuration: the service's
// container's image and configuration, and every container's.
type Render struct {
	Environment string            `json:"environment"`
	Image       string            `json:"image,omitempty"`
	Config      []ConfigEntry     `json:"config"`
	Workloads   []ContainerConfig `json:"workloads"`
	Warnings    []string          `json:"warnings,omitempty"`
}

// NewRender is res as shown, every container in manifest order.
func NewRender(res *render.Result) *Render {
	out := &Render{Environment: res.Environment, Image: res.Image, Config: NewConfig(res.Config), Workloads: []ContainerConfig{}, Warnings: res.Warnings}
	for _, w := range res.Workloads {
		for _, c := range w.Containers {
			out.Workloads = append(out.Workloads, ContainerConfig{Kind: w.Kind, Name: w.Name, Container: c.Name, Init: c.Init,
				Primary: c.Primary, Template: w.Template, Image: c.Image, Config: NewConfig(c.Config)})
		}
	}
	return out
}

// ConfigSide is one side of a changed key.
type ConfigSide struct {
	Value  string `json:"value"`
	Source string `json:"source"`
	Secret bool   `json:"secret,omitempty"`
}

// ConfigChange is a key whose effective value differs between two
// environments.
type ConfigChange struct {
	Key    string      `json:"key"`
	Change string      `json:"change"`
	From   *ConfigSide `json:"from,omitempty"`
	To     *ConfigSide `json:"to,omitempty"`
}

// Differs says a changed secret differs without saying how.
func (c ConfigChange) Differs() bool {
	return c.Change == "changed" && (c.From != nil && c.From.Secret || c.To != nil && c.To.Secret)
}

// ConfigDiff is the keys of the service's container that differ from one
// environment to another.
type ConfigDiff struct {
	From    string         `json:"from"`
	To      string         `json:"to"`
	Changes []ConfigChange `json:"changes"`
}

// NewConfigDiff is changes from → to as shown.
func NewConfigDiff(from, to string, changes []render.Change) *ConfigDiff {
	out := &ConfigDiff{From: from, To: to, Changes: []ConfigChange{}}
	for _, c := range changes {
		out.Changes = append(out.Changes, ConfigChange{Key: c.Key, Change: c.Change, From: configSide(c.From), To: configSide(c.To)})
	}
	return out
}

func configSide(e *render.Entry) *ConfigSide {
	if e == nil {
		return nil
	}
	return &ConfigSide{Value: e.Display(), Source: e.Source.String(), Secret: e.Secret}
}
