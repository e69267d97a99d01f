// Package allocs lets bench/kit/run.sh count a server's heap allocations
// over a load run: on SIGUSR1 the server prints its running total.
package allocs

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/metrics"
	"syscall"
)

// ReportOnSignal prints "allocs=N bytes=B gcs=G" (heap objects and bytes
// allocated, and GC cycles completed, since start) to stderr on every
// SIGUSR1.
func ReportOnSignal() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
		for range c {
			metrics.Read(s)
			fmt.Fprintf(os.Stderr, "allocs=%d bytes=%d gcs=%d\n", s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64())
		}
	}()
}
