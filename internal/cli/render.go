package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/view"
)

type renderOptions struct {
	Env    string
	Format format
	// Workload picks one workload or container; all by default.
	Workload string
	// Chart picks a chart when -C holds several.
	Chart string
	// Shadows shows, under each key, the values it hides.
	Shadows bool
}

const renderLong = `Render prints the effective configuration of one environment: every
variable the service's process will see, with its value and the file:line
that set it.

The process environment comes from the rendered chart (env, envFrom and
valueFrom resolved against the ConfigMaps and Secrets the chart renders),
laid over the GoFr file layer baked into the image: configs/.env, then the
configs/.<APP_ENV>.env overlay that the container's APP_ENV selects.

Every workload the chart renders (Deployments, StatefulSets, DaemonSets,
Jobs, CronJobs, Pods) is shown, one section per container, the service's
own container first: the one running the service's image. --workload picks
one. JSON keeps image and config for the service's container and lists
every container under workloads.

Secret values (from a Secret, or under a sensitive name) are never printed.
A Secret the chart references but does not render is shown as set at run
time.

Without -C pointing at a chart, ferry looks for one below the current
directory (deploy/helm, .helm, helm/, charts/<name>, …); when it finds
several it lists them: pick one with --chart.`

const renderExample = `  # What prod will run, and where each value came from
  ferry -C examples/orders-api render prod

  # The same as JSON, for scripts
  ferry render prod -o json

  # As a dotenv file (secrets commented out)
  ferry render staging -o dotenv > staging.env

  # Only the worker, in a repository with several charts
  ferry render prod --chart deploy/helm/ledger --workload ledger-worker`

func newRenderCmd(g *globalOptions) *cobra.Command {
	opts := &renderOptions{}
	cmd := &cobra.Command{
		Use:     "render <env> [-o table|json|dotenv]",
		Short:   "Show an environment's effective configuration with sources",
		Long:    renderLong,
		Example: renderExample,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runRender(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatTable, formatJSON, formatDotenv)
	cmd.Flags().BoolVar(&opts.Shadows, "shadows", false, "also show the values each key hides (table output)")
	cmd.Flags().StringVar(&opts.Workload, "workload", "", "show only this workload (name or kind/name) or container")
	cmd.Flags().StringVar(&opts.Chart, "chart", "", "the chart directory, relative to -C, when there are several")
	return cmd
}

func runRender(ctx context.Context, g *globalOptions, opts *renderOptions) error {
	p, err := g.loadProjectChart(opts.Chart)
	if err != nil {
		return err
	}
	done := g.step("rendered", "env", opts.Env)
	res, err := render.Render(ctx, p, opts.Env)
	if err != nil {
		return renderErr(err)
	}
	done(renderAttrs(p, res)...)
	slots, err := containers(res, opts.Workload)
	if err != nil {
		return err
	}
	out := g.streams.Out
	for _, w := range res.Warnings {
		fmt.Fprintf(g.streams.ErrOut, "warning: %s\n", w)
	}
	e, err := p.Env(opts.Env)
	if err != nil {
		return err
	}
	switch opts.Format {
	case formatJSON:
		js := renderJSON(res, slots, opts.Workload != "")
		js.Project = projectView(g.Dir, p)
		js.Definition = definitionJSON(p, e, res)
		for _, u := range res.Unread {
			js.Unread = append(js.Unread, jsonUnread{Key: u.Path, Source: u.Source.String()})
		}
		for _, r := range res.Unprovided {
			js.Unprovided = append(js.Unprovided, r.String())
		}
		return writeJSON(out, js)
	case formatDotenv:
		writeHeader(out, p, e, res)
		if opts.Workload != "" && len(slots) > 0 {
			return writeDotenv(out, res.Environment, slots[0].C.Config)
		}
		return writeDotenv(out, res.Environment, res.Config)
	default:
		writeHeader(out, p, e, res)
		defer writeNotArriving(out, res)
		if len(slots) <= 1 {
			cfg := res.Config
			if len(slots) == 1 {
				cfg = slots[0].C.Config
			}
			return writeRenderTable(out, cfg, opts.Shadows)
		}
		for i, s := range slots {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "== %s  image %s\n", slotTitle(s), s.C.Image)
			if err := writeRenderTable(out, s.C.Config, opts.Shadows); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeHeader says, as comment lines, where the environment's definition
// came from (ferry.yaml, the CI deploy command or discovery), the
// namespaces its objects land in, and the order of the environments and
// why.
func writeHeader(w io.Writer, p *project.Project, e *project.Environment, res *render.Result) {
	fmt.Fprintf(w, "# %s: defined by %s; release %s (%s); namespace %s (%s)", e.Name, e.From.Definition, e.Release, e.From.Release, e.Namespace, e.From.Namespace)
	if len(res.Namespaces) > 0 && !slices.Equal(res.Namespaces, []string{res.Namespace}) {
		fmt.Fprintf(w, "; objects land in %s", strings.Join(res.Namespaces, ", "))
	}
	fmt.Fprintf(w, "\n# values: %s (%s)\n", strings.Join(e.Values, ", "), e.From.Values)
	if len(p.Path) > 1 {
		fmt.Fprintf(w, "# order: %s (%s)\n", strings.Join(p.Path, " → "), p.OrderReason)
	}
}

// writeNotArriving names, after the table, the values that never reach a
// container and the references nothing provides.
func writeNotArriving(w io.Writer, res *render.Result) {
	if len(res.Unread) > 0 {
		var parts []string
		for _, u := range res.Unread {
			parts = append(parts, fmt.Sprintf("%s (%s)", u.Path, u.Source))
		}
		fmt.Fprintf(w, "# no template reads: %s\n", strings.Join(parts, ", "))
	}
	for _, r := range res.Unprovided {
		fmt.Fprintf(w, "# nothing in the repository provides %s: it must exist in the cluster before the pod can start\n", r)
	}
}

type jsonDefinition struct {
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

type jsonUnread struct {
	Key    string `json:"key"`
	Source string `json:"source"`
}

func definitionJSON(p *project.Project, e *project.Environment, res *render.Result) *jsonDefinition {
	return &jsonDefinition{
		DefinedBy: e.From.Definition, Release: e.Release, ReleaseFrom: e.From.Release,
		Namespace: e.Namespace, NamespaceFrom: e.From.Namespace, Namespaces: res.Namespaces,
		Values: e.Values, ValuesFrom: e.From.Values, Order: p.Path, OrderReason: p.OrderReason,
	}
}

// slotTitle names a container: "Deployment/ledger-api (api, the service)".
func slotTitle(s slot) string {
	var notes []string
	if len(s.W.Containers) > 1 {
		notes = append(notes, "container "+s.C.Name)
	}
	if s.C.Init {
		notes = append(notes, "init")
	}
	if s.C.Primary {
		notes = append(notes, "the service")
	}
	t := s.W.Kind + "/" + s.W.Name
	if len(notes) > 0 {
		t += " (" + strings.Join(notes, ", ") + ")"
	}
	return t
}

type jsonSource struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

type jsonEntry struct {
	Key      string       `json:"key"`
	Value    string       `json:"value"`
	Source   string       `json:"source"`
	Secret   bool         `json:"secret"`
	External bool         `json:"external,omitempty"`
	Kind     render.Kind  `json:"kind"`
	Shadows  []jsonSource `json:"shadows,omitempty"`
}

type jsonRender struct {
	Project     *view.Project   `json:"project,omitempty"`
	Definition  *jsonDefinition `json:"definition,omitempty"`
	Unread      []jsonUnread    `json:"unread,omitempty"`
	Unprovided  []string        `json:"unprovided,omitempty"`
	Environment string          `json:"environment"`
	Image       string          `json:"image,omitempty"`
	Config      []jsonEntry     `json:"config"`
	Workloads   []jsonWorkload  `json:"workloads"`
	Warnings    []string        `json:"warnings,omitempty"`
}

type jsonWorkload struct {
	Kind      string      `json:"kind"`
	Name      string      `json:"name"`
	Container string      `json:"container"`
	Init      bool        `json:"init,omitempty"`
	Primary   bool        `json:"primary,omitempty"`
	Template  string      `json:"template,omitempty"`
	Image     string      `json:"image"`
	Config    []jsonEntry `json:"config"`
}

func entryJSON(e render.Entry) jsonEntry {
	je := jsonEntry{Key: e.Key, Value: e.Display(), Source: e.Source.String(), Secret: e.Secret, External: e.External, Kind: e.Source.Kind}
	if e.External {
		je.Value = ""
	}
	for _, s := range e.Shadows {
		v := s.Value
		if s.Secret || e.Secret {
			v = render.Redacted
		}
		je.Shadows = append(je.Shadows, jsonSource{Value: v, Source: s.Source.String()})
	}
	return je
}

// renderJSON keeps image and config for the service's container (or the
// one picked) and lists every container under workloads.
func renderJSON(res *render.Result, slots []slot, picked bool) jsonRender {
	image, cfg := res.Image, res.Config
	if picked && len(slots) > 0 {
		image, cfg = slots[0].C.Image, slots[0].C.Config
	}
	out := jsonRender{Environment: res.Environment, Image: image, Config: configJSON(cfg), Workloads: []jsonWorkload{}, Warnings: res.Warnings}
	for _, s := range slots {
		out.Workloads = append(out.Workloads, jsonWorkload{
			Kind: s.W.Kind, Name: s.W.Name, Container: s.C.Name, Init: s.C.Init, Primary: s.C.Primary,
			Template: s.W.Template, Image: s.C.Image, Config: configJSON(s.C.Config),
		})
	}
	return out
}

func configJSON(c *render.Config) []jsonEntry {
	out := []jsonEntry{}
	for _, e := range c.Entries {
		out = append(out, entryJSON(e))
	}
	return out
}

func writeRenderTable(w io.Writer, cfg *render.Config, shadows bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, e := range cfg.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Key, oneLine(e.Display()), e.Source)
		if shadows {
			for _, s := range e.Shadows {
				v := s.Value
				if s.Secret || e.Secret {
					v = render.Redacted
				}
				fmt.Fprintf(tw, "\t  shadows %s\t%s\n", oneLine(v), s.Source)
			}
		}
	}
	return tw.Flush()
}

// writeDotenv writes the configuration as a dotenv file. Secret and
// run-time values become comments, so the file never carries a secret and
// never pretends to know a value it does not.
func writeDotenv(w io.Writer, env string, cfg *render.Config) error {
	fmt.Fprintf(w, "# effective configuration of %s, rendered by ferry\n", env)
	for _, e := range cfg.Entries {
		switch {
		case e.Secret || e.External:
			fmt.Fprintf(w, "# %s=%s  (%s)\n", e.Key, e.Display(), e.Source)
		default:
			fmt.Fprintf(w, "%s=%s\n", e.Key, dotenvQuote(e.Value))
		}
	}
	return nil
}

func dotenvQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r#'\"\\$`") {
		return v
	}
	return strconv.Quote(v)
}

func oneLine(s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return strconv.Quote(s)
	}
	return s
}
