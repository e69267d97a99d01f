package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/serve"
)

type serveOptions struct {
	Addr      string
	Token     string
	TokenFile string
	Hosts     []string
	Interval  time.Duration
}

const serveLong = `Serve runs the pipeline page, the JSON API and GoFr's remote log level in one
process, and scrapes the metrics of every environment that soaks.

  /                      the promotion path as columns: per environment the
                         digest and tag it runs, revision, since, health,
                         soak with its figures, verify and drift, what a
                         promote would carry and the gate that would
                         refuse it, the history with refused promotions;
                         works without JavaScript, updates live with it
  /config/ENV?with=OTHER ENV's effective configuration and its diff with
                         OTHER, secrets redacted as ferry render and diff do
  /api/status            the same JSON as ferry status -o json (also
                         /api/history/ENV, /api/soak/ENV, /api/verify/ENV,
                         /api/drift/ENV, /api/render/ENV, /api/diff/A/B)
  /api/loglevel/ENV      GoFr's REMOTE_LOG_URL answer for ENV

Promote, rollback and log level changes from the page need the token and a
confirmation, and are recorded with who. A button whose action a gate would
refuse is disabled and says which gate; the promote preview runs only the
read-only gates and lists the smoke steps that run on confirmation. On a loopback address reads need
no token, and the actions' token is kept in .ferry/serve.token (created
0600 on first use, and replaced when it is committed or readable by others);
only loopback Host headers and the names given with --host are answered.
On any other address --token (at least 32 characters) or --token-file is
required and every request must carry it (Authorization: Bearer, or
?token= once in the browser).`

func newServeCmd(g *globalOptions) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:7070] [--token T | --token-file F]",
		Short: "Serve the pipeline page, the JSON API and the remote log level",
		Long:  serveLong,
		Example: `  ferry -C examples/orders-api serve
  ferry serve --addr 0.0.0.0:7070 --token-file ~/.config/ferry/serve.token`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:7070", "address to listen on; anything but loopback needs a token")
	cmd.Flags().StringVar(&opts.Token, "token", "", "token every action (and, off loopback, every request) must carry")
	cmd.Flags().StringVar(&opts.TokenFile, "token-file", "", "file holding the token (first line); refused if others can read it")
	cmd.Flags().StringSliceVar(&opts.Hosts, "host", nil, "a name the page is opened by besides loopback addresses (requests naming any other host are refused)")
	cmd.Flags().DurationVar(&opts.Interval, "refresh", 2*time.Second, "how often health and soak are refreshed")
	return cmd
}

func runServe(ctx context.Context, g *globalOptions, opts *serveOptions) error {
	tok := opts.Token
	if opts.TokenFile != "" {
		if tok != "" {
			return usageError(fmt.Errorf("--token and --token-file: give one"))
		}
		var err error
		if tok, err = serve.ReadTokenFile(opts.TokenFile); err != nil {
			return usageError(stripKind(err))
		}
	}
	if tok == "" && !serve.Loopback(opts.Addr) {
		return usageError(fmt.Errorf("ferry serve on %s, which is not a loopback address, needs --token or --token-file", opts.Addr))
	}
	c, err := g.engine("ferry serve")
	if err != nil {
		return err
	}
	tokenPath := ""
	if tok == "" {
		// Loopback without a token: actions still need one. It is kept in
		// a 0600 file beside the state, never printed.
		tf, err := serve.ProjectToken(c.Project.Dir)
		if errors.Is(err, confine.ErrRefused) {
			return usageError(err)
		}
		if err != nil {
			return targetError(err)
		}
		tok, tokenPath = tf.Token, tf.Path
		if tf.Notice != "" {
			fmt.Fprintf(g.streams.ErrOut, "ferry serve: %s\n", tf.Notice)
		}
	}
	srv, err := serve.New(serve.Options{
		Addr:  opts.Addr,
		Token: tok,
		Hosts: opts.Hosts,
		Config: func() *promote.Config {
			// A fresh Config per action records its own user; should the
			// project have become unreadable since, act on the one read at
			// start rather than fail the page.
			if fresh, err := g.engine("ferry serve"); err == nil {
				return fresh
			}
			return c
		},
		Interval: opts.Interval,
		Logger:   g.logger(),
	})
	if err != nil {
		return engineErr(err)
	}
	err = srv.Run(ctx, func(addr string) {
		fmt.Fprintf(g.streams.ErrOut, "ferry serve: http://%s/\n", addr)
		if tokenPath != "" {
			fmt.Fprintf(g.streams.ErrOut, "actions need the token in %s (open http://%s/?token=… once)\n", tokenPath, addr)
		}
	})
	if err != nil && ctx.Err() == nil {
		return targetError(err)
	}
	return nil
}
