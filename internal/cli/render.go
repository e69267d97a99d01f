package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

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
	v := renderView(res, slots, opts.Workload != "")
	switch opts.Format {
	case formatJSON:
		v.Project = projectView(g.Dir, p)
		v.Definition = view.NewDefinition(p, e, res)
		return writeJSON(out, v)
	case formatDotenv:
		writeHeader(out, p, e, res)
		return writeDotenv(out, res.Environment, v.Config)
	default:
		writeHeader(out, p, e, res)
		defer writeNotArriving(out, res)
		if len(slots) <= 1 {
			cfg := v.Config
			if len(slots) == 1 {
				cfg = v.Workloads[0].Config
			}
			return writeRenderTable(out, cfg, opts.Shadows)
		}
		for i, s := range slots {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "== %s  image %s\n", slotTitle(s), s.C.Image)
			if err := writeRenderTable(out, v.Workloads[i].Config, opts.Shadows); err != nil {
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
	fmt.Fprintf(w, "# %s: defined by %s; release %s; namespace %s", e.Name, e.From.Definition, project.Said(e.Release, e.From.Release), project.Said(e.Namespace, e.From.Namespace))
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

// renderView is res as shown: the containers of slots, and the image
// and configuration of the service's container, or of the one picked.
func renderView(res *render.Result, slots []slot, picked bool) *view.Render {
	// Each configuration is converted once: the slots' containers here,
	// not every container in NewRender, and the service's container's
	// (res.Config itself) not again.
	top := *res
	top.Workloads = nil
	v := view.NewRender(&top)
	for _, s := range slots {
		c := *s.C
		c.Config = nil
		cv := view.NewContainer(s.W, &c)
		if s.C.Config == res.Config {
			cv.Config = v.Config
		} else {
			cv.Config = view.NewConfig(s.C.Config)
		}
		v.Workloads = append(v.Workloads, cv)
	}
	if picked && len(v.Workloads) > 0 {
		v.Image, v.Config = v.Workloads[0].Image, v.Workloads[0].Config
	}
	return v
}

// writeRenderTable writes cfg as a table: KEY, VALUE and SOURCE, each
// column as wide as its widest cell and two spaces, as text/tabwriter
// aligns it. The widths are measured in a first pass and the rows then
// written one at a time, so no formatted copy of a 30,000-row table is
// held; a table with a cell tabwriter reads as markup (a tab, vertical
// tab, form feed, newline or 0xff) is written through tabwriter itself.
func writeRenderTable(w io.Writer, cfg []view.ConfigEntry, shadows bool) error {
	var t table
	t.rows(cfg, shadows)
	var tw *tabwriter.Writer
	if t.tabbed {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		w = tw
	}
	t.w = bufio.NewWriter(w)
	t.rows(cfg, shadows)
	if err := t.w.Flush(); err != nil || tw == nil {
		return err
	}
	return tw.Flush()
}

// table writes rows of two cells padded to kw and vw and a last one;
// tabbed, the cells end in a tab instead, for tabwriter to align. Until
// it has a writer it only measures.
type table struct {
	w      *bufio.Writer
	kw, vw int
	tabbed bool
}

// shadowsPrefix starts the value cell of a hidden value's row.
const shadowsPrefix = "  shadows "

func (t *table) rows(cfg []view.ConfigEntry, shadows bool) {
	t.row("KEY", "VALUE", "SOURCE")
	for i := range cfg {
		e := &cfg[i]
		t.row(e.Key, oneLine(e.Text()), e.Source)
		for j := 0; shadows && j < len(e.Shadows); j++ {
			t.row("", shadowsPrefix+oneLine(e.Shadows[j].Value), e.Shadows[j].Source)
		}
	}
}

// row writes a row, or, measuring, widens the columns to its cells and
// the two spaces after them and marks the table tabbed when a cell holds
// what tabwriter reads as markup (a tab, vertical tab, form feed,
// newline or 0xff).
func (t *table) row(key, value, source string) {
	if t.w == nil {
		t.kw, t.vw = max(t.kw, t.cellWidth(key)+2), max(t.vw, t.cellWidth(value)+2)
		t.cellWidth(source)
		return
	}
	t.cell(key, t.kw)
	t.cell(value, t.vw)
	t.w.WriteString(source)
	t.w.WriteByte('\n')
}

func (t *table) cellWidth(s string) int {
	if strings.ContainsAny(s, "\t\v\f\n") || strings.IndexByte(s, 0xff) >= 0 {
		t.tabbed = true
	}
	return utf8.RuneCountInString(s)
}

// spaces pads cells without a write per space.
const spaces = "                                                                "

func (t *table) cell(s string, width int) {
	t.w.WriteString(s)
	if t.tabbed {
		t.w.WriteByte('\t')
		return
	}
	for n := width - utf8.RuneCountInString(s); n > 0; n -= len(spaces) {
		t.w.WriteString(spaces[:min(n, len(spaces))])
	}
}

// writeDotenv writes the configuration as a dotenv file. Secret and
// run-time values become comments, so the file never carries a secret and
// never pretends to know a value it does not.
func writeDotenv(w io.Writer, env string, cfg []view.ConfigEntry) error {
	fmt.Fprintf(w, "# effective configuration of %s, rendered by ferry\n", env)
	for _, e := range cfg {
		switch {
		case e.Secret || e.External:
			fmt.Fprintf(w, "# %s=%s  (%s)\n", e.Key, e.Text(), e.Source)
		case e.Kind == render.KindMissing:
			// A key the pod lacks has no value to write.
			fmt.Fprintf(w, "%s=%s\n", e.Key, dotenvQuote(""))
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
