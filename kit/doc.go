// Package kit is the runtime for Go services that follow GoFr's
// configuration contract: layered configs/ files chosen by APP_ENV (through
// envfile), the standard keys and ports, /.well-known/alive and
// /.well-known/health, Prometheus metrics, OTLP tracing, a log level that
// can change at run time, SQL and Redis datasources, GoFr-compatible
// migrations and graceful shutdown.
//
// A GoFr service's chart and configs work unchanged; where GoFr has a
// defect no working configuration can depend on, kit does the right thing:
// invalid values stop the start with the key, value and file:line; health
// answers 503 when a dependency is down or the process is draining;
// in-flight requests complete on SIGTERM whatever METRICS_PORT is; spans are
// flushed at exit; an https:// TRACER_URL uses TLS.
//
// Routes use net/http's mux patterns ("GET /orders/{id}"); handlers are
// plain http.Handlers. The smallest service:
//
//	func main() {
//		os.Exit(kit.Main(kit.Options{}, func(app *kit.App) error {
//			app.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
//				kit.WriteJSON(w, http.StatusOK, "hello")
//			})
//			return nil
//		}))
//	}
package kit
