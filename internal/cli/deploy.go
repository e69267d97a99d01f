package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
)

type deployOptions struct {
	Env      string
	Artifact string
	apply    applyOptions
}

const deployLong = `Deploy puts an artifact into an environment, normally the first of the
promotion path. Without --artifact it deploys the last build.

On the local target the image is unpacked by digest and its binary started
with exactly the environment's effective configuration, its ferry.yaml env
overrides and the secrets from its secretsFile, beside the previous revision,
which keeps serving. ferry finds the service's port in ferry.yaml (port:,
health:) or its configuration (HTTP_PORT, PORT, SERVER_PORT, APP_PORT), or
learns it from what the new process listens on, and waits until the new
process itself answers /.well-known/health UP and stays alive for a settle
window; then it stops the previous revision with SIGTERM and its
SHUTDOWN_GRACE_PERIOD. A revision that dies, or is not UP within the health
timeout (DEGRADED names the dependency that is down), is stopped while the
previous one serves on; deploy then exits 1 with the URL and the last log
lines. Ctrl-C exits 130 and leaves the previous revision serving.`

const deployExample = `  ferry -C examples/orders-api deploy staging
  ferry deploy staging --artifact 1.4.2
  ferry deploy staging --artifact sha256:3f1c…`

func newDeployCmd(g *globalOptions) *cobra.Command {
	opts := &deployOptions{}
	cmd := &cobra.Command{
		Use:     "deploy <env> [--artifact <tag|digest>]",
		Short:   "Put an artifact into an environment",
		Long:    deployLong,
		Example: deployExample,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			return runDeploy(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Artifact, "artifact", "", "tag or digest to deploy (default: the last build)")
	opts.apply.flags(cmd)
	return cmd
}

func runDeploy(ctx context.Context, g *globalOptions, opts *deployOptions) error {
	c, err := g.engine("ferry deploy " + opts.Env)
	if err != nil {
		return err
	}
	opts.apply.set(c)
	d := promote.NewDeploy(c)
	d.Artifact = opts.Artifact
	rev, err := d.Run(ctx, opts.Env)
	g.doneWaiting()
	if err != nil {
		return engineErr(err)
	}
	writeRevision(g.streams.Out, rev)
	return nil
}

// writeRevision reports a revision that went live.
func writeRevision(w io.Writer, r *state.Revision) {
	if promote.AwaitsReview(r) {
		fmt.Fprintf(w, "%s: revision %d awaits review: %s\n", r.Env, r.Number, promote.ReviewNote(r))
		return
	}
	tag := ""
	if r.Tag != "" {
		tag = " (" + r.Tag + ")"
	}
	var names []string
	for _, in := range r.Instances {
		names = append(names, in.Name)
	}
	at := ""
	if r.URL != "" {
		at = " at " + r.URL
	}
	fmt.Fprintf(w, "%s: revision %d runs %s%s, %s, healthy%s\n", r.Env, r.Number, r.Digest, tag, strings.Join(names, ", "), at)
}
