// Command hello serves GET /hello through kit with every middleware on
// (request log at INFO, metrics, tracing at ratio 0 with an OTLP exporter
// configured), for bench/kit/run.sh; bench/kit/bare is the same on bare
// net/http.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"testing/fstest"

	"github.com/ferrydev/ferry/bench/kit/internal/allocs"
	"github.com/ferrydev/ferry/kit"
)

func main() {
	port := flag.Int("port", 8000, "HTTP port")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here between two SIGUSR2s")
	metrics := flag.Int("metrics-port", 2121, "metrics port (kit mode)")
	var extra envList
	flag.Var(&extra, "env", "KEY=VALUE added to kit's environment (repeatable), to measure one part at a time")
	flag.Parse()

	allocs.ReportOnSignal()
	allocs.ProfileOnSignal(*cpuprofile)
	hello := func(w http.ResponseWriter, r *http.Request) { kit.WriteJSON(w, http.StatusOK, "hello") }
	os.Exit(kit.Main(kit.Options{
		FS: fstest.MapFS{},
		Environ: append([]string{
			"APP_NAME=hello", "LOG_LEVEL=INFO",
			fmt.Sprintf("HTTP_PORT=%d", *port), fmt.Sprintf("METRICS_PORT=%d", *metrics),
			// Nothing listens there: at ratio 0 no span is exported, but
			// every request still goes through the tracer.
			"TRACE_EXPORTER=otlp", "TRACER_URL=127.0.0.1:4317", "TRACER_RATIO=0",
		}, extra...),
	}, func(app *kit.App) error {
		app.HandleFunc("GET /hello", hello)
		return nil
	}))
}

type envList []string

func (e *envList) String() string     { return fmt.Sprint(*e) }
func (e *envList) Set(s string) error { *e = append(*e, s); return nil }
