package cli

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/internal/boltstore"
)

const stateLong = `State inspects and mends ferry's memory of what it deployed:
.ferry/state.db in the project directory (bbolt), beside its locks and the
key secrets are fingerprinted with.

A state file that cannot be read — cut short, zeroed, scribbled on — makes
every command that needs it exit 2 with one line, and ferry never writes to
it. "state check" reads every record and says what it could not read;
"state repair" copies every record it can read into a new file, looking
for records in the raw bytes where the store itself is broken, moves the
damaged file aside (state.db.damaged-<time>, kept as it was) and puts the
new one in its place. Run repair while no other ferry works on the project.`

func newStateCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state {check|repair}",
		Short: "Check or repair ferry's state file",
		Long:  stateLong,
		Example: `  ferry state check
  ferry -C services/orders state check -o json
  ferry state repair`,
		Args: exactArgs(0),
	}
	cmd.AddCommand(newStateCheckCmd(g), newStateRepairCmd(g))
	return cmd
}

type stateCheckOptions struct{ Format format }

func newStateCheckCmd(g *globalOptions) *cobra.Command {
	opts := &stateCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check [-o text|json]",
		Short: "Read every record of the state file and report what is unreadable",
		Long: `Check reads .ferry/state.db whole without changing it: every environment,
every revision, the soak samples and the log-level changes. It exits 0 when all of it reads, 1 when something does not
(each problem on one line), 2 when there is no state file.`,
		Example: "  ferry state check\n  ferry state check -o json",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.loadProject()
			if err != nil {
				return err
			}
			if err := g.refuseTrackedState(p.Dir); err != nil {
				return err
			}
			rep, err := boltstore.Project(p.Dir).Check()
			if err != nil {
				return usageError(err)
			}
			out := g.streams.Out
			if opts.Format == formatJSON {
				if err := writeProjectJSON(out, projectView(g.Dir, p), "", rep); err != nil {
					return err
				}
			} else {
				verdict := "ok"
				if !rep.OK {
					verdict = "DAMAGED"
				}
				fmt.Fprintf(out, "%s: %s: %d revision(s)%s, %d soak sample(s), %d log-level change(s)\n",
					rep.Path, verdict, rep.Revisions, envCounts(rep.Environments), rep.Samples, rep.LogLevels)
				for _, p := range rep.Problems {
					fmt.Fprintf(out, "  %s\n", p)
				}
			}
			if !rep.OK {
				return silentFailure()
			}
			return nil
		},
	}
	formatFlag(cmd, &opts.Format, formatText, formatJSON)
	return cmd
}

func newStateRepairCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "repair",
		Short: "Copy the readable records into a new state file, keeping the old one",
		Long: `Repair copies every record of .ferry/state.db it can read — revisions,
soak samples, log-level changes — into a new file,
moves the damaged one aside as state.db.damaged-<time> (unchanged) and puts
the new one in its place. Each environment keeps its live revision where
that can be read, else the newest revision recorded live; the next
command's recovery reconciles it with what really runs.`,
		Example: "  ferry state repair",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.loadProject()
			if err != nil {
				return err
			}
			if err := g.refuseTrackedState(p.Dir); err != nil {
				return err
			}
			got, err := boltstore.Project(p.Dir).Repair(time.Now())
			if err != nil {
				return targetError(err)
			}
			how := ""
			if got.Scanned {
				how = " (some found in the raw bytes)"
			}
			fmt.Fprintf(g.streams.Out, "%s: %d revision(s)%s, %d soak sample(s) and %d log-level change(s) copied%s; the damaged file is %s\n",
				got.Path, got.Revisions, envCounts(got.Environments), got.Samples, got.LogLevels, how, got.Old)
			return nil
		},
	}
}

func envCounts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	s := " ("
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", n, m[n])
	}
	return s + ")"
}
