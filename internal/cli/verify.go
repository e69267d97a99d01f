package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

type verifyOptions struct {
	Env    string
	Format format
	Strict bool
}

const verifyLong = `Verify proves that what runs in an environment is what was deployed there,
and says apart three things:

  health    what /.well-known/health answers: UP, DEGRADED (naming the
            dependency GoFr's health body reports down) or DOWN
  identity  whether the live process runs the live revision's artifact —
            its digest, executable and configuration layer (configs/) — with
            exactly the configuration that revision was deployed with, key by
            key (/proc/<pid>/environ on the local target; secrets compared by
            hash, never printed)
  drift     what changed in the repository (or the secrets file) since that
            deploy: not a failure, a deploy applies it

Exit status: 0 when health is UP and identity matches, drift or not;
1 when health is not UP or identity does not match, or with --strict when
the repository drifted. Without the environment's secrets file verify still
runs: drift is then reported unknown.`

func newVerifyCmd(g *globalOptions) *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:     "verify <env> [--strict] [-o table|json]",
		Short:   "Check what runs in an environment: health, identity, drift",
		Long:    verifyLong,
		Example: "  ferry -C examples/orders-api verify staging\n  ferry verify prod -o json\n  ferry verify prod --strict",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runVerify(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "exit 1 when the repository drifted since the deploy too")
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runVerify(ctx context.Context, g *globalOptions, opts *verifyOptions) error {
	c, err := g.engine("ferry verify " + opts.Env)
	if err != nil {
		return err
	}
	rep, err := promote.NewVerify(c).Run(ctx, opts.Env)
	if errors.Is(err, platform.ErrNotRunning) {
		return failedError(err)
	}
	if err != nil {
		return engineErr(err)
	}
	ok := rep.OK()
	if opts.Strict {
		ok = rep.Strict()
	}
	out := g.streams.Out
	if opts.Format == formatJSON {
		if err := writeProjectJSON(out, projectView(g.Dir, c.Project), opts.Env, rep); err != nil {
			return err
		}
	} else {
		writeVerify(out, rep, ok)
	}
	if !ok {
		return silentFailure()
	}
	return nil
}

// writeVerify writes the text report of rep, whose verdict is ok.
func writeVerify(out io.Writer, rep *view.Verify, ok bool) {
	verdict := "ok"
	switch {
	case !ok:
		verdict = "FAILED"
	case rep.Drifted():
		verdict = "ok, drifted"
	}
	fmt.Fprintf(out, "%s: %s: %s\n", rep.Environment, verdict, secret.PrintableLine(rep.Who()))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	// The health detail is the service's own answer, escape
	// sequences and all.
	fmt.Fprintf(tw, "  health\t%s\n", secret.PrintableLine(rep.HealthLine()))
	fmt.Fprintf(tw, "  identity\t%s\n", rep.IdentityLine())
	fmt.Fprintf(tw, "  drift\t%s\n", rep.DriftLine())
	tw.Flush()
	if len(rep.Differences) > 0 {
		fmt.Fprintln(out, "not as deployed:")
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  KEY\tCHANGE\tDEPLOYED\tLIVE")
		for _, d := range rep.Differences {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", d.Key, d.Change, d.Want, secret.PrintableLine(d.Live))
		}
		tw.Flush()
	}
	if len(rep.Drift) > 0 {
		fmt.Fprintln(out, "changed in the repository since the deploy:")
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  KEY\tCHANGE\tDEPLOYED\tREPOSITORY")
		for _, d := range rep.Drift {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", d.Key, d.Change, d.Deployed, d.Desired)
		}
		tw.Flush()
	}
}
