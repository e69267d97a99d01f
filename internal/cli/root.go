package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	Dir     string // -C: the project directory
	Verbose bool
	Color   colorMode // --color
	streams Streams

	log     *slog.Logger        // set by setupLog; see verbose.go
	started time.Time           // when the command started, for -v timings
	env     func(string) string // os.Getenv unless a test sets it
	// restoreLog puts back slog's default logger after the command.
	restoreLog func()
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
  130  interrupted (SIGINT, Ctrl-C)
  143  terminated (SIGTERM)

Interrupted, ferry stops what it started that is not live yet and leaves
the environment on its previous revision, which keeps serving (and its
soak), and its state consistent; the message says what is left to do.`

// NewRootCmd builds the ferry command tree over streams.
func NewRootCmd(streams Streams) *cobra.Command {
	root, _ := newRoot(streams)
	return root
}

func newRoot(streams Streams) (*cobra.Command, *globalOptions) {
	g := &globalOptions{streams: streams}
	root := &cobra.Command{
		Use:           "ferry <command> [flags]",
		Short:         "One artifact, many environments: render, check and promote a Go service",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       currentBuild().Version,
	}
	root.SetVersionTemplate(currentBuild().String() + "\n")
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetIn(streams.In)
	root.PersistentFlags().StringVarP(&g.Dir, "dir", "C", ".", "project directory (holds ferry.yaml, the chart and configs/)")
	root.PersistentFlags().BoolVarP(&g.Verbose, "verbose", "v", false, "log each step ferry takes, with timings, to stderr (Helm's own log lines too)")
	g.Color = colorAuto
	root.PersistentFlags().Var(&g.Color, "color", "colour output: auto (a terminal, unless NO_COLOR is set), always or never")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.PersistentPreRun = func(*cobra.Command, []string) { g.restoreLog = g.setupLog() }

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
		newStateCmd(g),
		newVersionCmd(g),
		newInitCmd(g),
		newKeysCmd(g),
		newPullCmd(g),
		newSignCmd(g),
		newSoakCmd(g),
		newLoglevelCmd(g),
		newServeCmd(g),
		newGCCmd(g),
		newGuardCmd(g),
	)
	registerCompletions(root, g)
	return root, g
}

// Main runs ferry with args and returns the process exit code. SIGINT
// and SIGTERM cancel the command's context: every command then stops
// what it started that is not yet live and leaves its state consistent,
// and ferry exits 130 (SIGINT) or 143 (SIGTERM), as shells report a
// process those signals ended.
func Main(ctx context.Context, args []string, streams Streams) int {
	ctx, sig, stop := catchSignals(ctx)
	defer stop()
	root, g := newRoot(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if g.restoreLog != nil {
		g.restoreLog()
	}
	code, silent := exitCode(err)
	if code == ExitInterrupted && sig() == syscall.SIGTERM {
		code = ExitTerminated
	}
	if err != nil && !silent {
		var ee *ExitError
		if !errors.As(err, &ee) && isCobraUsage(err) {
			code = ExitUsage
		}
		var ie *promote.InterruptedError
		if code >= ExitInterrupted && !errors.As(err, &ie) {
			// Cut short before it changed anything.
			err = errors.New("interrupted")
		}
		fmt.Fprintf(streams.ErrOut, "ferry: %s\n", errorMessage(err))
	}
	return code
}

// catchSignals returns ctx cancelled on SIGINT or SIGTERM, a function
// that says which arrived (nil when none) and one that stops catching.
func catchSignals(parent context.Context) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(parent)
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value
	done := make(chan struct{})
	go func() {
		select {
		case s := <-c:
			got.Store(s)
			cancel()
		case <-done:
		}
	}()
	which := func() os.Signal {
		// The signal may have reached the parent's handler first.
		select {
		case s := <-c:
			got.Store(s)
		case <-time.After(10 * time.Millisecond):
		}
		s, _ := got.Load().(os.Signal)
		return s
	}
	return ctx, which, func() { signal.Stop(c); close(done); cancel() }
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

// exactArgs is cobra.ExactArgs with an exit-2 error that names the usage;
// the arguments must be environment names.
func exactArgs(n int) cobra.PositionalArgs {
	count := exactCount(n)
	return func(cmd *cobra.Command, args []string) error {
		if err := count(cmd, args); err != nil {
			return err
		}
		return envArgs(args)
	}
}

// exactCount is exactArgs for arguments that are not environments (a
// tag, a digest).
func exactCount(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError(fmt.Errorf("%s takes %d argument(s), got %d\nusage: %s", cmd.Name(), n, len(args), cmd.UseLine()))
		}
		return nil
	}
}
