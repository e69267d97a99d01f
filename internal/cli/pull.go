package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/artifact"
)

type pullOptions struct {
	Ref   string
	From  string
	Force bool
}

const pullLong = `Pull copies an image that was built and pushed elsewhere — by an earlier
CI job — into this checkout's artifact store (.ferry/images), keeping its
tag, and prints its digest. A fresh checkout, such as each CI job's
runner, can then deploy, verify and promote that one build without
building again.

<tag|digest> is looked up in ferry.yaml's image: repository (--from names
another), with the credentials docker login left. A tag that names another
digest in the store is refused unless --force.`

const pullExample = `  ferry pull 1.4.2 && ferry deploy staging --artifact 1.4.2
  ferry pull sha256:4f1c… --from registry.example.com/team/orders-api`

func newPullCmd(g *globalOptions) *cobra.Command {
	opts := &pullOptions{}
	cmd := &cobra.Command{
		Use:     "pull <tag|digest> [--from <repository>] [--force]",
		Short:   "Copy a pushed image into this checkout's artifact store",
		Long:    pullLong,
		Example: pullExample,
		Args:    exactCount(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return runPull(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "the registry repository (default: ferry.yaml image:)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "move a tag that names another digest here")
	return cmd
}

func runPull(ctx context.Context, g *globalOptions, opts *pullOptions) error {
	p, err := g.loadProject()
	if err != nil {
		return err
	}
	repo := opts.From
	if repo == "" {
		repo = p.Image
	}
	if !strings.Contains(repo, "/") {
		return usageError(fmt.Errorf("pull %s: image %q names no registry repository; set ferry.yaml image: (registry.example.com/team/%s) or --from", opts.Ref, repo, p.Service))
	}
	ref, tag := repo+":"+opts.Ref, opts.Ref
	if strings.HasPrefix(opts.Ref, "sha256:") {
		ref, tag = repo+"@"+opts.Ref, ""
	}
	// A registry that stops answering must not hang a CI job.
	pctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	s, err := g.openStore(p.Dir)
	if err != nil {
		return err
	}
	d, err := s.Pull(pctx, ref, tag, opts.Force, registryAuth())
	if errors.Is(err, artifact.ErrTagMoved) {
		return usageError(err)
	}
	if err != nil {
		return targetError(err)
	}
	g.progress("pulled %s", ref)
	fmt.Fprintln(g.streams.Out, d)
	return nil
}
