package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/render"
)

type renderOptions struct {
	Env    string
	Format format
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

Secret values (from a Secret, or under a sensitive name) are never printed.
A Secret the chart references but does not render is shown as set at run
time.`

const renderExample = `  # What prod will run, and where each value came from
  ferry -C examples/orders-api render prod

  # The same as JSON, for scripts
  ferry render prod -o json

  # As a dotenv file (secrets commented out)
  ferry render staging -o dotenv > staging.env`

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
	return cmd
}

func runRender(ctx context.Context, g *globalOptions, opts *renderOptions) error {
	p, err := g.loadProject()
	if err != nil {
		return err
	}
	done := g.step("rendered", "env", opts.Env)
	res, err := render.Render(ctx, p, opts.Env)
	if err != nil {
		return renderErr(err)
	}
	done(renderAttrs(p, res)...)
	out := g.streams.Out
	for _, w := range res.Warnings {
		fmt.Fprintf(g.streams.ErrOut, "warning: %s\n", w)
	}
	switch opts.Format {
	case formatJSON:
		return writeJSON(out, renderJSON(res))
	case formatDotenv:
		return writeDotenv(out, res)
	default:
		return writeRenderTable(out, res, opts.Shadows)
	}
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
	Environment string      `json:"environment"`
	Image       string      `json:"image,omitempty"`
	Config      []jsonEntry `json:"config"`
	Warnings    []string    `json:"warnings,omitempty"`
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

func renderJSON(res *render.Result) jsonRender {
	out := jsonRender{Environment: res.Environment, Image: res.Image, Config: []jsonEntry{}, Warnings: res.Warnings}
	for _, e := range res.Config.Entries {
		out.Config = append(out.Config, entryJSON(e))
	}
	return out
}

func writeRenderTable(w io.Writer, res *render.Result, shadows bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, e := range res.Config.Entries {
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
func writeDotenv(w io.Writer, res *render.Result) error {
	fmt.Fprintf(w, "# effective configuration of %s, rendered by ferry\n", res.Environment)
	for _, e := range res.Config.Entries {
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
