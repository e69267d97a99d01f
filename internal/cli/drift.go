package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
)

type driftOptions struct {
	Env    string
	Format format
}

const driftLong = `Drift shows what changed in the repository's desired configuration of an
environment since its live revision was deployed: keys added, removed or
changed, with where the new value comes from. Secrets are compared by hash
and never printed. Exit 1 when anything drifted.`

func newDriftCmd(g *globalOptions) *cobra.Command {
	opts := &driftOptions{}
	cmd := &cobra.Command{
		Use:     "drift <env> [-o table|json]",
		Short:   "Show what changed in the desired config since the live revision",
		Long:    driftLong,
		Example: "  ferry drift prod",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runDrift(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runDrift(ctx context.Context, g *globalOptions, opts *driftOptions) error {
	c, err := g.engine("ferry drift " + opts.Env)
	if err != nil {
		return err
	}
	rep, err := promote.NewDrift(c).Run(ctx, opts.Env)
	if err != nil {
		return engineErr(err)
	}
	out := g.streams.Out
	if opts.Format == formatJSON {
		if err := writeProjectJSON(out, projectView(g.Dir, c.Project), opts.Env, rep); err != nil {
			return err
		}
	} else if len(rep.Changes) == 0 && len(rep.Objects) == 0 {
		fmt.Fprintf(out, "%s: no drift since revision %d\n", rep.Environment, rep.Revision)
	} else if len(rep.Changes) > 0 {
		fmt.Fprintf(out, "%s: %d change(s) since revision %d\n", rep.Environment, len(rep.Changes), rep.Revision)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tCHANGE\tDEPLOYED\tDESIRED\tSOURCE")
		for _, ch := range rep.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ch.Key, ch.Change, ch.Deployed, ch.Desired, ch.Source)
		}
		tw.Flush()
		fmt.Fprintln(out, rep.Hint())
	}
	if opts.Format != formatJSON && len(rep.Objects) > 0 {
		fmt.Fprintf(out, "%s: %d live field(s) changed outside ferry\n", rep.Environment, len(rep.Objects))
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OBJECT\tFIELD\tDESIRED\tLIVE\tMANAGER")
		for _, o := range rep.Objects {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Object, o.Field, o.Desired, o.Live, o.Manager)
		}
		tw.Flush()
	}
	if len(rep.Changes) > 0 || len(rep.Objects) > 0 {
		return silentFailure()
	}
	return nil
}
