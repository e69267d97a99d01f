package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
)

// guardName is the hidden command a changing ferry starts, detached, to
// finish its change if it dies (promote's recover_guard.go).
const guardName = "__guard"

// guardRecoverBudget bounds a guard's recovery: the after-deploy gates
// or a rollback.
const guardRecoverBudget = 15 * time.Minute

// guardCommand returns the promote.GuardFunc that runs this executable's
// `__guard` over an environment of the project in dir.
func guardCommand(dir string) promote.GuardFunc {
	return func(env string, until time.Time) *exec.Cmd {
		exe, err := os.Executable()
		if err != nil {
			return nil
		}
		return exec.Command(exe, "-C", dir, "--verbose", "--color", "never", guardName, env, "--until", until.UTC().Format(time.RFC3339))
	}
}

func newGuardCmd(g *globalOptions) *cobra.Command {
	var until string
	cmd := &cobra.Command{
		Use:    guardName + " <env> --until <time>",
		Short:  "Finish a change a ferry that died left under way (started by ferry itself)",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			deadline, err := time.Parse(time.RFC3339, until)
			if err != nil {
				return usageError(fmt.Errorf("--until: %w", err))
			}
			ferry := os.Getppid() // until it dies
			// Nothing is read or written before ferry's end: a ferry that
			// finished its change leaves no trace of its guard.
			died, err := promote.AwaitChange(os.NewFile(3, "guard pipe"), deadline)
			if err != nil || !died {
				return err
			}
			c, err := g.engine("ferry guard, finishing what an interrupted ferry left")
			if err != nil {
				return err
			}
			c.Guard = nil // a guard does not guard itself
			ctx, cancel := context.WithTimeout(cmd.Context(), guardRecoverBudget)
			defer cancel()
			what, err := promote.NewRecover(c).Guard(ctx, args[0], ferry)
			if err != nil {
				return engineErr(err)
			}
			fmt.Fprintf(g.streams.ErrOut, "%s ferry guard: %s\n", time.Now().UTC().Format(time.RFC3339), what)
			return nil
		},
	}
	cmd.Flags().StringVar(&until, "until", "", "give up waiting at this time (RFC 3339)")
	return cmd
}
