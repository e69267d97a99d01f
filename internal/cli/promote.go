package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/view"
)

type promoteOptions struct {
	From, To string
	DryRun   bool
	SkipPath string
	Artifact string
	Resume   bool
	Format   format
	apply    applyOptions
}

const promoteLong = `Promote moves the exact digest running in FROM to TO. The digest is read
from the live process (its executable must be an artifact of this project,
the one FROM's revision recorded); nothing is rebuilt.

Gates, all on FROM: it is healthy now; its revision has soaked (the
environment's soak has elapsed since the deploy, with no restart); its smoke
steps pass. Then the digest is deployed to TO with TO's configuration, TO's
smoke steps run and TO is verified; any failure rolls TO back and exits 1.

TO must be the next step of the promotion path unless --skip-path gives a
reason, which is recorded. --dry-run prints the plan and every gate's state
and changes nothing: it runs only the smoke steps that cannot change an
environment (GET and HEAD); the others are listed as "skip … would run".

--artifact names the tag or digest you mean to promote: it is a gate that
what runs in FROM is it. A tag is resolved where FROM pulls from (the
registry of ferry.yaml's image on Kubernetes, with your docker credentials),
else in the project's artifact store; a tag re-pushed since FROM's deploy
names something that never soaked, and the promotion is refused naming both
digests.

A protected environment (gitops.pullRequest: true) changes by review: after
the gates, the promotion pushes the rendered manifests to a new branch,
prints it and what a reviewer must merge, and exits 0 with the revision
pending. Once it is merged, --resume TO waits for the engine to apply it and
runs the after-deploy gates, recording the revision live or failed (exit 1
while the branch is not merged yet).`

const promoteExample = `  ferry -C examples/orders-api promote staging prod --dry-run
  ferry promote staging prod
  ferry promote staging prod --artifact 1.4.2
  ferry promote dev prod --skip-path "hotfix for incident 4711"
  ferry promote --resume prod`

func newPromoteCmd(g *globalOptions) *cobra.Command {
	opts := &promoteOptions{}
	cmd := &cobra.Command{
		Use:     "promote <from> <to> [--dry-run] [--skip-path <reason>] [--artifact <tag|digest>] | promote --resume <to>",
		Short:   "Move the digest running in one environment to the next, after its gates",
		Long:    promoteLong,
		Example: promoteExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.Resume {
				return exactArgs(1)(cmd, args)
			}
			return exactArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Resume {
				if opts.DryRun || opts.SkipPath != "" || opts.Artifact != "" {
					return usageError(errors.New("--resume takes no --dry-run, --skip-path or --artifact: the gates before the deploy ran when the change went to review"))
				}
				return runResume(cmd.Context(), g, opts, args[0])
			}
			opts.From, opts.To = args[0], args[1]
			if cmd.Flags().Changed("skip-path") && opts.SkipPath == "" {
				return usageError(errors.New("--skip-path needs a reason"))
			}
			return runPromote(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the plan and each gate's state; change nothing")
	cmd.Flags().StringVar(&opts.SkipPath, "skip-path", "", "allow a TO off the path; the reason is recorded")
	cmd.Flags().BoolVar(&opts.Resume, "resume", false, "finish TO's change awaiting review, once merged: wait for the engine, run the after-deploy gates")
	cmd.Flags().StringVar(&opts.Artifact, "artifact", "", "tag or digest you mean to promote: refused unless it is what runs in FROM")
	formatFlag(cmd, &opts.Format, formatTable, formatJSON)
	opts.apply.flags(cmd)
	return cmd
}

func runPromote(ctx context.Context, g *globalOptions, opts *promoteOptions) error {
	c, err := g.engine(fmt.Sprintf("ferry promote %s %s", opts.From, opts.To))
	if err != nil {
		return err
	}
	pr := promote.NewPromote(c)
	pr.DryRun, pr.SkipPath, pr.Artifact = opts.DryRun, opts.SkipPath, opts.Artifact
	opts.apply.set(c)
	plan, err := pr.Run(ctx, opts.From, opts.To)
	g.doneWaiting()
	if plan != nil && (plan.Digest != "" || len(plan.Gates) > 0) {
		if opts.Format == formatJSON {
			if werr := writeProjectJSON(g.streams.Out, projectView(g.Dir, c.Project), "", plan.View(opts.DryRun, err)); werr != nil {
				return werr
			}
		} else {
			writePlan(g.streams.Out, plan, opts.DryRun, err)
		}
	}
	return engineErr(err)
}

// runResume finishes env's promotion (or deploy) that awaits review.
func runResume(ctx context.Context, g *globalOptions, opts *promoteOptions, env string) error {
	c, err := g.engine("ferry promote --resume " + env)
	if err != nil {
		return err
	}
	opts.apply.set(c)
	plan, err := promote.NewResume(c).Run(ctx, env)
	g.doneWaiting()
	var nm *promote.NotMergedError
	if errors.As(err, &nm) {
		return failedError(err) // nothing happened: the error says what to merge
	}
	if plan != nil {
		if opts.Format == formatJSON {
			if werr := writeProjectJSON(g.streams.Out, projectView(g.Dir, c.Project), "", plan.View(false, err)); werr != nil {
				return werr
			}
		} else {
			writePlan(g.streams.Out, plan, false, err)
		}
	}
	return engineErr(err)
}

// writePlan prints the plan, its gates and how it ended. The last line
// claims what runs only when nothing failed: a revision whose process
// exited, or never answered its health check, has not proved it runs, and
// the error that follows says so.
func writePlan(w io.Writer, p *promote.Plan, dry bool, err error) {
	verb := "promote"
	if dry {
		verb = "plan: promote"
	}
	tag := ""
	if p.Tag != "" {
		tag = " (" + p.Tag + ")"
	}
	switch {
	case p.From == "":
		fmt.Fprintf(w, "deploy %s\n", p.To) // a deploy resumed after review
	default:
		fmt.Fprintf(w, "%s %s → %s\n", verb, p.From, p.To)
	}
	if p.From != "" {
		fmt.Fprintf(w, "  artifact  %s%s, running in %s revision %d\n", p.Digest, tag, p.From, p.FromRevision)
	} else {
		fmt.Fprintf(w, "  artifact  %s%s\n", p.Digest, tag)
	}
	if p.ToRevision > 0 {
		fmt.Fprintf(w, "  %s now  revision %d, %s\n", p.To, p.ToRevision, shortDigest(p.ToDigest))
	} else {
		fmt.Fprintf(w, "  %s now  nothing deployed\n", p.To)
	}
	if p.SkipPath != "" {
		fmt.Fprintf(w, "  off the path: %s\n", p.SkipPath)
	}
	fmt.Fprintln(w, "gates:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range p.Gates {
		mark := "pass"
		switch {
		case !g.Passed:
			mark = "FAIL"
		case strings.HasPrefix(g.Detail, view.WouldRun+":"):
			mark = "skip"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark, g.Name, g.Detail)
	}
	tw.Flush()
	switch {
	case promote.AwaitsReview(p.Revision):
		fmt.Fprintf(w, "%s: revision %d awaits review: %s\n", p.To, p.Revision.Number, promote.ReviewNote(p.Revision))
	case p.Revision != nil && p.RolledBack:
		fmt.Fprintf(w, "%s revision %d failed; rolled back to revision %d\n", p.To, p.Revision.Number, p.ToRevision)
	case p.Revision != nil && p.Passed() && err == nil:
		fmt.Fprintf(w, "%s: revision %d runs %s\n", p.To, p.Revision.Number, p.Revision.Digest)
	}
}
