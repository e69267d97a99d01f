// Package scaffold writes what a Go service repository needs to be moved
// by ferry: a chart (Deployment reading a ConfigMap through envFrom and
// each secret key from the environment's Secret by name, probes on the service's health paths, checksum annotations, a
// termination grace longer than the service's shutdown grace), values.yaml
// and values-<env>.yaml with one placeholder per datasource the service
// reads, configs/.env where it follows GoFr's layering, ferry.yaml and
// optionally a CI workflow.
//
// Detect reads the repository (go.mod, the main package, the ports and
// environment variables its code names, configs/.env); NewPlan turns that
// into files, never replacing one that exists unless told to.
package scaffold

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
)

// InputError is bad input: no Go module, no or several main packages, an
// environment name that cannot be a file name.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Service is what Detect learned about a repository.
type Service struct {
	// Dir is the repository, absolute.
	Dir string
	// Module is go.mod's module path; Name its last element.
	Module, Name string
	// Main is the main package, "." or "./cmd/api".
	Main string
	// GoFr says whether the service follows GoFr's configuration contract;
	// GoFrWhy says what showed it.
	GoFr    bool
	GoFrWhy string
	// PortKey is the variable the service reads its HTTP port from
	// (HTTP_PORT under GoFr's contract); Port its value. PortKey is ""
	// when no variable sets the port and the code or image fixes it
	// (a flag's default, a literal address, the Dockerfile's CMD):
	// PortFrom then says where ("flag --host defaults to \":8000\" at
	// main.go:36").
	PortKey  string
	Port     int
	PortFrom string
	// MetricsPort is GoFr's METRICS_PORT, 0 for other services.
	MetricsPort int
	// Readiness and Liveness are the HTTP paths of the probes; "" when the
	// service serves none (a TCP probe is used instead).
	Readiness, Liveness string
	// Grace is the service's shutdown grace period.
	Grace time.Duration
	// Config holds the non-secret, non-datasource keys the service reads
	// that the chart's ConfigMap should carry, with their defaults.
	Config map[string]string
	// Datasources are the keys that locate a datasource: they differ per
	// environment and no default can be guessed.
	Datasources []string
	// LocalDefaults are the datasources' values in configs/.env or the
	// code's fallbacks: what a laptop uses.
	LocalDefaults map[string]string
	// Secrets are the sensitive keys the service reads: they come from
	// the environment's Secret, never from values files.
	Secrets []string
	// Chart is an existing chart directory relative to Dir, "" if none.
	Chart string
	// ConfigsEnv is true when configs/.env exists.
	ConfigsEnv bool
	// Overlays are the keys of each configs/.<env>.env overlay, by env
	// (.local.env is a laptop's, not an environment's); nil when none.
	// The image carries them, and APP_ENV selects one: a ConfigMap key
	// (process environment) would shadow it.
	Overlays map[string]map[string]string
	// ChartImage is the image repository the existing chart's values.yaml
	// names (image.registry/image.repository), "" if it names none.
	ChartImage string
}

// Detect reads the Go service repository in dir. mainPkg and chart, when
// not "", name the main package and the existing chart to use.
func Detect(dir, mainPkg, chart string) (*Service, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Service{Dir: abs, Config: map[string]string{}, LocalDefaults: map[string]string{}}
	// Everything init reads of the repository, it reads confined to it:
	// a link out of the repository is not followed.
	root, err := confine.Open(abs)
	if err != nil {
		return nil, inputErr("%v", err)
	}
	defer root.Close()
	gomod := filepath.Join(abs, "go.mod")
	data, err := root.ReadFile("go.mod")
	if err != nil {
		return nil, inputErr("%s has no go.mod: ferry init works in a Go module's root (run go mod init first)", abs)
	}
	s.Module = modfile.ModulePath(data)
	if s.Module == "" {
		return nil, inputErr("%s:1: no module line", gomod)
	}
	s.Name = path.Base(s.Module)
	if mf, err := modfile.ParseLax(gomod, data, nil); err == nil {
		for _, r := range mf.Require {
			if r.Mod.Path == "gofr.dev" || r.Mod.Path == "github.com/ferrydev/ferry/kit" {
				s.GoFr, s.GoFrWhy = true, "go.mod requires "+r.Mod.Path
			}
		}
	}

	mains, err := mainPackages(root)
	if err != nil {
		return nil, err
	}
	switch {
	case mainPkg != "":
		s.Main = mainPkg
	case len(mains) == 0:
		return nil, inputErr("no main package under %s", abs)
	case len(mains) > 1:
		return nil, inputErr("%d main packages (%s): name the service's with --main", len(mains), strings.Join(mains, ", "))
	default:
		s.Main = mains[0]
	}

	envs := map[string]string{}
	if vars, err := envfile.ReadFile(root.FS(), "configs/.env"); err == nil {
		s.ConfigsEnv = true
		for _, v := range vars {
			envs[v.Key] = v.Value
		}
		if !s.GoFr {
			s.GoFr, s.GoFrWhy = true, "configs/.env exists"
		}
		s.Overlays = overlays(root)
	}
	code, err := scanCode(root, s.Main)
	if err != nil {
		return nil, err
	}
	if p, from := dockerPort(root); p != 0 {
		code.ports, code.portFrom = append([]int{p}, code.ports...), from
	}
	if code.gofrImport != "" && !s.GoFr {
		s.GoFr, s.GoFrWhy = true, "imports "+code.gofrImport
	}
	if s.Chart, err = existingChart(abs); err != nil && chart == "" {
		return nil, err
	}
	if chart != "" {
		s.Chart = filepath.ToSlash(filepath.Clean(chart))
		if st, err := root.Stat(path.Join(s.Chart, "Chart.yaml")); (err != nil || st.IsDir()) && project.WerfProject(filepath.Join(abs, s.Chart)) == "" {
			return nil, inputErr("--chart %s: no Chart.yaml there", chart)
		}
	}
	if s.Chart != "" {
		s.ChartImage = chartImage(root, path.Join(s.Chart, "values.yaml"))
	}
	s.classify(envs, code)
	if s.Chart != "" && s.Readiness == "" {
		// The code names no health route ferry knows; the chart that is
		// kept probes one already.
		s.Readiness = chartProbe(root, s.Chart, "readinessProbe")
		s.Liveness = cmp.Or(chartProbe(root, s.Chart, "livenessProbe"), s.Readiness)
	}
	return s, nil
}

// PortSummary is the variable that sets the port and its value
// (PORT=8080), or the port and what fixes it when no variable does.
func (s *Service) PortSummary() string {
	if s.PortKey == "" {
		return fmt.Sprintf("%d (no variable sets it: %s)", s.Port, s.PortFrom)
	}
	return s.PortKey + "=" + strconv.Itoa(s.Port)
}

// chartProbe is the literal httpGet path of the first probe named kind
// in the chart's templates ("" when none, or when it is templated): the
// route the chart already trusts to say the service is up.
func chartProbe(root *confine.Root, chart, kind string) string {
	var found string
	_ = root.WalkDir(path.Join(chart, "templates"), func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil
		}
		data, err := root.ReadFile(name)
		if err != nil {
			return nil
		}
		lines := strings.Split(string(data), "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) != kind+":" {
				continue
			}
			for _, next := range lines[i+1 : min(i+6, len(lines))] {
				k, v, ok := strings.Cut(strings.TrimSpace(next), ":")
				if v = strings.Trim(strings.TrimSpace(v), `"'`); ok && k == "path" && strings.HasPrefix(v, "/") && !strings.Contains(v, "{{") {
					found = v
					return fs.SkipAll
				}
			}
		}
		return nil
	})
	return found
}

// chartImage reads the image repository a chart's values.yaml names in
// the common shape (image.repository, with Bitnami's image.registry).
func chartImage(root *confine.Root, valuesFile string) string {
	data, err := root.ReadFile(valuesFile)
	if err != nil {
		return ""
	}
	var v struct {
		Image struct {
			Registry   string `yaml:"registry"`
			Repository string `yaml:"repository"`
		} `yaml:"image"`
	}
	if yaml.Unmarshal(data, &v) != nil || v.Image.Repository == "" {
		return ""
	}
	if v.Image.Registry != "" {
		return v.Image.Registry + "/" + v.Image.Repository
	}
	return v.Image.Repository
}

// mainPackages lists the directories (./x/y, or ".") holding package main.
func mainPackages(root *confine.Root) ([]string, error) {
	seen := map[string]bool{}
	err := root.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			var out *confine.Error
			if errors.As(err, &out) {
				return nil // a link out of the repository is none of its packages
			}
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			// A nested module is another project.
			if _, err := root.Stat(path.Join(p, "go.mod")); p != "." && err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := root.ReadFile(p)
		if err != nil {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.PackageClauseOnly)
		if err != nil || f.Name.Name != "main" {
			return nil
		}
		if dir := path.Dir(p); dir == "." {
			seen["."] = true
		} else {
			seen["./"+dir] = true
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, err
}

// code is what the main package's source says.
type code struct {
	gofrImport string
	envKeys    map[string]string // key → the default the code falls back to, "" if none
	ports      []int             // ":8080"-like literals
	// portFrom says where the first of ports stands, or the flag whose
	// default it is.
	portFrom string
	paths    []string // HTTP route literals
	// moduleKeys are the env keys the whole module's code reads.
	moduleKeys []string
}

var (
	portLit  = &lazyre.Regexp{Src: `^:(\d{2,5})$`}
	routeLit = &lazyre.Regexp{Src: `^(?:(?:GET|HEAD) )?(/[A-Za-z0-9._/-]*)$`}
)

// scanCode reads the main package's Go files: imports, the string
// literals given to os.Getenv/LookupEnv, port and route literals.
func scanCode(root *confine.Root, mainPkg string) (*code, error) {
	c := &code{envKeys: map[string]string{}}
	dir := path.Clean(mainPkg)
	entries, err := root.ReadDir(dir)
	if err != nil {
		return nil, inputErr("main package %s: %v", mainPkg, err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		name := path.Join(dir, e.Name())
		src, err := root.ReadFile(name)
		if err != nil {
			return nil, inputErr("%v", err)
		}
		f, err := parser.ParseFile(fset, filepath.Join(root.Dir(), filepath.FromSlash(name)), src, 0)
		if err != nil {
			return nil, inputErr("%v", err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if p == "gofr.dev/pkg/gofr" || strings.HasPrefix(p, "github.com/ferrydev/ferry/kit") {
				c.gofrImport = p
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if len(n.Args) == 0 {
					return true
				}
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "os") && (sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv") {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						k, _ := strconv.Unquote(lit.Value)
						if _, seen := c.envKeys[k]; !seen {
							c.envKeys[k] = ""
						}
					}
				}
				if p, from := flagPort(n, name, fset); p != 0 && !strings.HasPrefix(c.portFrom, "flag") {
					c.ports, c.portFrom = append([]int{p}, c.ports...), from
				}
				// envOr("PORT", "8080")-style helpers: a call whose first
				// two arguments are an upper-case key and a literal.
				if len(n.Args) == 2 {
					k, ok1 := n.Args[0].(*ast.BasicLit)
					v, ok2 := n.Args[1].(*ast.BasicLit)
					if ok1 && ok2 && k.Kind == token.STRING && v.Kind == token.STRING {
						key, _ := strconv.Unquote(k.Value)
						val, _ := strconv.Unquote(v.Value)
						if envKey.Get().MatchString(key) {
							c.envKeys[key] = val
						}
					}
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				v, _ := strconv.Unquote(n.Value)
				if m := portLit.Get().FindStringSubmatch(v); m != nil {
					p, _ := strconv.Atoi(m[1])
					if c.portFrom == "" {
						c.portFrom = fmt.Sprintf("%q at %s:%d", v, name, fset.Position(n.Pos()).Line)
					}
					c.ports = append(c.ports, p)
				}
				if m := routeLit.Get().FindStringSubmatch(v); m != nil {
					c.paths = append(c.paths, m[1])
				}
			}
			return true
		})
	}
	c.moduleKeys = moduleEnvKeys(root)
	return c, nil
}

var envKey = &lazyre.Regexp{Src: `^[A-Z][A-Z0-9_]*$`}

// datasourceKey: keys that locate a datasource and so must differ per
// environment. Hosts, URLs and DSNs of databases, caches and brokers.
var datasourceKey = &lazyre.Regexp{Src: `^(?:DB_HOST|DB_NAME|REDIS_HOST|PUBSUB_BROKER|MQTT_HOST|NATS_SERVER|.*(?:DATABASE|POSTGRES|MYSQL|MONGO|REDIS|AMQP|RABBIT|KAFKA|BROKER|NATS|DB)_(?:URL|URI|DSN|ADDR|ADDRESS|HOST|BROKERS?))$`}

// classify sorts the keys the service reads into config, datasources and
// secrets, and settles ports, probes and grace.
func (s *Service) classify(envs map[string]string, c *code) {
	keys := map[string]string{}
	for k, v := range envs {
		keys[k] = v
	}
	for k, v := range c.envKeys {
		if _, ok := keys[k]; !ok {
			keys[k] = v
		}
	}
	if s.GoFr {
		s.PortKey, s.Port, s.MetricsPort = "HTTP_PORT", atoiOr(keys["HTTP_PORT"], 8000), atoiOr(keys["METRICS_PORT"], 2121)
		s.Readiness, s.Liveness = "/.well-known/health", "/.well-known/alive"
		s.Grace = 30 * time.Second // GoFr's default
		if d, err := time.ParseDuration(keys["SHUTDOWN_GRACE_PERIOD"]); err == nil {
			s.Grace = d
		}
		// A DB_DIALECT in configs/.env means a SQL database: its host
		// differs per environment even where the file has none.
		if keys["DB_DIALECT"] != "" {
			for _, k := range []string{"DB_HOST", "DB_NAME"} {
				if _, ok := keys[k]; !ok {
					keys[k] = ""
				}
			}
		}
	} else {
		// The names the local target knows first (HTTP_PORT, PORT,
		// SERVER_PORT, APP_PORT), then address-shaped ones.
		known := false
		for _, k := range []string{"PORT", "HTTP_PORT", "SERVER_PORT", "APP_PORT", "LISTEN_PORT", "ADDR", "HTTP_ADDR", "LISTEN_ADDR", "SERVER_ADDR"} {
			if _, ok := keys[k]; ok {
				s.PortKey, known = k, true
				break
			}
		}
		if !known {
			// MEDIA_SERVER_PORT, read in a package main imports: the one
			// *_PORT key of the module that locates no datasource.
			s.PortKey, known = servicePortKey(c, keys)
		}
		if !known && c.portFrom != "" {
			// The port is the code's (a flag's default, a literal
			// address) or the image's CMD: a PORT ferry set would be
			// read by nothing.
			s.PortKey, s.PortFrom = "", c.portFrom
		} else if !known {
			s.PortKey = "PORT" // nothing says: the local target's first guess
		}
		s.Port = atoiOr(strings.TrimPrefix(keys[s.PortKey], ":"), 0)
		if s.Port == 0 && len(c.ports) > 0 {
			s.Port = c.ports[0]
		}
		if s.Port == 0 {
			s.Port = 8080
		}
		for _, want := range []string{"/readyz", "/healthz", "/health", "/livez", "/ping"} {
			if slices.Contains(c.paths, want) {
				if s.Readiness == "" {
					s.Readiness = want
				}
				if want == "/livez" || s.Liveness == "" {
					s.Liveness = want
				}
			}
		}
		s.Grace = 30 * time.Second // Kubernetes' own default
	}
	for k, v := range keys {
		switch {
		case k == s.PortKey || k == "METRICS_PORT" || k == "APP_ENV":
		case secret.Name(k):
			s.Secrets = append(s.Secrets, k)
		case datasourceKey.Get().MatchString(k):
			s.Datasources = append(s.Datasources, k)
			if v != "" {
				s.LocalDefaults[k] = v
			}
		case s.GoFr && s.ConfigsEnv:
			// The image's configs/.env already carries these defaults.
		case v != "":
			s.Config[k] = v
		}
	}
	sort.Strings(s.Secrets)
	sort.Strings(s.Datasources)
}

// overlays reads configs/.<env>.env, each environment's GoFr overlay.
func overlays(root *confine.Root) map[string]map[string]string {
	ents, err := root.ReadDir("configs")
	if err != nil {
		return nil
	}
	var out map[string]map[string]string
	for _, ent := range ents {
		env, ok := strings.CutSuffix(strings.TrimPrefix(ent.Name(), "."), ".env")
		if !ok || ent.IsDir() || !strings.HasPrefix(ent.Name(), ".") || env == "" || env == "local" || strings.Contains(env, ".") {
			continue
		}
		vars, err := envfile.ReadFile(root.FS(), "configs/"+ent.Name())
		if err != nil {
			continue
		}
		if out == nil {
			out = map[string]map[string]string{}
		}
		out[env] = map[string]string{}
		for _, v := range vars {
			out[env][v.Key] = v.Value
		}
	}
	return out
}

// ChartEnvs are the environments the kept chart in dir is deployed to,
// in promotion order, as ferry reads the project (a werf .helm with no
// Chart.yaml too): its values-<env>.yaml files and the environments CI
// deploys. One CI deploys with the very values files of an environment
// before it (a pull request's review app on values-dev.yaml) is a
// variant of that one, not a stage of the path: check still checks it,
// off the path. nil for a chart init writes.
func ChartEnvs(dir, chart string) []string {
	if chart == "" {
		return nil
	}
	p, err := project.LoadChart(dir, chart)
	if err != nil {
		return nil
	}
	var out []string
next:
	for i, e := range p.Environments {
		for _, o := range p.Environments[:i] {
			if slices.Equal(e.Values, o.Values) {
				continue next
			}
		}
		out = append(out, e.Name)
	}
	return out
}

// existingChart finds the repository's own chart with ferry's discovery;
// with several it cannot tell which is the service's.
func existingChart(dir string) (string, error) {
	charts, err := project.FindCharts(dir)
	if err != nil {
		return "", err
	}
	switch len(charts) {
	case 0:
		return "", nil
	case 1:
		return charts[0], nil
	}
	return "", inputErr("%d Helm charts under %s (%s): name the service's with --chart", len(charts), dir, strings.Join(charts, ", "))
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// otherPort are *_PORT keys that are not the service's own listening port.
var otherPort = &lazyre.Regexp{Src: `(?:DB|DATABASE|POSTGRES|PG|MYSQL|MONGO|REDIS|CACHE|SMTP|MAIL|AMQP|RABBIT|KAFKA|NATS|MQTT|METRICS|GRPC|DEBUG|PPROF|ADMIN|PROXY|ELASTIC|SEARCH)`}

// servicePortKey is the one key ending in _PORT that the module's Go code
// reads (the main package's keys, then every other package's), when
// exactly one locates no datasource or side port: a service whose main
// package only calls into its own packages still names its port.
func servicePortKey(c *code, mainKeys map[string]string) (string, bool) {
	var found []string
	for _, k := range append(slices.Collect(maps.Keys(mainKeys)), c.moduleKeys...) {
		if (k == "PORT" || strings.HasSuffix(k, "_PORT")) && !otherPort.Get().MatchString(k) && !slices.Contains(found, k) {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// moduleEnvKeys lists the keys os.Getenv and os.LookupEnv read anywhere
// in the module's Go code (vendor/, testdata/ and dot directories left
// out; at most 500 files), through the confined root.
func moduleEnvKeys(root *confine.Root) []string {
	var keys []string
	files := 0
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := root.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			name := e.Name()
			p := path.Join(dir, name)
			switch {
			case e.IsDir():
				if !strings.HasPrefix(name, ".") && name != "vendor" && name != "testdata" && name != "node_modules" {
					walk(p)
				}
			case files < 500 && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go"):
				files++
				src, err := root.ReadFile(p)
				if err != nil {
					continue
				}
				for _, m := range getenvLit.Get().FindAllSubmatch(src, -1) {
					keys = append(keys, string(m[1]))
				}
			}
		}
	}
	walk(".")
	return keys
}

// flagPort reads a flag definition in file name of the main package
// (flag.String("addr", ":8080", …), pflag's StringVarP(&h, "host", "h",
// ":8000", …), an IntVar named for a port) whose default is the port
// the service listens on: the port, and where it is said.
func flagPort(call *ast.CallExpr, name string, fset *token.FileSet) (int, string) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	n := len(call.Args)
	if !ok || !flagFunc.Get().MatchString(sel.Sel.Name) || n < 3 {
		return 0, ""
	}
	// The name is the first string, the default the one before the
	// usage, in every shape (String, StringVar, StringP, StringVarP).
	fl, ok1 := call.Args[0].(*ast.BasicLit)
	if !ok1 {
		fl, ok1 = call.Args[1].(*ast.BasicLit)
	}
	dv, ok2 := call.Args[n-2].(*ast.BasicLit)
	if !ok1 || !ok2 {
		return 0, ""
	}
	flagName, _ := strconv.Unquote(fl.Value)
	v, err := strconv.Unquote(dv.Value)
	if err != nil {
		v = ":" + dv.Value // an int flag: the port itself
		if !strings.Contains(strings.ToLower(flagName), "port") {
			return 0, ""
		}
	}
	m := addrLit.Get().FindStringSubmatch(v)
	if m == nil || !portFlag(flagName) {
		return 0, "" // --metrics-addr, --db-port: not the service's own
	}
	p, _ := strconv.Atoi(m[1])
	return p, fmt.Sprintf("flag --%s defaults to %s at %s:%d", flagName, dv.Value, name, fset.Position(call.Pos()).Line)
}

// dockerPort reads the port the image's CMD or ENTRYPOINT gives the
// service as a flag (CMD ["/app", "--host", ":8000"], ENTRYPOINT app
// -port=8000): the port, and where.
func dockerPort(root *confine.Root) (int, string) {
	for _, f := range []string{"Dockerfile", "docker/Dockerfile", "build/Dockerfile"} {
		data, _ := root.ReadFile(f)
		for i, l := range strings.Split(string(data), "\n") {
			if !cmdLine.Get().MatchString(l) {
				continue
			}
			for _, m := range cmdPort.Get().FindAllStringSubmatch(l, -1) {
				if portFlag(m[1]) {
					p, _ := strconv.Atoi(m[3])
					return p, fmt.Sprintf("%s:%d passes %s %s", f, i+1, m[1], m[2])
				}
			}
		}
	}
	return 0, ""
}

// portFlag reports whether a flag's name says it is the service's own
// address: --host, -addr, --listen, --port; not --metrics-addr or
// --db-port.
func portFlag(name string) bool {
	return addrFlag.Get().MatchString(name) && !otherPort.Get().MatchString(strings.ToUpper(name))
}

// Compiled on first use: every command links them, init alone reads them.
var (
	cmdPort  = &lazyre.Regexp{Src: `[ \t"'](--?[a-zA-Z][a-zA-Z0-9-]*)(?:=|["', \t]+)((?:[a-zA-Z0-9.-]*:)?(\d{2,5}))\b`}
	cmdLine  = &lazyre.Regexp{Src: `^[ \t]*(?i:CMD|ENTRYPOINT)[ \t[]`}
	flagFunc = &lazyre.Regexp{Src: `^(?:String|Int|Uint)(?:Var)?P?$`}
	addrLit  = &lazyre.Regexp{Src: `^(?:[A-Za-z0-9.-]*|\[[0-9a-fA-F:]*\]):(\d{2,5})$`}
	addrFlag = &lazyre.Regexp{Src: `(?i)addr|host|listen|port|bind|http|server`}
)

// getenvLit finds os.Getenv("KEY") and os.LookupEnv("KEY") in source text.
var getenvLit = &lazyre.Regexp{Src: `os\.(?:Getenv|LookupEnv)\("([A-Z][A-Z0-9_]*)"\)`}
