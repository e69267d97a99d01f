package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/render"
)

type diffOptions struct {
	From, To string
	Format   format
}

const diffLong = `Diff lists the keys whose effective value differs between two
environments — changed, added or removed — with the file:line that set each
side. Secret values are compared but never printed: a differing secret is
shown as "differs".`

const diffExample = `  ferry -C examples/orders-api diff staging prod
  ferry diff staging prod -o json`

func newDiffCmd(g *globalOptions) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:     "diff <env-a> <env-b> [-o table|json]",
		Short:   "Show the configuration keys that differ between two environments",
		Long:    diffLong,
		Example: diffExample,
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.From, opts.To = args[0], args[1]
			return runDiff(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runDiff(ctx context.Context, g *globalOptions, opts *diffOptions) error {
	p, err := g.loadProject()
	if err != nil {
		return err
	}
	r := render.New(p)
	done := g.step("rendered", "env", opts.From)
	a, err := r.Render(ctx, opts.From)
	if err != nil {
		return renderErr(err)
	}
	done(renderAttrs(p, a)...)
	done = g.step("rendered", "env", opts.To)
	b, err := r.Render(ctx, opts.To)
	if err != nil {
		return renderErr(err)
	}
	done(renderAttrs(p, b)...)
	changes := render.Diff(a.Config, b.Config)
	if opts.Format == formatJSON {
		return writeJSON(g.streams.Out, diffJSON(opts.From, opts.To, changes))
	}
	return writeDiffTable(g.streams.Out, opts, changes)
}

type jsonSide struct {
	Value  string `json:"value"`
	Source string `json:"source"`
	Secret bool   `json:"secret,omitempty"`
}

type jsonChange struct {
	Key    string    `json:"key"`
	Change string    `json:"change"`
	From   *jsonSide `json:"from,omitempty"`
	To     *jsonSide `json:"to,omitempty"`
}

type jsonDiff struct {
	From    string       `json:"from"`
	To      string       `json:"to"`
	Changes []jsonChange `json:"changes"`
}

func side(e *render.Entry) *jsonSide {
	if e == nil {
		return nil
	}
	return &jsonSide{Value: e.Display(), Source: e.Source.String(), Secret: e.Secret}
}

func diffJSON(from, to string, changes []render.Change) jsonDiff {
	out := jsonDiff{From: from, To: to, Changes: []jsonChange{}}
	for _, c := range changes {
		out.Changes = append(out.Changes, jsonChange{Key: c.Key, Change: c.Change, From: side(c.From), To: side(c.To)})
	}
	return out
}

func writeDiffTable(w io.Writer, opts *diffOptions, changes []render.Change) error {
	if len(changes) == 0 {
		_, err := fmt.Fprintf(w, "%s and %s have the same effective configuration\n", opts.From, opts.To)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "KEY\tCHANGE\t%s\t%s\n", opts.From, opts.To)
	for _, c := range changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Key, c.Change, describe(c.From, c), describe(c.To, c))
	}
	return tw.Flush()
}

// describe shows one side of a change: value and source, or "differs"
// for a secret.
func describe(e *render.Entry, c render.Change) string {
	if e == nil {
		return "-"
	}
	v := oneLine(e.Display())
	if e.Secret && c.Change == "changed" {
		v = "differs"
	}
	return fmt.Sprintf("%s (%s)", v, e.Source.Short())
}
