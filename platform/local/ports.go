package local

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

// portKeys are the variables services read their HTTP port from, in the
// order ferry believes them: GoFr's and kit's HTTP_PORT, then the
// conventions of plain net/http services and other frameworks.
var portKeys = []string{"HTTP_PORT", "PORT", "SERVER_PORT", "APP_PORT"}

// gofrKeys are variables only a GoFr-style service reads: with one of
// them and no port variable, the service listens on GoFr's defaults
// (HTTP 8000, metrics 2121).
var gofrKeys = []string{"APP_NAME", "METRICS_PORT", "REMOTE_LOG_URL", "TRACE_EXPORTER", "DB_DIALECT"}

// The optional interfaces (platform/capabilities.go) the local target
// implements; a change of signature there fails here.
var (
	_ platform.Reattacher    = (*Local)(nil)
	_ platform.ConfigsReader = (*Local)(nil)
	_ platform.DirectMetrics = (*Local)(nil)
)

// DirectMetrics implements platform.DirectMetrics: the processes serve
// their metrics on this machine, where a soak scrapes them.
func (l *Local) DirectMetrics() {}

// servicePort is the port the service of env with configuration vars
// answers HTTP on, and what says so: ferry.yaml's port:, the port of its
// health: URL, a port variable, GoFr's default. 0 when nothing says:
// the port is then learnt from what the new process listens on.
func servicePort(env *project.Environment, vars map[string]string) (int, string) {
	if env != nil && Of(env).Port > 0 {
		return Of(env).Port, "ferry.yaml port:"
	}
	if env != nil && env.Health != "" {
		if n := urlPort(env.Health); n > 0 {
			return n, "ferry.yaml health:"
		}
	}
	for _, k := range portKeys {
		if n, ok := intVar(vars, k); ok && n > 0 {
			return n, k
		}
	}
	if gofr(vars) {
		return 8000, "GoFr's default HTTP_PORT"
	}
	return 0, ""
}

// metricsPort is the port a GoFr-style service serves /metrics on: its
// METRICS_PORT (0 turns it off), else GoFr's 2121 when the service is
// GoFr-style; 0 for any other service.
func metricsPort(vars map[string]string) int {
	if n, ok := intVar(vars, "METRICS_PORT"); ok {
		return n
	}
	if _, ok := vars["METRICS_PORT"]; !ok && gofr(vars) {
		return 2121
	}
	return 0
}

func gofr(vars map[string]string) bool {
	if _, ok := vars["HTTP_PORT"]; ok {
		return true
	}
	for _, k := range gofrKeys {
		if _, ok := vars[k]; ok {
			return true
		}
	}
	return false
}

func intVar(vars map[string]string, key string) (int, bool) {
	v, ok := vars[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

// urlPort is the port of u, explicit or its scheme's; 0 when u is no URL.
func urlPort(u string) int {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return 0
	}
	if p := pu.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	switch pu.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// healthURL is where the service's health endpoint is: ferry.yaml's
// health:, else /.well-known/health on port of this machine; "" when
// the port is not known yet.
func healthURL(env *project.Environment, port int) string {
	if env != nil && env.Health != "" {
		return env.Health
	}
	if port <= 0 {
		return ""
	}
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/health"
}

// base is the service's base URL for a health URL: scheme and host.
func base(healthURL string) string {
	pu, err := url.Parse(healthURL)
	if err != nil || pu.Host == "" {
		return ""
	}
	return pu.Scheme + "://" + pu.Host
}
