package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/sign"
)

type buildOptions struct {
	Tag   string
	Push  string
	Force bool
	Sign  bool
	Key   string
}

const buildLong = `Build compiles the service's main package (ferry.yaml main) once, with
CGO_ENABLED=0 and -trimpath, and packages the binary with configs/ as an OCI
image in the project's .ferry/images layout. It prints the image digest.

The same source always gives the same digest: the layer has fixed mtimes,
owners and order, and the source revision is an annotation. --tag records a
name for the digest; a tag that already names another digest is refused
unless --force. --push copies the image to a registry reference, with the
credentials docker login left.

--sign signs the digest (see ferry sign --help for the key: --key, or
FERRY_SIGNING_KEY with FERRY_SIGNING_PASSWORD) and, with --push, pushes the
signature under cosign's sha256-<hex>.sig tag beside the image.`

const buildExample = `  ferry -C examples/orders-api build --tag 1.4.2
  ferry build --tag 1.4.2 --push registry.example/team/orders-api:1.4.2
  ferry build --tag 1.4.2 --sign --key ferry.key --push registry.example/team/orders-api:1.4.2`

func newBuildCmd(g *globalOptions) *cobra.Command {
	opts := &buildOptions{}
	cmd := &cobra.Command{
		Use:     "build [--tag <tag>] [--push <ref>] [--sign [--key <file>]] [--force]",
		Short:   "Build the service once into an OCI image and print its digest",
		Long:    buildLong,
		Example: buildExample,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Tag, "tag", "", "name the digest with this tag")
	cmd.Flags().StringVar(&opts.Push, "push", "", "also push the image to this registry reference")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "move a tag that names another digest")
	cmd.Flags().BoolVar(&opts.Sign, "sign", false, "sign the digest (cosign-compatible)")
	cmd.Flags().StringVar(&opts.Key, "key", "", "private key file for --sign (default: $FERRY_SIGNING_KEY)")
	return cmd
}

func runBuild(ctx context.Context, g *globalOptions, opts *buildOptions) error {
	// Build reads the repository's deploy commands only when the build
	// tags depend on them (see artifact.BuildOptions.WithCI): they are
	// most of a load's work, and a no-op build should cost little more
	// than go build's own.
	p, err := g.loadWith(project.LoadOwn)
	if err != nil {
		return err
	}
	g.warn(p.Warnings)
	// The deploy commands' own warnings are check's to give.
	var full *project.Project
	var loadErr error
	withCI := func() (*project.Project, error) {
		full, loadErr = g.loadWith(project.Load)
		return full, loadErr
	}
	// Open the key before building: a wrong passphrase should not cost
	// a build, nor leave an unsigned image pushed.
	var signer *sign.Signer
	if opts.Sign {
		if signer, err = sign.LoadSignerFrom(opts.Key); err != nil {
			return signErr(err)
		}
	}
	start := time.Now()
	s, err := g.openStore(p.Dir)
	if err != nil {
		return err
	}
	img, err := artifact.Build(ctx, p, s, artifact.BuildOptions{Tag: opts.Tag, Force: opts.Force, WithCI: withCI})
	if loadErr != nil {
		return loadErr
	}
	if err != nil {
		return buildErr(err)
	}
	g.warn(img.Warnings)
	for _, d := range img.Packed {
		fmt.Fprintf(g.streams.ErrOut, "packed %s into the image: the code reads it at run time\n", d)
	}
	g.progress("built %s in %s", p.Service, time.Since(start).Round(time.Millisecond))
	if img.Stored {
		// A build that stored nothing new leaves nothing to prune.
		g.pruneAfterBuild(ctx, s, full)
	}
	if opts.Push != "" {
		// A registry that stops answering must not hang a CI job.
		pctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if err := s.Push(pctx, img.Digest, opts.Push, opts.Force, registryAuth()); err != nil {
			return engineErr(err)
		}
		g.progress("pushed %s", opts.Push)
	}
	if signer != nil {
		msg, err := signAndPush(ctx, g, p, s, signer, img.Digest, opts.Push, "")
		if err != nil {
			return err
		}
		g.progress("%s", msg)
	}
	fmt.Fprintln(g.streams.Out, img.Digest)
	return nil
}

// openStore opens the project's .ferry/images through confine: a .ferry
// or a link in the store that ferry will not use is bad input (2).
func (g *globalOptions) openStore(dir string) (*artifact.Store, error) {
	if err := g.refuseTrackedState(dir); err != nil {
		return nil, err
	}
	root, err := confine.Open(dir)
	if err != nil {
		return nil, usageError(err)
	}
	defer root.Close()
	s, err := artifact.OpenStore(root)
	if err != nil {
		if errors.Is(err, confine.ErrRefused) {
			return nil, usageError(err)
		}
		return nil, targetError(err)
	}
	return s, nil
}

// buildErr: a moved tag or a refused path is the user's input (2); a
// compile error fails the command (1).
func buildErr(err error) error {
	if errors.Is(err, confine.ErrRefused) {
		return usageError(err)
	}
	e := engineErr(err)
	var ee *ExitError
	if errors.As(e, &ee) && ee.Code == ExitTarget {
		return failedError(err)
	}
	return e
}
