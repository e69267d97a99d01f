package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	Dir     string // -C: the project directory
	Verbose bool
	streams Streams
}

// logger returns the library logger: silent unless -v.
func (g *globalOptions) logger() *slog.Logger {
	if !g.Verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(g.streams.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

const rootLong = `ferry moves one Go service's artifact through its environments.

It renders what each environment will really run (Helm chart + GoFr-style
configs/.env layers), checks the environments against each other, builds the
service once into an OCI image and promotes that same digest from staging to
prod behind gates, verifying what runs and rolling back on failure.

Exit codes:
  0    ok
  1    the command's check failed (error findings, unhealthy, drift, gate not met)
  2    bad input or usage (the message names file:line where there is one)
  3    the target failed (process or cluster error)
  130  interrupted`

// NewRootCmd builds the ferry command tree over streams.
func NewRootCmd(streams Streams) *cobra.Command {
	g := &globalOptions{streams: streams}
	root := &cobra.Command{
		Use:           "ferry <command> [flags]",
		Short:         "One artifact, many environments: render, check and promote a Go service",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetIn(streams.In)
	root.PersistentFlags().StringVarP(&g.Dir, "dir", "C", ".", "project directory (holds ferry.yaml, the chart and configs/)")
	root.PersistentFlags().BoolVarP(&g.Verbose, "verbose", "v", false, "log what ferry does to stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })

	root.AddCommand(
		newRenderCmd(g),
		newDiffCmd(g),
		newBuildCmd(g),
		newDeployCmd(g),
		newPromoteCmd(g),
		newRollbackCmd(g),
		newVerifyCmd(g),
		newDriftCmd(g),
		newStatusCmd(g),
		newHistoryCmd(g),
		newDownCmd(g),
		newCheckCmd(g),
		newSoakCmd(g),
		newLoglevelCmd(g),
		newServeCmd(g),
	)
	return root
}

// Main runs ferry with args and returns the process exit code.
func Main(ctx context.Context, args []string, streams Streams) int {
	root := NewRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code, silent := exitCode(err)
	if err != nil && !silent {
		var ee *ExitError
		if !errors.As(err, &ee) && isCobraUsage(err) {
			code = ExitUsage
		}
		fmt.Fprintf(streams.ErrOut, "ferry: %v\n", err)
	}
	return code
}

// isCobraUsage recognises cobra's own argument and command errors, which
// are not wrapped in an ExitError.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// exactArgs is cobra.ExactArgs with an exit-2 error that names the usage.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError(fmt.Errorf("%s takes %d argument(s), got %d\nusage: %s", cmd.Name(), n, len(args), cmd.UseLine()))
		}
		return nil
	}
}
