package allocs

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// ProfileOnSignal writes a CPU profile of the server to path between two
// SIGUSR2s, so that bare and kit can be profiled under the same load
// (go tool pprof -diff_base); nothing when path is empty.
func ProfileOnSignal(path string) {
	if path == "" {
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR2)
	go func() {
		var f *os.File
		for range c {
			if f == nil {
				var err error
				if f, err = os.Create(path); err != nil {
					fmt.Fprintln(os.Stderr, "cpuprofile:", err)
					continue
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					fmt.Fprintln(os.Stderr, "cpuprofile:", err)
				}
				continue
			}
			pprof.StopCPUProfile()
			f.Close()
			f = nil
			fmt.Fprintln(os.Stderr, "cpuprofile written:", path)
		}
	}()
}
