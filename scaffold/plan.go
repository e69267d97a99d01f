package scaffold

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/packfs"
	"github.com/ferrydev/ferry/internal/portholder"
	"github.com/ferrydev/ferry/project"
)

// packed is the directory templates/ (the chart, ferry.yaml, CI files
// init writes), packed by TestTemplatesPacked -update.
//
//go:embed templates.tgz
var packed []byte

// unpacked is templates/, by path under it, once templates unpacked it:
// a struct rather than sync.OnceValues, whose call at package level
// would run (and page in this package's code) for every command.
var unpacked struct {
	once  sync.Once
	files map[string][]byte
	err   error
}

// templates unpacks templates/ once.
func templates() (map[string][]byte, error) {
	unpacked.once.Do(func() { unpacked.files, unpacked.err = packfs.Unpack(packed) })
	return unpacked.files, unpacked.err
}

// Action is what a plan does with one file.
type Action string

// The actions.
const (
	Create  Action = "create"
	Replace Action = "replace" // exists; --force given
	Keep    Action = "keep"    // exists; left as it is
	Update  Action = "update"  // exists; lines appended (.gitignore)
)

// File is one file of a plan.
type File struct {
	Path   string // slash-separated, relative to the repository
	Action Action
	Data   []byte
	// Why says why a kept file is kept, or what a written one is for.
	Why string
}

// Options tune NewPlan.
type Options struct {
	// Envs are the environments, first of the promotion path first;
	// staging and prod by default.
	Envs []string
	// Force replaces files that exist instead of keeping them.
	Force bool
	// CI names a CI system to write a pipeline for ("github", "gitlab"),
	// "" for none. A pipeline needs environments whose state lives
	// outside the runner: Target kube.
	CI string
	// Target is the environments' target: "local" (the default) or
	// "kube".
	Target string
	// Image is ferry.yaml's image: the registry repository the pipeline
	// pushes to and the cluster pulls from (kube); the service's name
	// when "".
	Image string
	// Install is the version of ferry the pipeline installs (a module
	// version or a commit): the one writing it.
	Install string
	// LocalPortBase, when not 0, is the first local-target port instead
	// of one derived from the service's own port.
	LocalPortBase int
	// PortFree says whether a port is free and, if not, who holds it;
	// nil asks this machine (package portholder).
	PortFree func(port int) (free bool, holder string)
}

// Plan is the files ferry init writes, keeps or replaces.
type Plan struct {
	Service *Service
	// Chart is the chart directory relative to the service: the existing
	// one, or the one init writes.
	Chart string
	Files []File
	// Notes are what init decided for the user that a file does not
	// show on its own: a port skipped because another process held it.
	Notes []string
}

// KV is one key and value, in the order written.
type KV struct{ Key, Value string }

// data is what the templates see.
type data struct {
	*Service
	Envs               []string
	ChartDir           string
	Why                string
	TerminationSeconds int
	BaseConfig         []KV
	Env                string
	EnvConfig          []KV
	// Overlay is Env's GoFr overlay file, "" when it has none, and
	// FromOverlay the keys it sets.
	Overlay          string
	FromOverlay      []string
	EnvSpecs         []envSpec
	LocalDatasources bool
	LastEnv          []string
	FirstName        string
	LastName         string
	Target, Image    string
	Install          string
	Promotions       []promotion
	GoImage          string
}

type envSpec struct {
	Name, Soak, Health, SecretsFile, SmokePath string
	Env                                        []KV
	Kube                                       bool
}

// promotion is one step of the path, one CI job.
type promotion struct {
	From, To string
	// Last: the step into the last environment, which waits for a
	// person (the CI's environment protection).
	Last bool
	// SoakMinutes is From's soak, for the CI job's time limit.
	SoakMinutes int
}

// Placeholder is the value written for a key only the user can know.
func Placeholder(env, key string) string {
	return "REPLACE_WITH_" + strings.ToUpper(strings.ReplaceAll(env, "-", "_")) + "_" + key
}

// NewPlan plans what ferry init writes for svc.
func NewPlan(svc *Service, opts Options) (*Plan, error) {
	if len(opts.Envs) == 0 {
		opts.Envs = []string{"staging", "prod"}
	}
	for _, e := range opts.Envs {
		if e == "" || strings.ContainsAny(e, "/\\ .") {
			return nil, inputErr("--env: %q is not an environment name", e)
		}
	}
	if err := checkTarget(svc, &opts); err != nil {
		return nil, err
	}
	d := &data{Service: svc, Envs: opts.Envs, ChartDir: "chart", Target: opts.Target, Image: opts.Image, Install: opts.Install}
	d.Why = "detected: module " + svc.Module
	if svc.GoFr {
		d.Why += "; GoFr contract: " + svc.GoFrWhy
	}
	d.GoImage = goImage(svc.Dir)
	d.TerminationSeconds = int(math.Ceil(svc.Grace.Seconds())) + 15
	d.BaseConfig = baseConfig(svc)
	p := &Plan{Service: svc}

	if svc.Chart != "" {
		d.ChartDir = svc.Chart
	}
	p.Chart = d.ChartDir
	if svc.Chart != "" {
		p.Files = append(p.Files, File{Path: svc.Chart + "/", Action: Keep, Why: "existing chart: ferry.yaml points at it; its values files are kept as they are"})
	} else {
		files, err := templates()
		if err != nil {
			return nil, err
		}
		for _, name := range slices.Sorted(maps.Keys(files)) {
			if strings.HasPrefix(name, "chart/") {
				if err := p.add(d, "templates/"+name, strings.TrimSuffix(name, ".tmpl"), "chart", opts.Force); err != nil {
					return nil, err
				}
			}
		}
		for _, env := range opts.Envs {
			e := *d
			e.Env = env
			why := env + "'s values: datasource placeholders"
			if svc.GoFr {
				e.EnvConfig = append(e.EnvConfig, KV{"APP_ENV", env})
			}
			e.EnvConfig = append(e.EnvConfig, envConfig(svc, d.BaseConfig, env)...)
			if overlay, ok := svc.Overlays[env]; ok {
				e.Overlay = "configs/." + env + ".env"
				e.FromOverlay = slices.Sorted(maps.Keys(overlay))
				why = env + "'s values: APP_ENV selects " + e.Overlay + ", baked into the image"
			}
			if err := p.add(&e, "templates/values-env.yaml.tmpl", "values-"+env+".yaml", why, opts.Force); err != nil {
				return nil, err
			}
		}
	}
	if svc.GoFr && !svc.ConfigsEnv {
		if err := p.add(d, "templates/configs.env.tmpl", "configs/.env", "GoFr's base layer, baked into the image", opts.Force); err != nil {
			return nil, err
		}
	}
	d.EnvSpecs = p.envSpecs(svc, opts)
	d.LocalDatasources = len(svc.Datasources) > 0
	d.LastEnv = opts.Envs[len(opts.Envs)-1:]
	d.FirstName, d.LastName = opts.Envs[0], opts.Envs[len(opts.Envs)-1]
	for i := 1; i < len(opts.Envs); i++ {
		d.Promotions = append(d.Promotions, promotion{From: opts.Envs[i-1], To: opts.Envs[i], Last: i == len(opts.Envs)-1, SoakMinutes: soakMinutes(d.EnvSpecs[i-1].Soak)})
	}
	if err := p.add(d, "templates/ferry.yaml.tmpl", "ferry.yaml", "ferry's project file", opts.Force); err != nil {
		return nil, err
	}
	if err := p.gitignore(); err != nil {
		return nil, err
	}
	switch opts.CI {
	case "github":
		err := p.add(d, "templates/github.yaml.tmpl", ".github/workflows/ferry.yaml", "CI: on v* tags build once, sign, push; deploy "+d.FirstName+", soak, promote", opts.Force)
		if err != nil {
			return nil, err
		}
	case "gitlab":
		err := p.add(d, "templates/gitlab-ci.yml.tmpl", ".gitlab-ci.yml", "CI: on v* tags build once, sign, push; deploy "+d.FirstName+", soak, promote", opts.Force)
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkTarget settles opts' target, image and CI, refusing a pipeline for
// environments that live on the runner.
func checkTarget(svc *Service, opts *Options) error {
	switch opts.Target {
	case "":
		opts.Target = "local"
	case "local", "kube":
	default:
		return inputErr("--target %q: local or kube", opts.Target)
	}
	switch opts.CI {
	case "", "github", "gitlab":
	default:
		return inputErr("--ci %q: github or gitlab", opts.CI)
	}
	if opts.CI != "" && opts.Target == "local" {
		return inputErr("--ci %s: each CI job runs on a fresh runner, where a local environment has no process and no state; add --target kube --image <registry>/<repository> (environments on a cluster, their state kept there)", opts.CI)
	}
	if opts.CI != "" && !NamesRegistry(opts.Image) {
		return inputErr("--ci %s needs --image <registry host>/<repository>: the image the pipeline pushes once and the cluster pulls (got %q)", opts.CI, opts.Image)
	}
	if opts.CI != "" && opts.Install == "" {
		return errors.New("scaffold: no ferry version to install in the pipeline")
	}
	if opts.Image == "" {
		// The chart that is kept already says what it pulls.
		opts.Image = cmp.Or(svc.ChartImage, svc.Name)
	}
	// A ferry.yaml that is kept must suit the pipeline as well.
	if opts.CI != "" && !opts.Force {
		data, err := readRepo(svc.Dir, "ferry.yaml")
		if err == nil {
			f, err := project.ParseFile("ferry.yaml", data)
			if err != nil {
				return inputErr("%v", err)
			}
			for _, env := range opts.Envs {
				spec, ok := f.Environments[env]
				if !ok || spec.Target == "" || spec.Target == "local" {
					return inputErr("--ci %s: ferry.yaml (kept) runs %s on the local target, which a fresh CI runner cannot reach; give it target: kube, or --force to rewrite ferry.yaml", opts.CI, env)
				}
			}
		}
	}
	return nil
}

// NamesRegistry says whether repo starts with a registry host
// (registry.acme.internal/shop/api, localhost:5000/api) rather than being a
// bare name.
func NamesRegistry(repo string) bool {
	first, rest, ok := strings.Cut(repo, "/")
	return ok && rest != "" && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// goImage is the Go toolchain image tag for go.mod's go line: "1.26"
// for go 1.26.0, "1" when go.mod names none.
func goImage(dir string) string {
	data, err := readRepo(dir, "go.mod")
	if err != nil {
		return "1"
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil || f.Go == nil {
		return "1"
	}
	parts := strings.SplitN(f.Go.Version, ".", 3)
	if len(parts) < 2 {
		return parts[0]
	}
	return parts[0] + "." + parts[1]
}

func soakMinutes(soak string) int {
	d, err := time.ParseDuration(soak)
	if err != nil {
		return 30
	}
	return int(math.Ceil(d.Minutes()))
}

// gitignore plans .gitignore so that .ferry/ (state, images, secrets'
// fingerprint key, logs) and a signing key are never committed.
func (p *Plan) gitignore() error {
	want := []string{".ferry/", "*.key"}
	rel := ".gitignore"
	data, err := readRepo(p.Service.Dir, rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		have[strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/")] = true
	}
	var add []string
	for _, w := range want {
		if !have[strings.TrimSuffix(w, "/")] {
			add = append(add, w)
		}
	}
	if len(add) == 0 {
		p.Files = append(p.Files, File{Path: rel, Action: Keep, Why: "already ignores .ferry/ and keys"})
		return nil
	}
	var buf bytes.Buffer
	action := Create
	if data != nil {
		action = Update
		if len(data) > 0 && data[len(data)-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
	buf.WriteString("# ferry: local state, images and logs; private signing keys\n")
	for _, a := range add {
		buf.WriteString(a + "\n")
	}
	p.Files = append(p.Files, File{Path: rel, Action: action, Data: buf.Bytes(), Why: "ignore " + strings.Join(add, ", ")})
	return nil
}

// baseConfig is values.yaml's config: the ports the chart's probes and
// container ports read, the service's defaults, and GoFr's basics. A
// service with its own configs/.env already carries its defaults in the
// image, and the ConfigMap's variables would win over its
// configs/.<APP_ENV>.env overlays: the chart then sets only the ports.
func baseConfig(s *Service) []KV {
	basics := s.GoFr && !s.ConfigsEnv
	out := []KV{}
	if basics {
		out = append(out, KV{"APP_NAME", s.Name})
	}
	if s.PortKey != "" {
		out = append(out, KV{s.PortKey, strconv.Itoa(s.Port)})
	}
	if s.MetricsPort != 0 {
		out = append(out, KV{"METRICS_PORT", strconv.Itoa(s.MetricsPort)})
	}
	if basics {
		out = append(out, KV{"LOG_LEVEL", "INFO"}, KV{"SHUTDOWN_GRACE_PERIOD", s.Grace.String()})
	}
	keys := make([]string, 0, len(s.Config))
	for k := range s.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, KV{k, s.Config[k]})
	}
	return out
}

// envConfig is values-<env>.yaml's config beyond APP_ENV: a placeholder
// for each datasource, and a port the chart reads that env's GoFr
// overlay (configs/.<env>.env) moves. A key the overlay sets is left to
// it: the ConfigMap is process environment, which wins over GoFr's files,
// so a copy there would shadow the overlay (and a placeholder would
// replace its real value).
func envConfig(s *Service, base []KV, env string) []KV {
	overlay := s.Overlays[env]
	var out []KV
	for _, kv := range base {
		if v, ok := overlay[kv.Key]; ok && v != kv.Value && (kv.Key == s.PortKey || kv.Key == "METRICS_PORT") {
			// The chart's container ports read it: they must follow.
			out = append(out, KV{kv.Key, v})
		}
	}
	for _, k := range s.Datasources {
		if _, ok := overlay[k]; !ok {
			out = append(out, KV{k, Placeholder(env, k)})
		}
	}
	return out
}

// envSpecs is ferry.yaml's per-environment section: a soak that grows
// along the path; on the local target distinct free ports and the health
// endpoint as smoke test; on kube the readiness of the chart's probes.
func (p *Plan) envSpecs(s *Service, opts Options) []envSpec {
	out := make([]envSpec, 0, len(opts.Envs))
	var ports [][2]int
	if opts.Target == "local" {
		ports = p.localPorts(s, opts)
	}
	for i, env := range opts.Envs {
		e := envSpec{Name: env, Soak: "1m", SmokePath: s.Readiness}
		if i == len(opts.Envs)-1 {
			e.Soak = "30m"
		}
		if e.SmokePath == "" {
			e.SmokePath = "/"
		}
		if opts.Target == "kube" {
			e.Kube = true
			out = append(out, e)
			continue
		}
		port := ports[i][0]
		if s.PortKey != "" {
			e.Env = append(e.Env, KV{s.PortKey, strconv.Itoa(port)})
		}
		if s.MetricsPort != 0 {
			e.Env = append(e.Env, KV{"METRICS_PORT", strconv.Itoa(ports[i][1])})
		}
		// Never the environment's own datasources from a laptop: the
		// local defaults the code or configs/.env has, else nothing.
		for _, k := range s.Datasources {
			e.Env = append(e.Env, KV{k, s.LocalDefaults[k]})
		}
		if !s.GoFr || s.Readiness != "/.well-known/health" {
			// ferry finds a GoFr service's health on HTTP_PORT; any
			// other is named in full, and so is its smoke test.
			e.Health = "http://127.0.0.1:" + strconv.Itoa(port) + e.SmokePath
			e.SmokePath = e.Health
		}
		if len(s.Secrets) > 0 {
			e.SecretsFile = "~/.config/ferry/" + s.Name + "/" + env + ".env"
		}
		out = append(out, e)
	}
	return out
}

// localPorts gives each environment an HTTP port (and a metrics port for
// GoFr) derived from the service's own: its port + 10000, then +10 per
// environment, so two projects seldom meet and none sits on another's
// usual port. A port that is in use now is skipped, naming its holder.
func (p *Plan) localPorts(s *Service, opts Options) [][2]int {
	out := make([][2]int, 0, len(opts.Envs))
	if s.PortKey == "" {
		// No variable sets the port: every environment listens where
		// the service does, one at a time.
		for range opts.Envs {
			out = append(out, [2]int{s.Port})
		}
		return out
	}
	free := opts.PortFree
	if free == nil {
		free = func(port int) (bool, string) {
			if portholder.Free(port) {
				return true, ""
			}
			return false, portholder.Holder(port)
		}
	}
	shift := func(port int) int {
		if port+10000+10*len(opts.Envs)*20 <= 65535 {
			return port + 10000
		}
		return 20000 + port%10000
	}
	base, mbase := opts.LocalPortBase, opts.LocalPortBase+1
	if base == 0 {
		base, mbase = shift(s.Port), shift(s.MetricsPort)
	}
	slot := 0
	for _, env := range opts.Envs {
		var taken []string
		for tries := 0; ; tries++ {
			http, metrics := base+10*slot, mbase+10*slot
			slot++
			need := []int{http}
			if s.MetricsPort != 0 {
				need = append(need, metrics)
			}
			busy := ""
			for _, port := range need {
				if ok, holder := free(port); !ok {
					if holder == "" {
						holder = "another process"
					}
					busy = fmt.Sprintf("%d (in use by %s)", port, holder)
					break
				}
			}
			// Past 20 slots, take the port anyway: deploy will say
			// who holds it then.
			if busy == "" || tries == 20 {
				if len(taken) > 0 {
					p.Notes = append(p.Notes, fmt.Sprintf("%s: skipped port %s; %s gets %s=%d", env, strings.Join(taken, ", port "), env, s.PortKey, http))
				}
				out = append(out, [2]int{http, metrics})
				break
			}
			taken = append(taken, busy)
		}
	}
	return out
}

// add renders template tmpl as rel, or keeps rel where it exists.
func (p *Plan) add(d *data, tmpl, rel, why string, force bool) error {
	action := Create
	if _, err := os.Lstat(filepath.Join(p.Service.Dir, filepath.FromSlash(rel))); err == nil {
		if !force {
			p.Files = append(p.Files, File{Path: rel, Action: Keep, Why: "exists (--force replaces it)"})
			return nil
		}
		action = Replace
	}
	files, err := templates()
	if err != nil {
		return err
	}
	src, ok := files[strings.TrimPrefix(tmpl, "templates/")]
	if !ok {
		return fmt.Errorf("no template %s", tmpl)
	}
	t, err := template.New(path.Base(tmpl)).Delims("[[", "]]").Funcs(template.FuncMap{
		"join":  strings.Join,
		"quote": strconv.Quote,
		"flow":  func(s []string) string { return "[" + strings.Join(s, ", ") + "]" },
		"add":   func(a, b int) int { return a + b },
		"registry": func(image string) string {
			host, _, _ := strings.Cut(image, "/")
			return host
		},
	}).Parse(string(src))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("%s: %w", tmpl, err)
	}
	p.Files = append(p.Files, File{Path: rel, Action: action, Data: buf.Bytes(), Why: why})
	return nil
}

// Print writes the plan, one line a file.
func (p *Plan) Print(w io.Writer) {
	for _, f := range p.Files {
		fmt.Fprintf(w, "%-8s %s", f.Action, f.Path)
		if f.Why != "" {
			fmt.Fprintf(w, "  (%s)", f.Why)
		}
		fmt.Fprintln(w)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note     %s\n", n)
	}
}

// Write writes the plan's created and replaced files, confined to the
// repository: a committed link (chart/ or .gitignore pointing elsewhere)
// is refused, never written through.
func (p *Plan) Write() error {
	root, err := confine.Open(p.Service.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range p.Files {
		if f.Action == Keep {
			continue
		}
		if err := root.MkdirAll(path.Dir(f.Path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if f.Action == Update {
			flag = os.O_WRONLY | os.O_APPEND
		}
		if err := writeFile(root, f.Path, flag, f.Data); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}

// readRepo reads a file of the repository in dir, confined to it.
func readRepo(dir, name string) ([]byte, error) {
	root, err := confine.Open(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(name)
}

func writeFile(root *confine.Root, name string, flag int, data []byte) error {
	f, err := root.OpenFile(name, flag, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
