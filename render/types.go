package render

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/secret"
)

// Kind says which layer or mechanism produced a value.
type Kind string

// The kinds of source.
const (
	// KindValues: a values file line (chart/values-prod.yaml:7).
	KindValues Kind = "values"
	// KindFile: a GoFr .env line baked into the image (configs/.env:3).
	KindFile Kind = "file"
	// KindTemplate: a literal or a computation in a template; Line is the
	// template line when it could be told, 0 otherwise.
	KindTemplate Kind = "template"
	// KindExternal: a Secret or ConfigMap the chart references but does
	// not render; the value is unknown until run time.
	KindExternal Kind = "external"
	// KindRuntime: a fieldRef or resourceFieldRef, known only in the pod.
	KindRuntime Kind = "runtime"
	// KindMissing: a key reference (not optional) to a ConfigMap or
	// Secret the chart renders without that key: the pod fails with
	// CreateContainerConfigError.
	KindMissing Kind = "missing"
	// KindProject: set by ferry itself (APP_ENV of a chartless project).
	KindProject Kind = "project"
	// KindCI: set by the CI deploy command's --set
	// (.github/workflows/deploy.yml:36); Source.CI when CI fills the value
	// in as it runs.
	KindCI Kind = "ci"
	// KindUnknown: provenance could not be told.
	KindUnknown Kind = "unknown"
)

// Source says where a value came from.
type Source struct {
	Kind Kind
	File string // relative to the project directory
	Line int    // 0 when unknown
	// Detail adds what a bare location cannot say: the Secret and key of
	// an external reference, the values a computed value read.
	Detail string
	// Encrypted is set when the value was decrypted from a SOPS-encrypted
	// values file, or computed from such a value: it is secret whatever
	// its key is called, and it was never committed in clear.
	Encrypted bool
	// Provider, for an external value, names what makes the Secret or
	// ConfigMap at run time ("ExternalSecret catalog-db"); "-" when
	// nothing in the repository does; "" when not looked for.
	Provider string
	// CI is set when the CI pipeline fills the value in as it runs
	// (--set image.tag=${{ github.sha }}): it is neither a placeholder
	// nor known before the deploy.
	CI bool
}

// String formats the source for people and for JSON: "chart/values.yaml:12",
// "template chart/templates/deployment.yaml:30", "external Secret db/password".
func (s Source) String() string {
	loc := s.File
	if s.Line > 0 {
		loc += ":" + strconv.Itoa(s.Line)
	}
	switch s.Kind {
	case KindValues, KindFile:
		return loc
	case KindCI:
		return "CI " + loc + " (" + s.Detail + ")"
	case KindTemplate:
		if s.Detail != "" {
			return "template " + loc + " (" + s.Detail + ")"
		}
		return "template " + loc
	case KindExternal:
		switch s.Provider {
		case "":
			return string(s.Kind) + " " + s.Detail
		case "-":
			return string(s.Kind) + " " + s.Detail + " (nothing in the repository provides it)"
		default:
			return string(s.Kind) + " " + s.Detail + " (made by " + s.Provider + ")"
		}
	case KindRuntime, KindProject, KindMissing:
		return string(s.Kind) + " " + s.Detail
	default:
		if loc != "" {
			return "unknown (" + loc + ")"
		}
		return "unknown"
	}
}

// Short is String without the detail of a computed or external value,
// for narrow tables.
func (s Source) Short() string {
	if s.Kind == KindTemplate {
		s.Detail = ""
	}
	return s.String()
}

// Entry is one key of an environment's effective configuration.
type Entry struct {
	Key   string
	Value string
	// Source is where the winning value was set.
	Source Source
	// Secret is true when the value came from a Secret or the key's name
	// is sensitive. Never print Value then; see Display.
	Secret bool
	// FromSecret is true when the value comes from a Secret (rendered by
	// the chart or not).
	FromSecret bool
	// External is true when the value is not known before run time (a
	// Secret the chart does not render, a fieldRef); Value is "".
	External bool
	// Missing is true for a required key reference the rendered object
	// lacks (FERRY056); Value is "".
	Missing bool
	// Shadows lists the values this one hides, nearest layer first.
	Shadows []Shadowed
}

// Shadowed is a value hidden by a higher layer.
type Shadowed struct {
	Value  string
	Source Source
	Secret bool
}

// Display returns the value as it may be shown: redacted when secret,
// "(set at run time)" when external.
func (e Entry) Display() string {
	switch {
	case e.Missing:
		return "(missing: the pod fails to start)"
	case e.Secret:
		return secret.Shown(e.Key, e.Value, secret.Whole)
	case e.External && e.Source.CI && e.Source.Kind == KindExternal:
		return "(set outside the repository)" // see RenderOutside
	case e.External && e.Source.CI:
		return "(set by CI)"
	case e.External:
		return "(set at run time)"
	}
	return e.Value
}

// Config is the effective configuration of one container.
type Config struct {
	Entries []Entry // sorted by key
	// Unrendered are the container's envFrom sources the chart does not
	// render (a Secret made by kubectl or an ExternalSecret operator):
	// their keys are known only where the container runs, so a target
	// supplies them (the local one from the environment's secretsFile).
	Unrendered []EnvFrom
	index      map[string]int
}

// EnvFrom is one envFrom source of a container: a ConfigMap or Secret,
// the prefix put before its keys, whether the pod starts without it, and
// the template that names it.
type EnvFrom struct {
	Kind, Name, Prefix string
	Optional           bool
	Template           string
}

// NewConfig builds a Config from entries (in any order; a later entry for
// the same key replaces an earlier one).
func NewConfig(entries []Entry) *Config {
	// The last entry of each key, sorted by key: indices are sorted, not
	// the entries (large structs; a chart may have 30,000 of them).
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(strings.Compare(entries[a].Key, entries[b].Key), a-b) })
	c := &Config{Entries: make([]Entry, 0, len(order)), index: make(map[string]int, len(order))}
	for j, i := range order {
		if j+1 < len(order) && entries[order[j+1]].Key == entries[i].Key {
			continue // the key is set again later
		}
		c.index[entries[i].Key] = len(c.Entries)
		c.Entries = append(c.Entries, entries[i])
	}
	return c
}

func (c *Config) reindex() {
	c.index = make(map[string]int, len(c.Entries))
	for i, e := range c.Entries {
		c.index[e.Key] = i
	}
}

// Get returns the entry for key.
func (c *Config) Get(key string) (Entry, bool) {
	if c == nil {
		return Entry{}, false
	}
	if c.index == nil {
		c.reindex()
	}
	i, ok := c.index[key]
	if !ok {
		return Entry{}, false
	}
	return c.Entries[i], true
}

// Value returns the value of key and whether it is set.
func (c *Config) Value(key string) (string, bool) {
	e, ok := c.Get(key)
	return e.Value, ok
}

// Len returns the number of keys.
func (c *Config) Len() int { return len(c.Entries) }

// Map returns key → value, secrets included: for starting processes and
// comparing, never for printing.
func (c *Config) Map() map[string]string {
	out := make(map[string]string, len(c.Entries))
	for _, e := range c.Entries {
		out[e.Key] = e.Value
	}
	return out
}

// Container is one container of a rendered workload.
type Container struct {
	Name   string
	Image  string
	Config *Config
	// Ports maps container port names to numbers ("http" → 8000).
	Ports map[string]int
	// Probes holds the HTTP probes by kind: "liveness", "readiness",
	// "startup".
	Probes map[string]Probe
	// Template is the chart template the workload came from.
	Template string
	// ImageFrom lists the values paths the image reference was made from
	// ("image.repository", "image.tag"); ImageTraced says whether that
	// could be told.
	ImageFrom   []string
	ImageTraced bool
	// ImageTag is where this image's tag (or digest) was set: the values
	// line of this container's own tag (postgresql.image.tag in a
	// subchart's values.yaml, not the service's image.tag), a template
	// literal, or KindUnknown — never another image's line.
	ImageTag Source
	// Command is the container's command and args as rendered: text a
	// check reads for literal credentials, never printed as it is.
	Command []string
	// Init is set for an init container.
	Init bool
	// Primary is set for the container that runs the service (Result.Config).
	Primary bool

	env []Entry // the process environment, until laid over the files
	// unrendered are its envFrom sources the chart does not render, for
	// Config.Unrendered.
	unrendered []EnvFrom
}

// Probe is an HTTP probe of a container.
type Probe struct {
	Path string
	Port string // a name or a number, as written
}

// Workload is a rendered Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job, CronJob or Pod.
type Workload struct {
	Kind string
	Name string
	// Namespace is where the pod runs: the manifest's metadata.namespace,
	// else the release's. Its envFrom and valueFrom resolve there.
	Namespace string
	// Template is the chart template the workload came from.
	Template   string
	Replicas   int // 1 when unset
	Containers []Container
	// TerminationGracePeriodSeconds is 30 when the pod spec leaves it unset.
	TerminationGracePeriodSeconds int
	// Annotations of the pod template.
	PodAnnotations map[string]string
	// Reads lists the ConfigMaps and Secrets the pod reads through env or
	// envFrom, as "ConfigMap/name" and "Secret/name".
	Reads []string
}

// Object is one rendered manifest.
type Object struct {
	Kind string
	Name string
	// Namespace is where the API server puts the object: its manifest's
	// metadata.namespace, else the release's; "" for cluster-scoped kinds.
	Namespace string
	// Template is the chart file that produced it.
	Template string
	// Body is the parsed object.
	Body map[string]any
}

// Result is one environment rendered.
type Result struct {
	Environment string
	// Namespace is the release's namespace (project.Environment.Namespace,
	// whose NamespaceFrom says where it came from).
	Namespace string
	// Namespaces are the namespaces the rendered objects really land in,
	// sorted: the release's, and any a manifest names itself
	// (namespace: {{ .Values.namespace }}). Environments that share one
	// share everything namespaced.
	Namespaces []string
	// Config is the effective configuration of the primary container (the
	// one running the service's image, see Primary), or the file layer
	// alone in a project without a chart or without a workload.
	Config *Config
	// Workloads are every workload, in manifest order, with every
	// container and init container.
	Workloads []Workload
	// Primary indexes the workload that runs the service; -1 when there
	// is none.
	Primary int
	// Objects are every rendered manifest.
	Objects []Object
	// Values are the coalesced chart values.
	Values map[string]any
	// ValueSources maps dotted values paths ("config.DB_HOST") to the
	// values-file line that set the winning value.
	ValueSources map[string]Source
	// Image is the primary container's image reference.
	Image string
	// SecretValues are the data of every Secret the chart renders, with
	// where each value came from. Never print Value.
	SecretValues []SecretValue
	// Invalid lists what the API server or Helm would refuse in the
	// rendered objects (FERRY057).
	Invalid []Invalid
	// Duplicates are keys repeated in one mapping of a values file.
	Duplicates []Duplicate
	// Unread are the values keys this environment's files set that no
	// template reads: they never reach a container.
	Unread []Unread
	// Unprovided are the ConfigMaps and Secrets a pod reads that the chart
	// does not render and nothing it renders creates (an ExternalSecret,
	// a SealedSecret, a cert-manager Certificate).
	Unprovided []Reference
	// ListImages are the images values lists name (images[], a
	// sidecars[] item's image), only for a Result of ValuesOnly: with no
	// render, they are checked as the values name them.
	ListImages []ValuesImage
	// Warnings are things a user should know that are not errors: a key
	// repeated in a values file, a missing configs/.env.
	Warnings []string
	// NotDecrypted lists the SOPS values files whose values are
	// stand-ins, each with why it could not be decrypted (only with
	// Renderer.ForCheck).
	NotDecrypted []InputError
	// NotVendored says which of the chart's dependencies charts/ lacks,
	// when the chart rendered without them (only with
	// Renderer.ForCheck); nil otherwise.
	NotVendored *InputError
	// LocalCharts maps the directory of each file:// dependency loaded
	// from the project (where its objects' templates are) to where its
	// .Values live in the chart's values ("api."); "" when several
	// aliases of it live in different places.
	LocalCharts map[string]string
}

// Duplicate is a key repeated in one YAML mapping of a values file: YAML
// keeps the last one silently.
type Duplicate struct {
	File string
	// Path is the dotted values path of the key.
	Path      string
	Line      int // the repetition
	FirstLine int
}

// PrimaryWorkload returns the workload that runs the service, nil when the
// chart renders none.
func (r *Result) PrimaryWorkload() *Workload {
	if r == nil || r.Primary < 0 || r.Primary >= len(r.Workloads) {
		return nil
	}
	return &r.Workloads[r.Primary]
}

// Label names a container for people: "Deployment/ledger-worker", with
// the container when the pod has several ("Deployment/api (proxy)").
func (w *Workload) Label(c *Container) string {
	l := w.Kind + "/" + w.Name
	if c != nil && len(w.Containers) > 1 {
		l += " (" + c.Name + ")"
	}
	return l
}

// SecretValue is one data key of a Secret the chart renders.
type SecretValue struct {
	Secret, Key string
	Value       string
	Source      Source
}

// ValuesImage is an image a values file names: Path is the values path
// of its map ({repository, tag}: images[1]) or of its reference string
// (sidecars[0].image).
type ValuesImage struct {
	Path, Image string
}

// Unread is a values key that no template reads.
type Unread struct {
	// Path is the dotted values path (sso.issuerUrl); a whole map when
	// nothing under it is read.
	Path string
	// Source is the line that sets it.
	Source Source
}

// Reference is a pod's reference to a ConfigMap or Secret.
type Reference struct {
	Kind, Name string
	// Namespace is the pod's, where the object is looked for.
	Namespace string
	// Key is the key a valueFrom reads; "" for envFrom.
	Key string
	// Workload is the referring workload ("Deployment/api"), Template its
	// template.
	Workload, Template string
	Optional           bool
}

// String is "Secret sso-client/secret (Deployment/api, chart/templates/deployment.yaml)".
func (r Reference) String() string {
	s := r.Kind + " " + r.Name
	if r.Key != "" {
		s += "/" + r.Key
	}
	return s + " (" + r.Workload + ", " + r.Template + ")"
}
