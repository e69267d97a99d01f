package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/promote"
)

type verifyOptions struct {
	Env    string
	Format format
}

const verifyLong = `Verify proves that what runs in an environment is what was meant. It finds
the process serving the environment's HTTP port, whoever started it, and
compares its environment (/proc/<pid>/environ) key by key with the
environment's effective configuration (secrets by hash, never printed),
its executable with the live revision's, and calls /.well-known/health.
Any difference exits 1 with a table of what differs.`

func newVerifyCmd(g *globalOptions) *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:     "verify <env> [-o table|json]",
		Short:   "Compare the live process with the environment's effective config, and check health",
		Long:    verifyLong,
		Example: "  ferry -C examples/orders-api verify staging\n  ferry verify prod -o json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runVerify(cmd.Context(), g, opts)
		},
	}
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
	out := g.streams.Out
	if opts.Format == formatJSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		verdict := "ok"
		if !rep.OK() {
			verdict = "FAILED"
		}
		fmt.Fprintf(out, "%s: %s: %s\n", rep.Environment, verdict, rep.Summary())
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		if rep.Digest != rep.WantDigest || rep.Executable != rep.WantExecutable {
			fmt.Fprintf(tw, "digest\twant %s\tlive %s\n", shortDigest(rep.WantDigest), shortDigest(rep.Digest))
		}
		if rep.Executable != rep.WantExecutable {
			fmt.Fprintf(tw, "executable\twant %s\tlive %s\n", shortDigest(rep.WantExecutable), shortDigest(rep.Executable))
		}
		if rep.Health != platform.HealthUp {
			fmt.Fprintf(tw, "health\t%s\t%s\n", rep.Health, rep.HealthDetail)
		}
		if len(rep.Differences) > 0 {
			fmt.Fprintln(tw, "KEY\tCHANGE\tWANT\tLIVE")
			for _, d := range rep.Differences {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Key, d.Change, d.Want, d.Live)
			}
		}
		tw.Flush()
	}
	if !rep.OK() {
		return silentFailure()
	}
	return nil
}
