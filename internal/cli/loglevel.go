package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

type loglevelOptions struct {
	Env, Level string
	For        time.Duration
	Reset      bool
	Format     format
}

const loglevelLong = `Loglevel changes the log level of an environment's services without a
redeploy, through GoFr's remote log level: a service with REMOTE_LOG_URL set
polls it every REMOTE_LOG_FETCH_INTERVAL seconds (15 by default) and applies
the level it is given. ferry serve answers REMOTE_LOG_URL at

  http://<ferry serve's address>/api/loglevel/<env>

so set that in the environment (for the local target, ferry.yaml env:).

With --for the level holds for that long and then goes back to the
environment's configured LOG_LEVEL; --reset gives it back now. Every change
is recorded with who and when. Without LEVEL it shows the level now and the
last changes.
Levels: DEBUG, INFO, NOTICE, WARN, ERROR, FATAL; anything else is refused,
since services would ignore it.`

func newLoglevelCmd(g *globalOptions) *cobra.Command {
	opts := &loglevelOptions{}
	cmd := &cobra.Command{
		Use:   "loglevel <env> [LEVEL] [--for 15m] [--reset] [-o table|json]",
		Short: "Change an environment's log level without a redeploy",
		Long:  loglevelLong,
		Example: `  ferry loglevel staging DEBUG --for 15m
  ferry loglevel prod --reset
  ferry loglevel prod -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError(fmt.Errorf("loglevel takes an environment and optionally a level\nusage: %s", cmd.UseLine()))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			if len(args) == 2 {
				opts.Level = args[1]
			}
			if opts.Reset && opts.Level != "" {
				return usageError(fmt.Errorf("--reset takes no level"))
			}
			if opts.For < 0 {
				return usageError(fmt.Errorf("--for %s is negative", opts.For))
			}
			return runLoglevel(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.For, "for", 0, "how long the level holds before it goes back to the configured LOG_LEVEL (0: until changed)")
	cmd.Flags().BoolVar(&opts.Reset, "reset", false, "give the level back to the configured LOG_LEVEL now")
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runLoglevel(_ context.Context, g *globalOptions, opts *loglevelOptions) error {
	c, err := g.engine("ferry loglevel " + opts.Env)
	if err != nil {
		return err
	}
	if opts.Level != "" {
		if _, err := remotelog.Parse(opts.Level); err != nil {
			return usageError(err)
		}
	}
	if opts.Level != "" || opts.Reset {
		if _, err := promote.SetLogLevel(c, opts.Env, opts.Level, opts.For); err != nil {
			return engineErr(err)
		}
	}
	cur, err := promote.LogLevel(c, opts.Env)
	if err != nil {
		return engineErr(err)
	}
	hist, err := promote.LogLevels(c, opts.Env)
	if err != nil {
		return engineErr(err)
	}
	changes, err := promote.LevelChanges(c, opts.Env)
	if err != nil {
		return engineErr(err)
	}
	if opts.Format == formatJSON {
		return writeProjectJSON(g.streams.Out, projectView(g.Dir, c.Project), opts.Env, view.NewLogLevel(cur, hist, changes))
	}
	line := fmt.Sprintf("%s: %s", cur.Env, cur.Level)
	if s := cur.Setting; s != nil {
		line += fmt.Sprintf(" (set by %s at %s", secret.PrintableLine(s.By), s.At.Local().Format(time.DateTime))
		if !s.Until.IsZero() {
			line += ", until " + s.Until.Local().Format(time.DateTime)
		}
		line += "; configured " + cur.Configured + ")"
	} else {
		line += " (configured)"
	}
	fmt.Fprintln(g.streams.Out, line)
	if len(changes) == 0 {
		return nil
	}
	// The last changes: who raised it, and when it went back.
	return writeLevelChanges(g.streams.Out, changes[:min(len(changes), 10)], "  ")
}
