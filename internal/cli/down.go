package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
)

type downOptions struct {
	Env string
	Yes bool
}

func newDownCmd(g *globalOptions) *cobra.Command {
	opts := &downOptions{}
	cmd := &cobra.Command{
		Use:   "down <env> [--yes]",
		Short: "Stop an environment",
		Long: `Down stops an environment: on the local target every process of it gets
SIGTERM and its SHUTDOWN_GRACE_PERIOD, then SIGKILL. The history stays.`,
		Example: "  ferry -C examples/orders-api down staging",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runDown(cmd.Context(), g, opts)
		},
	}
	// Local environments stop without asking; --yes is accepted so that
	// scripts work the same against Kubernetes, where down asks.
	cmd.Flags().BoolVar(&opts.Yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func runDown(ctx context.Context, g *globalOptions, opts *downOptions) error {
	c, err := g.engine("ferry down " + opts.Env)
	if err != nil {
		return err
	}
	if err := promote.NewDown(c).Run(ctx, opts.Env); err != nil {
		return engineErr(err)
	}
	fmt.Fprintf(g.streams.Out, "%s: stopped\n", opts.Env)
	return nil
}
