package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
)

type rollbackOptions struct {
	Env string
	To  int
}

const rollbackLong = `Rollback returns an environment to an earlier revision: that revision's
digest and its config snapshot, not today's configuration. Secrets come from
the secrets file again and must still hash to what was recorded. Without
--to it returns to the revision that was live before the current one. The
rollback is itself a new revision in the history.`

func newRollbackCmd(g *globalOptions) *cobra.Command {
	opts := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:     "rollback <env> [--to <revision>]",
		Short:   "Return an environment to an earlier revision",
		Long:    rollbackLong,
		Example: "  ferry rollback prod\n  ferry rollback prod --to 3",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runRollback(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().IntVar(&opts.To, "to", 0, "revision to return to (default: the one before the current)")
	return cmd
}

func runRollback(ctx context.Context, g *globalOptions, opts *rollbackOptions) error {
	c, err := g.engine("ferry rollback " + opts.Env)
	if err != nil {
		return err
	}
	r := promote.NewRollback(c)
	r.To = opts.To
	rev, err := r.Run(ctx, opts.Env)
	g.doneWaiting()
	if err != nil {
		return engineErr(err)
	}
	writeRevision(g.streams.Out, rev)
	return nil
}
