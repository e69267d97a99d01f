package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/sign"
	"github.com/ferrydev/ferry/view"
)

type statusOptions struct {
	Env    string
	Format format
}

const statusLong = `Status shows every environment in path order: the digest and tag it runs,
its revision and since when, its health, and how much of its soak is left.
It reads ferry's state and each health endpoint; it renders nothing. With
an environment it shows only that one. A change awaiting review (a gitops
environment's pull-request mode) is named under the table, with what to
merge; ferry promote --resume finishes it.`

func newStatusCmd(g *globalOptions) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:     "status [<env>] [-o table|json]",
		Short:   "Show what every environment runs",
		Long:    statusLong,
		Example: "  ferry -C examples/orders-api status\n  ferry status prod\n  ferry status -o json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return exactArgs(1)(cmd, args)
			}
			return envArgs(args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Env = args[0]
			}
			return runStatus(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	return cmd
}

func runStatus(ctx context.Context, g *globalOptions, opts *statusOptions) error {
	c, err := g.engine("ferry status")
	if err != nil {
		return err
	}
	if opts.Env != "" {
		if _, err := c.Project.Env(opts.Env); err != nil {
			return usageError(err)
		}
	}
	st, err := promote.NewStatus(c).Run(ctx)
	if err != nil {
		return engineErr(err)
	}
	if opts.Env != "" {
		st.Environments = slices.DeleteFunc(st.Environments, func(e view.EnvStatus) bool { return e.Name != opts.Env })
	}
	out := g.streams.Out
	if opts.Format == formatJSON {
		return writeProjectJSON(out, projectView(g.Dir, c.Project), "", st)
	}
	envs := st.Environments
	// The signature column shows only where ferry.yaml trusts keys.
	signed := false
	for _, e := range envs {
		signed = signed || e.Signature != nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "ENVIRONMENT\tTARGET\tREVISION\tDIGEST\tTAG\tSINCE\tHEALTH\tSOAK LEFT"
	if signed {
		header += "\tSIGNATURE"
	}
	fmt.Fprintln(tw, header)
	for _, e := range envs {
		if e.Digest == "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t%s\t-%s\n", e.Name, e.Target, e.Health, signatureCell(signed, e.Signature))
			continue
		}
		soak := e.SoakRemaining
		if soak == "" {
			soak = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s%s\n", e.Name, e.Target, e.Revision, shortDigest(e.Digest), dash(e.Tag), e.Since, e.Health, soak, signatureCell(signed, e.Signature))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range envs {
		// A change awaiting review leads the detail (promote.Status).
		if note, _, _ := strings.Cut(e.HealthDetail, "; "); strings.Contains(note, " awaits review: ") {
			fmt.Fprintf(out, "%s: %s\n", e.Name, note)
		}
		// What the target says of what runs: "staging: pid 838".
		if len(e.Details) > 0 {
			fmt.Fprintf(out, "%s: %s\n", e.Name, secret.PrintableLine(platform.DetailsText(e.Details)))
		}
	}
	return nil
}

// signatureCell is the SIGNATURE column: the state, and the key that
// verified; "" when the table has no such column.
func signatureCell(column bool, s *view.Signature) string {
	switch {
	case !column:
		return ""
	case s == nil:
		return "\t-"
	case s.State == string(sign.Verified):
		return "\tverified (" + s.Key + ")"
	case s.Required:
		return "\t" + s.State + " (required)"
	default:
		return "\t" + s.State
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
