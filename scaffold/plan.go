package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed all:templates
var templates embed.FS

// Action is what a plan does with one file.
type Action string

// The actions.
const (
	Create  Action = "create"
	Replace Action = "replace" // exists; --force given
	Keep    Action = "keep"    // exists; left as it is
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
	// CI names a CI system to write a workflow for ("github"), "" for none.
	CI string
	// LocalPortBase is the first local-target port; 18080 by default.
	LocalPortBase int
}

// Plan is the files ferry init writes, keeps or replaces.
type Plan struct {
	Service *Service
	Files   []File
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
	EnvSpecs           []envSpec
	LocalDatasources   bool
	LastEnv            []string
	FirstName          string
	LastName           string
}

type envSpec struct {
	Name, Soak, Health, SecretsFile, SmokePath string
	Env                                        []KV
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
	if opts.LocalPortBase == 0 {
		opts.LocalPortBase = 18080
	}
	d := &data{Service: svc, Envs: opts.Envs, ChartDir: "chart"}
	d.Why = "detected: module " + svc.Module
	if svc.GoFr {
		d.Why += "; GoFr contract: " + svc.GoFrWhy
	}
	d.TerminationSeconds = int(math.Ceil(svc.Grace.Seconds())) + 15
	d.BaseConfig = baseConfig(svc)
	p := &Plan{Service: svc}

	if svc.Chart != "" {
		d.ChartDir = svc.Chart
		p.Files = append(p.Files, File{Path: svc.Chart + "/", Action: Keep, Why: "existing chart: ferry.yaml points at it; its values files are kept as they are"})
	} else {
		err := fs.WalkDir(templates, "templates/chart", func(name string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			rel := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".tmpl")
			return p.add(d, name, rel, "chart", opts.Force)
		})
		if err != nil {
			return nil, err
		}
		for _, env := range opts.Envs {
			e := *d
			e.Env = env
			if svc.GoFr {
				e.EnvConfig = append(e.EnvConfig, KV{"APP_ENV", env})
			}
			for _, k := range svc.Datasources {
				e.EnvConfig = append(e.EnvConfig, KV{k, Placeholder(env, k)})
			}
			if err := p.add(&e, "templates/values-env.yaml.tmpl", "values-"+env+".yaml", env+"'s values: datasource placeholders", opts.Force); err != nil {
				return nil, err
			}
		}
	}
	if svc.GoFr && !svc.ConfigsEnv {
		if err := p.add(d, "templates/configs.env.tmpl", "configs/.env", "GoFr's base layer, baked into the image", opts.Force); err != nil {
			return nil, err
		}
	}
	d.EnvSpecs = envSpecs(svc, opts)
	d.LocalDatasources = len(svc.Datasources) > 0
	d.LastEnv = opts.Envs[len(opts.Envs)-1:]
	d.FirstName, d.LastName = opts.Envs[0], opts.Envs[len(opts.Envs)-1]
	if err := p.add(d, "templates/ferry.yaml.tmpl", "ferry.yaml", "ferry's project file", opts.Force); err != nil {
		return nil, err
	}
	if opts.CI != "" {
		if opts.CI != "github" {
			return nil, inputErr("--ci %q: only github is supported", opts.CI)
		}
		if err := p.add(d, "templates/github.yaml.tmpl", ".github/workflows/ferry.yaml", "CI: build, sign, check, deploy and promote on v* tags", opts.Force); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// baseConfig is values.yaml's config: the ports the chart's probes and
// container ports read, the service's defaults, and GoFr's basics.
func baseConfig(s *Service) []KV {
	out := []KV{}
	if s.GoFr {
		out = append(out, KV{"APP_NAME", s.Name})
	}
	out = append(out, KV{s.PortKey, strconv.Itoa(s.Port)})
	if s.MetricsPort != 0 {
		out = append(out, KV{"METRICS_PORT", strconv.Itoa(s.MetricsPort)})
	}
	if s.GoFr {
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

// envSpecs is ferry.yaml's per-environment section: distinct local ports,
// a soak that grows along the path, the health endpoint as smoke test.
func envSpecs(s *Service, opts Options) []envSpec {
	out := make([]envSpec, 0, len(opts.Envs))
	for i, env := range opts.Envs {
		port := opts.LocalPortBase + 10*i
		e := envSpec{Name: env, Soak: "1m", SmokePath: s.Readiness}
		if i == len(opts.Envs)-1 {
			e.Soak = "30m"
		}
		e.Env = append(e.Env, KV{s.PortKey, strconv.Itoa(port)})
		if s.MetricsPort != 0 {
			e.Env = append(e.Env, KV{"METRICS_PORT", strconv.Itoa(port + 1)})
		}
		// Never the environment's own datasources from a laptop: the
		// local defaults the code or configs/.env has, else nothing.
		for _, k := range s.Datasources {
			e.Env = append(e.Env, KV{k, s.LocalDefaults[k]})
		}
		if e.SmokePath == "" {
			e.SmokePath = "/"
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
	src, err := templates.ReadFile(tmpl)
	if err != nil {
		return err
	}
	t, err := template.New(path.Base(tmpl)).Delims("[[", "]]").Funcs(template.FuncMap{
		"join":  strings.Join,
		"quote": strconv.Quote,
		"flow":  func(s []string) string { return "[" + strings.Join(s, ", ") + "]" },
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
}

// Write writes the plan's created and replaced files.
func (p *Plan) Write() error {
	for _, f := range p.Files {
		if f.Action == Keep {
			continue
		}
		dst := filepath.Join(p.Service.Dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}
