// Command ferry renders, checks and promotes one Go service's artifact
// through its environments. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrydev/ferry/internal/cli"
	// First: the GC's pace must be set before the heavy package inits.
	_ "github.com/ferrydev/ferry/internal/gcpace"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
