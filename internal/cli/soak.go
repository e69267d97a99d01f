package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/soak"
)

type soakOptions struct {
	Env    string
	Watch  bool
	Format format
}

const soakLong = `Soak judges an environment's live revision from the service's own metrics:
the error ratio (5xx of all requests), p95 and p99 latency and restarts over
the last soak duration since it went live, each against its limit in ferry.yaml:

  environments:
    staging:
      soak: {duration: 30m, maxErrorRatio: 0.01, maxP99: 500ms, minRequests: 100}

It reads the service's METRICS_PORT /metrics (GoFr's and kit's
app_http_response histogram; set soak.metric, statusLabel and pathLabel for
another service). A window with fewer than minRequests requests, or with no
metrics at all, is unknown: never passed.

Without --watch it takes one sample and judges what is stored. With --watch
it scrapes every soak interval (5s by default) and prints the verdict as it
changes until the soak is decided: for a CI job that waits on staging.
ferry serve scrapes soaking environments on its own.

Exit status: 0 passed, 1 failed, unknown or still soaking, 2 bad input.`

func newSoakCmd(g *globalOptions) *cobra.Command {
	opts := &soakOptions{}
	cmd := &cobra.Command{
		Use:     "soak <env> [--watch] [-o table|json]",
		Short:   "Judge an environment's soak from its metrics",
		Long:    soakLong,
		Example: "  ferry soak staging\n  ferry soak staging --watch      # in CI, before ferry promote staging prod\n  ferry soak staging -o json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runSoak(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Watch, "watch", false, "scrape until the soak is decided, printing the verdict as it changes")
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runSoak(ctx context.Context, g *globalOptions, opts *soakOptions) error {
	c, err := g.engine("ferry soak " + opts.Env)
	if err != nil {
		return err
	}
	sk := promote.NewSoak(c)
	v, err := sk.Run(ctx, opts.Env, true)
	if err != nil {
		return engineErr(err)
	}
	if opts.Watch {
		env, _ := c.Project.Env(opts.Env)
		interval := env.SoakGates.Interval.Duration
		if interval <= 0 {
			interval = 5 * time.Second
		}
		last := ""
		for v.State == soak.Soaking || (v.State == soak.Unknown && v.To.Sub(v.Since) < env.Soak+interval) {
			if s := v.Summary(); s != last && opts.Format != formatJSON {
				fmt.Fprintf(g.streams.ErrOut, "%s %s: %s\n", time.Now().Format(time.TimeOnly), v.State, s)
				last = s
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(interval):
			}
			if v, err = sk.Run(ctx, opts.Env, true); err != nil {
				return engineErr(err)
			}
		}
	}
	if opts.Format == formatJSON {
		if err := writeProjectJSON(g.streams.Out, projectView(g.Dir, c.Project), opts.Env, v); err != nil {
			return err
		}
	} else {
		writeVerdict(g.streams.Out, opts.Env, v)
	}
	if v.State != soak.Passed {
		return silentFailure()
	}
	return nil
}

func writeVerdict(w io.Writer, env string, v *soak.Verdict) {
	fmt.Fprintf(w, "%s soak %s: %s\n", env, v.State, v.Summary())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tLIMIT\tSTATE")
	for _, f := range v.Figures {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Value, dash(f.Limit), f.State)
	}
	_ = tw.Flush()
}
