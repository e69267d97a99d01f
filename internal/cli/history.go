package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

type historyOptions struct {
	Env    string
	Format format
}

func newHistoryCmd(g *globalOptions) *cobra.Command {
	opts := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history <env> [-o table|json]",
		Short: "Show an environment's past revisions",
		Long: `History lists every revision of an environment, newest first: digest, tag,
action (deploy, promote, rollback), where it was promoted from, the gates it
passed, its outcome, who and when. Config snapshots hold secrets as hashes;
history prints them redacted.

Below the revisions come the changes of the environment's log level (ferry
loglevel, or the page of ferry serve), newest first: who set which level
and when, and a revert by ferry where a level set with --for ran out.
Refused promotions into the environment follow: a promotion its gates
refused deploys nothing, so it is no revision, but who tried, what and why
are kept. Actions taken on the page are by "<name> via ferry serve (<address>)".`,
		Example: "  ferry history prod\n  ferry history prod -o json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runHistory(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runHistory(ctx context.Context, g *globalOptions, opts *historyOptions) error {
	c, err := g.engine("ferry history " + opts.Env)
	if err != nil {
		return err
	}
	h, err := promote.NewHistory(c).RunFull(ctx, opts.Env)
	if err != nil {
		return engineErr(err)
	}
	out := g.streams.Out
	if opts.Format == formatJSON {
		return writeProjectJSON(out, projectView(g.Dir, c.Project), opts.Env, h)
	}
	revs := h.Revisions
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	// The signing key shows only where an environment required it.
	signed := false
	for _, r := range revs {
		signed = signed || r.Signature != nil
	}
	header := "REVISION\tACTION\tDIGEST\tTAG\tFROM\tOUTCOME\tBY\tAT\tREASON"
	if signed {
		header = "REVISION\tACTION\tDIGEST\tTAG\tFROM\tOUTCOME\tBY\tAT\tSIGNED BY\tREASON"
	}
	fmt.Fprintln(tw, header)
	for _, r := range revs {
		from := "-"
		switch {
		case r.PromotedFrom != "":
			from = r.PromotedFrom + " r" + strconv.Itoa(r.FromRevision)
		case r.RollbackOf > 0:
			from = "r" + strconv.Itoa(r.RollbackOf)
		}
		reason := r.Reason
		if r.SkipPath != "" {
			reason = "off the path: " + r.SkipPath
		}
		if len(reason) > 80 {
			reason = reason[:77] + "..."
		}
		at := r.At.Local().Format(time.DateTime)
		if signed {
			by := "-"
			if r.Signature != nil {
				by = secret.PrintableLine(r.Signature.Key)
				if r.Signature.Signer != "" {
					by += " (" + secret.PrintableLine(r.Signature.Signer) + ")"
				}
			}
			at += "\t" + by
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Action, shortDigest(r.Digest), dash(r.Tag), from, r.Outcome, secret.PrintableLine(r.By), at, secret.PrintableLine(reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(h.Refused) > 0 {
		fmt.Fprintf(out, "\nRefused promotions into %s, newest first:\n", h.Environment)
		if err := writeRefusals(out, h.Refused); err != nil {
			return err
		}
	}
	if len(h.LogLevels) == 0 {
		return nil
	}
	fmt.Fprintf(out, "\nLog level of %s, newest first:\n", h.Environment)
	return writeLevelChanges(out, h.LogLevels, "")
}

// writeLevelChanges writes log-level changes as a table, each line
// starting with indent.
func writeLevelChanges(w io.Writer, changes []view.LevelChange, indent string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%sAT\tCHANGE\tLEVEL\tBY\n", indent)
	for i := range changes {
		c := &changes[i]
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", indent, c.At.Local().Format(time.DateTime), c.Change, secret.PrintableLine(c.What()), secret.PrintableLine(c.By))
	}
	return tw.Flush()
}

// writeRefusals writes refused promotions as a table.
func writeRefusals(w io.Writer, refused []promote.Refusal) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tFROM\tDIGEST\tTAG\tBY\tREASON")
	for _, r := range refused {
		fmt.Fprintf(tw, "%s\t%s r%d\t%s\t%s\t%s\t%s\n", r.At.Local().Format(time.DateTime), r.From, r.FromRevision,
			dash(shortDigest(r.Digest)), dash(r.Tag), secret.PrintableLine(r.By), secret.PrintableLine(r.Reason))
	}
	return tw.Flush()
}
