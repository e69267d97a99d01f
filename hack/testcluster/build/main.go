// Command build builds the test control plane's binaries (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok) into
// internal/testcluster's cache directory, unless they are there already,
// and prints that directory. The first build takes about 8.5 minutes on
// two cores; CI runs it once before the tests (make testcluster).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bins, err := testcluster.Locate()
	if err == nil {
		start := time.Now()
		missing := bins.Missing()
		if err = bins.Build(ctx, os.Stderr); err == nil {
			if len(missing) > 0 {
				fmt.Fprintf(os.Stderr, "testcluster: %d binaries built in %s\n", len(missing), time.Since(start).Round(time.Second))
			} else {
				fmt.Fprintln(os.Stderr, "testcluster: binaries already built")
			}
			fmt.Println(bins.Dir)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "testcluster:", err)
	if ctx.Err() != nil {
		os.Exit(130)
	}
	os.Exit(1)
}
