// Command fluxbuild builds Flux's source-controller and
// kustomize-controller (hack/testcluster/flux) into the cache the gitops
// target's end-to-end tests run them from, unless they are there, and
// prints that directory. CI runs it once before the tests.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/ferrydev/ferry/platform/gitops/fluxtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bins, err := fluxtest.Locate()
	if err == nil {
		if err = bins.Build(ctx, os.Stderr); err == nil {
			fmt.Println(bins.Dir)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "fluxbuild:", err)
	os.Exit(1)
}
