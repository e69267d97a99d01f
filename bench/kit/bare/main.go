// Command bare serves GET /hello on net/http alone, with the same body as
// hello's kit mode: the baseline bench/kit/run.sh measures kit against. It
// is a binary of its own so that its memory is net/http's, not that of a
// binary which also links kit.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/ferrydev/ferry/bench/kit/internal/allocs"
)

func main() {
	port := flag.Int("port", 8000, "HTTP port")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here between two SIGUSR2s")
	flag.Parse()
	allocs.ReportOnSignal()
	allocs.ProfileOnSignal(*cpuprofile)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(struct {
			Data any `json:"data"`
		}{"hello"})
	})
	fmt.Fprintln(os.Stderr, http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), mux))
	os.Exit(1)
}
