package kit

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// FrameworkVersion is reported in app_info{framework_version}.
const FrameworkVersion = "kit-v0"

// scoped adds GoFr's otel_scope_* labels to the framework's app_* metrics,
// which dashboards built for GoFr filter on.
func scoped(reg prometheus.Registerer, s Settings) prometheus.Registerer {
	return prometheus.WrapRegistererWith(prometheus.Labels{
		"otel_scope_name":    s.AppName,
		"otel_scope_version": s.AppVersion,
	}, reg)
}

func registerMetrics(reg *prometheus.Registry, s Settings) error {
	sc := scoped(reg, s)
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "app_info", Help: "Info for app_name, app_version, framework_version and env.",
	}, []string{"app_name", "app_version", "framework_version", "env"})
	info.WithLabelValues(s.AppName, s.AppVersion, FrameworkVersion, s.AppEnv).Set(1)

	mem := func(f func(*runtime.MemStats) uint64) func() float64 {
		return func() float64 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(f(&m))
		}
	}
	cs := []prometheus.Collector{
		info,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "app_go_routines", Help: "Number of Go routines running."},
			func() float64 { return float64(runtime.NumGoroutine()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "app_sys_memory_alloc", Help: "Number of bytes allocated for heap objects."},
			mem(func(m *runtime.MemStats) uint64 { return m.Alloc })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "app_sys_total_alloc", Help: "Number of cumulative bytes allocated for heap objects."},
			mem(func(m *runtime.MemStats) uint64 { return m.TotalAlloc })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "app_go_numGC", Help: "Number of completed Garbage Collector cycles."},
			mem(func(m *runtime.MemStats) uint64 { return uint64(m.NumGC) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "app_go_sys", Help: "Number of total bytes of memory."},
			mem(func(m *runtime.MemStats) uint64 { return m.Sys })),
	}
	for _, c := range cs {
		if err := sc.Register(c); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("registering runtime metrics: %w", err)
		}
	}
	return nil
}

// metricsHandler serves /metrics and, as GoFr does on the same port,
// /debug/pprof: the metrics port is internal, never exposed by a Service
// meant for users.
func metricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
