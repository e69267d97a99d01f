package view

import (
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// The effective configuration and the difference between two
// environments, as `ferry render -o json` and `ferry diff -o json` print
// them and the page of `ferry serve` shows them: one set of types for
// every output. NewConfigEntry takes a rendered value through
// secret.Shown, the one place a value becomes printable; every other
// constructor here, and every table, dotenv file and page, takes its
// values from what it returns.

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

	// text is the value as a table shows it ("(set at run time)" for an
	// external one, whose JSON value is empty); short the source
	// without a computed value's detail.
	text, short string
}

// Text is the value as a table or a dotenv comment shows it.
func (e ConfigEntry) Text() string {
	if e.text == "" {
		return e.Value
	}
	return e.text
}

// ShortSource is the source without a computed value's detail, for
// narrow tables.
func (e ConfigEntry) ShortSource() string {
	if e.short == "" {
		return e.Source
	}
	return e.short
}

// NewConfigEntry is the printable form of e: its value, and its
// shadows', pass secret.Shown (through shown), a value ferry cannot know
// shows as what sets it, and nothing of e reaches an output any other
// way.
func NewConfigEntry(e render.Entry) ConfigEntry {
	text := printable(e)
	ce := ConfigEntry{Key: e.Key, Value: text, Source: e.Source.String(), Secret: e.Secret, External: e.External,
		Kind: e.Source.Kind, text: text}
	if e.Source.Kind == render.KindTemplate && e.Source.Detail != "" {
		// Only a template's detail makes Short differ from String; every
		// other entry's short is its Source, not a second copy of it.
		ce.short = e.Source.Short()
	}
	if e.External {
		ce.Value = ""
	}
	for _, s := range e.Shadows {
		ce.Shadows = append(ce.Shadows, ConfigSource{Value: shown(e.Key, s.Value, s.Secret || e.Secret, true), Source: s.Source.String()})
	}
	return ce
}

// printable is e's value as it may be shown: what sets a value ferry
// cannot know, else shown's verdict — a secret from a Secret or an
// encrypted file is wholly hidden.
func printable(e render.Entry) string {
	if e.Missing || e.External {
		return e.Display()
	}
	return shown(e.Key, e.Value, e.Secret, e.FromSecret || e.Source.Encrypted)
}

// shown says to secret.Shown, the one place a value becomes printable,
// what view knows of a value: a secret that is one wholly (from a Secret,
// an encrypted file, a stored snapshot's keyed hash) shows as
// secret.Redacted; another secret with only its URL's or DSN's passwords
// replaced, the host visible; a plain value is still checked by its
// key's name and its shape, so a password a producer missed is hidden.
func shown(key, value string, isSecret, wholly bool) string {
	return secret.Shown(key, value, secret.SecrecyOf(isSecret, wholly))
}

// NewConfig is every entry of c, printable.
func NewConfig(c *render.Config) []ConfigEntry {
	if c == nil {
		return []ConfigEntry{}
	}
	out := make([]ConfigEntry, 0, len(c.Entries))
	for i := range c.Entries {
		out = append(out, NewConfigEntry(c.Entries[i]))
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

// NewContainer is container c of workload w as shown.
func NewContainer(w *render.Workload, c *render.Container) ContainerConfig {
	return ContainerConfig{Kind: w.Kind, Name: w.Name, Container: c.Name, Init: c.Init,
		Primary: c.Primary, Template: w.Template, Image: c.Image, Config: NewConfig(c.Config)}
}

// Definition says where an environment's definition came from
// (ferry.yaml, the CI deploy command or discovery), its release and
// namespaces, and the order of the environments and why.
type Definition struct {
	DefinedBy     string   `json:"definedBy"`
	Release       string   `json:"release"`
	ReleaseFrom   string   `json:"releaseFrom"`
	Namespace     string   `json:"namespace"`
	NamespaceFrom string   `json:"namespaceFrom"`
	Namespaces    []string `json:"namespaces,omitempty"`
	Values        []string `json:"values"`
	ValuesFrom    string   `json:"valuesFrom"`
	Order         []string `json:"order"`
	OrderReason   string   `json:"orderReason"`
}

// NewDefinition is where e, as res rendered it, is defined.
func NewDefinition(p *project.Project, e *project.Environment, res *render.Result) *Definition {
	return &Definition{
		DefinedBy: e.From.Definition, Release: e.Release, ReleaseFrom: e.From.Release,
		Namespace: e.Namespace, NamespaceFrom: e.From.Namespace, Namespaces: res.Namespaces,
		Values: e.Values, ValuesFrom: e.From.Values, Order: p.Path, OrderReason: p.OrderReason,
	}
}

// Unread is a values key no template reads, and where it was set.
type Unread struct {
	Key    string `json:"key"`
	Source string `json:"source"`
}

// NewUnread is us as shown.
func NewUnread(us []render.Unread) []Unread {
	var out []Unread
	for _, u := range us {
		out = append(out, Unread{Key: u.Path, Source: u.Source.String()})
	}
	return out
}

// Render is an environment's effective configuration: the service's
// container's image and configuration, and every container's.
type Render struct {
	Project    *Project    `json:"project,omitempty"`
	Definition *Definition `json:"definition,omitempty"`
	// Unread are values keys no template reads; Unprovided the references
	// nothing in the repository provides.
	Unread      []Unread          `json:"unread,omitempty"`
	Unprovided  []string          `json:"unprovided,omitempty"`
	Environment string            `json:"environment"`
	Image       string            `json:"image,omitempty"`
	Config      []ConfigEntry     `json:"config"`
	Workloads   []ContainerConfig `json:"workloads"`
	Warnings    []string          `json:"warnings,omitempty"`
}

// NewRender is res as shown, the service's container first, then the
// others in manifest order.
func NewRender(res *render.Result) *Render {
	out := &Render{Environment: res.Environment, Image: res.Image, Config: NewConfig(res.Config), Workloads: []ContainerConfig{},
		Unread: NewUnread(res.Unread), Warnings: res.Warnings}
	for _, r := range res.Unprovided {
		out.Unprovided = append(out.Unprovided, r.String())
	}
	for wi := range res.Workloads {
		w := &res.Workloads[wi]
		for ci := range w.Containers {
			c := NewContainer(w, &w.Containers[ci])
			if c.Primary {
				out.Workloads = append([]ContainerConfig{c}, out.Workloads...)
			} else {
				out.Workloads = append(out.Workloads, c)
			}
		}
	}
	return out
}

// ConfigSide is one side of a changed key.
type ConfigSide struct {
	Value  string `json:"value"`
	Source string `json:"source"`
	Secret bool   `json:"secret,omitempty"`

	short string
}

// ShortSource is the source without a computed value's detail.
func (s *ConfigSide) ShortSource() string {
	if s.short == "" {
		return s.Source
	}
	return s.short
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

// WorkloadDiff is one container compared across two environments;
// Change is "added" or "removed" when only one of them renders it.
type WorkloadDiff struct {
	Kind      string         `json:"kind"`
	Name      string         `json:"name"`
	Container string         `json:"container"`
	Change    string         `json:"change,omitempty"`
	Changes   []ConfigChange `json:"changes"`
}

// ConfigDiff is the keys of the service's container that differ from one
// environment to another, and of every container with Workloads.
type ConfigDiff struct {
	Project *Project `json:"project,omitempty"`
	// NeverArrive are values keys that differ between the environments
	// but that no template reads.
	NeverArrive []Unread       `json:"neverArrive,omitempty"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	Changes     []ConfigChange `json:"changes"`
	Workloads   []WorkloadDiff `json:"workloads"`
}

// NewConfigDiff is changes from → to as shown.
func NewConfigDiff(from, to string, changes []render.Change) *ConfigDiff {
	return &ConfigDiff{From: from, To: to, Changes: NewChanges(changes), Workloads: []WorkloadDiff{}}
}

// NewChanges is changes as shown.
func NewChanges(changes []render.Change) []ConfigChange {
	out := []ConfigChange{}
	for _, c := range changes {
		out = append(out, ConfigChange{Key: c.Key, Change: c.Change, From: configSide(c.From), To: configSide(c.To)})
	}
	return out
}

// configSide shows a side as a table does: a value ferry cannot know as
// what sets it.
func configSide(e *render.Entry) *ConfigSide {
	if e == nil {
		return nil
	}
	ce := NewConfigEntry(*e)
	return &ConfigSide{Value: ce.Text(), Source: ce.Source, Secret: ce.Secret, short: ce.short}
}
