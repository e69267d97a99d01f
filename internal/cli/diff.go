package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/view"
)

type diffOptions struct {
	From, To string
	Format   format
	// Workload compares one workload or container; all by default.
	Workload string
	// Chart picks a chart when -C holds several.
	Chart string
}

const diffLong = `Diff lists the keys whose effective value differs between two
environments — changed, added or removed — with the file:line that set each
side. Secret values are compared but never printed: a differing secret is
shown as "differs".

Every workload and container the chart renders is compared with its
namesake in the other environment, the service's own container first; a
container only one environment renders is listed as added or removed.`

const diffExample = `  ferry -C examples/orders-api diff staging prod
  ferry diff staging prod -o json`

func newDiffCmd(g *globalOptions) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:     "diff <env-a> <env-b> [-o table|json]",
		Short:   "Show the configuration keys that differ between two environments",
		Long:    diffLong,
		Example: diffExample,
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.From, opts.To = args[0], args[1]
			return runDiff(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	cmd.Flags().StringVar(&opts.Workload, "workload", "", "compare only this workload (name or kind/name) or container")
	cmd.Flags().StringVar(&opts.Chart, "chart", "", "the chart directory, relative to -C, when there are several")
	return cmd
}

func runDiff(ctx context.Context, g *globalOptions, opts *diffOptions) error {
	p, err := g.loadProjectChart(opts.Chart)
	if err != nil {
		return err
	}
	r := render.New(p)
	done := g.step("rendered", "env", opts.From)
	a, err := r.Render(ctx, opts.From)
	if err != nil {
		return renderErr(err)
	}
	done(renderAttrs(p, a)...)
	done = g.step("rendered", "env", opts.To)
	b, err := r.Render(ctx, opts.To)
	if err != nil {
		return renderErr(err)
	}
	done(renderAttrs(p, b)...)
	pairs, err := pairSlots(a, b, opts.Workload)
	if err != nil {
		return err
	}
	changes := render.Diff(a.Config, b.Config)
	if opts.Workload != "" && len(pairs) > 0 {
		changes = pairs[0].Changes
	}
	unread := render.UnreadChanges(a, b)
	if opts.Format == formatJSON {
		v := view.NewConfigDiff(opts.From, opts.To, changes)
		v.Project = projectView(g.Dir, p)
		for _, pr := range pairs {
			v.Workloads = append(v.Workloads, pr.View())
		}
		v.NeverArrive = view.NewUnread(unread)
		return writeJSON(g.streams.Out, v)
	}
	for _, r := range []*render.Result{a, b} {
		if e, err := p.Env(r.Environment); err == nil {
			fmt.Fprintf(g.streams.Out, "# %s: defined by %s; namespace %s; values %s (%s)\n", e.Name, e.From.Definition, project.Said(e.Namespace, e.From.Namespace), strings.Join(e.Values, ", "), e.From.Values)
		}
	}
	defer writeNeverArrive(g.streams.Out, opts, unread, len(changes) == 0 && len(pairs) <= 1)
	if len(pairs) <= 1 {
		return writeDiffTable(g.streams.Out, opts, changes)
	}
	for i, pr := range pairs {
		if i > 0 {
			fmt.Fprintln(g.streams.Out)
		}
		fmt.Fprintf(g.streams.Out, "== %s\n", pairTitle(pr, opts))
		if err := writeDiffTable(g.streams.Out, opts, pr.Changes); err != nil {
			return err
		}
	}
	return nil
}

// pairSlots matches a's containers with b's (view.PairSlots), with --workload
// name applied to both.
func pairSlots(a, b *render.Result, name string) ([]view.SlotPair, error) {
	as, err := containers(a, name)
	if err != nil {
		return nil, err
	}
	bs, err := containers(b, name)
	if err != nil {
		return nil, err
	}
	return view.PairSlots(as, bs), nil
}

// pairTitle names a compared container, and the environment it is only in.
func pairTitle(pr view.SlotPair, opts *diffOptions) string {
	switch pr.Presence {
	case "removed":
		return slotTitle(pr.Slot) + " — only in " + opts.From
	case "added":
		return slotTitle(pr.Slot) + " — only in " + opts.To
	}
	return slotTitle(pr.Slot)
}

func writeDiffTable(w io.Writer, opts *diffOptions, changes []render.Change) error {
	if len(changes) == 0 {
		_, err := fmt.Fprintf(w, "%s and %s have the same effective configuration\n", opts.From, opts.To)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "KEY\tCHANGE\t%s\t%s\n", opts.From, opts.To)
	for _, c := range view.NewChanges(changes) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Key, c.Change, describe(c.From, c), describe(c.To, c))
	}
	return tw.Flush()
}

// describe shows one side of a change: value and source, or "differs"
// for a secret.
func describe(s *view.ConfigSide, c view.ConfigChange) string {
	if s == nil {
		return "-"
	}
	v := oneLine(s.Value)
	if s.Secret && c.Change == "changed" {
		v = "differs"
	}
	return fmt.Sprintf("%s (%s)", v, s.ShortSource())
}

// writeNeverArrive names the values keys that differ between the two
// environments but that no template reads: a difference in the values
// files that the containers never see.
func writeNeverArrive(w io.Writer, opts *diffOptions, unread []render.Unread, same bool) {
	if len(unread) == 0 {
		return
	}
	var parts []string
	for _, u := range unread {
		parts = append(parts, fmt.Sprintf("%s (%s)", u.Path, u.Source))
	}
	if same {
		fmt.Fprintf(w, "# the values of %s and %s differ, but not their containers' configuration: no template reads %s\n", opts.From, opts.To, strings.Join(parts, ", "))
		return
	}
	fmt.Fprintf(w, "# values that differ but never reach a container (no template reads them): %s\n", strings.Join(parts, ", "))
}
