package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
)

type gcOptions struct {
	Keep   int
	DryRun bool
	Format format
}

// keepEnv overrides the default of --keep for every gc.
const keepEnv = "FERRY_KEEP_BUILDS"

const gcLong = `Gc removes from .ferry/images the images nothing needs any more, and every
layer only they used (each build of a changed binary adds one the size of
the binary). It keeps:

  - every tagged image (ferry build --tag), with its signatures;
  - every image a revision of an environment names (ferry history), so a
    rollback always finds its image;
  - the last build, and the latest --keep builds (default 5, or
    $` + keepEnv + `).

It prints how much it freed; --dry-run shows the same without removing
anything. A build running at the same time keeps what it is writing.

ferry build does the same after each build when every environment runs
on this machine (target local); with other targets, whose history is a
round trip away, run ferry gc.`

const gcExample = `  ferry gc
  ferry gc --keep 2 --dry-run
  ferry gc -o json`

func newGCCmd(g *globalOptions) *cobra.Command {
	opts := &gcOptions{Keep: artifact.DefaultKeep}
	cmd := &cobra.Command{
		Use:     "gc [--keep N] [--dry-run] [-o text|json]",
		Short:   "Remove the stored images no tag, revision or recent build needs",
		Long:    gcLong,
		Example: gcExample,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("keep") {
				if v := g.getenv(keepEnv); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil || n < 0 {
						return usageError(fmt.Errorf("%s=%q: want a number of builds, 0 or more", keepEnv, v))
					}
					opts.Keep = n
				}
			}
			if opts.Keep < 0 {
				return usageError(fmt.Errorf("--keep %d: want a number of builds, 0 or more", opts.Keep))
			}
			return runGC(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().IntVar(&opts.Keep, "keep", opts.Keep, "keep this many of the latest builds besides tagged and deployed ones")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "say what would be removed, remove nothing")
	formatFlag(cmd, &opts.Format, formatText, formatJSON)
	return cmd
}

func runGC(ctx context.Context, g *globalOptions, opts *gcOptions) error {
	c, err := g.engine("ferry gc")
	if err != nil {
		return err
	}
	// The store first: a .ferry ferry will not use is refused as such
	// (exit 2), not as an unreadable history.
	s, err := g.openStore(c.Project.Dir)
	if err != nil {
		return err
	}
	referenced, err := revisionDigests(ctx, c)
	if err != nil {
		return engineErr(err)
	}
	got, err := s.Prune(artifact.PruneOptions{Keep: opts.Keep, Referenced: referenced, DryRun: opts.DryRun})
	if err != nil {
		return targetError(err)
	}
	out := g.streams.Out
	if opts.Format == formatJSON {
		return writeProjectJSON(out, projectView(g.Dir, c.Project), "", got)
	}
	verb := "removed"
	if got.DryRun {
		verb = "would remove"
	}
	for _, d := range got.Removed {
		fmt.Fprintf(out, "%s %s\n", verb, d)
	}
	fmt.Fprintf(out, "%s %d image(s) and %d blob(s), freeing %s; kept %d image(s)\n", verb, len(got.Removed), got.Blobs, humanBytes(got.Freed), len(got.Kept))
	return nil
}

// revisionDigests returns the digests every environment's revisions
// name, wherever its target keeps them: an environment whose history
// cannot be read stops gc rather than lose the image a rollback needs.
func revisionDigests(ctx context.Context, c *promote.Config) (map[string]bool, error) {
	referenced := map[string]bool{}
	h := promote.NewHistory(c)
	for _, env := range c.Project.Environments {
		hist, err := h.Run(ctx, env.Name)
		if err != nil {
			return nil, fmt.Errorf("reading %s's revisions (gc keeps every image they name): %w", env.Name, err)
		}
		for _, r := range hist.Revisions {
			referenced[r.Digest] = true
		}
	}
	return referenced, nil
}

// pruneAfterBuild keeps .ferry/images to what gc would keep after each
// build, where that costs nothing: when every environment runs on this
// machine (its revisions are in .ferry/state.db). Any other target's
// history is a round trip to read, left to an explicit ferry gc. A
// failure only leaves the store as it was; -v logs it. p is the project
// with its deploy commands (they define environments and their
// targets), or nil to load it without printing its warnings again.
func (g *globalOptions) pruneAfterBuild(ctx context.Context, s *artifact.Store, p *project.Project) {
	if p == nil {
		var err error
		if p, err = g.loadWith(project.Load); err != nil {
			return
		}
	}
	c, err := g.engineOf(p, "ferry build")
	if err != nil {
		return
	}
	for _, env := range c.Project.Environments {
		if env.Target != "local" {
			return
		}
	}
	keep := artifact.DefaultKeep
	if n, err := strconv.Atoi(g.getenv(keepEnv)); err == nil && n >= 0 {
		keep = n
	}
	referenced, err := revisionDigests(ctx, c)
	if err == nil {
		var got *artifact.Pruned
		if got, err = s.Prune(artifact.PruneOptions{Keep: keep, Referenced: referenced}); err == nil && len(got.Removed) > 0 {
			g.logger().Info("pruned old builds", "images", len(got.Removed), "freed", humanBytes(got.Freed))
		}
	}
	if err != nil {
		g.logger().Info("old builds not pruned", "err", err)
	}
}

// humanBytes is n in the largest unit that keeps it at or above 1.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
