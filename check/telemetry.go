package check

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Telemetry rules: traces must reach a collector GoFr can talk to, tell
// the environments apart, and logs must use a level GoFr knows.

func init() {
	register(
		Rule{
			ID: "FERRY014", Name: "shared-telemetry", Severity: Warning,
			Summary: "Environments share a trace collector without a deployment.environment attribute",
			Help: "GoFr emits no environment in traces (it sets only service.name from APP_NAME), so " +
				"spans from two environments that export to the same TRACER_URL cannot be told apart. " +
				"OTEL_RESOURCE_ATTRIBUTES is merged into GoFr's resource: set " +
				"deployment.environment=<env> (or deployment.environment.name) there in each environment.",
			Check: checkSharedTelemetry,
		},
		Rule{
			ID: "FERRY020", Name: "tracer-url-scheme", Severity: Error,
			Summary: "OTLP TRACER_URL has a scheme",
			Help: "With TRACE_EXPORTER=otlp (or jaeger) GoFr passes TRACER_URL to the OTLP/gRPC " +
				"exporter's WithEndpoint, which takes a bare host:port; a URL with http:// or https:// " +
				"is an invalid gRPC target and no span is ever exported. Write TRACER_URL as host:4317.",
			Check: checkTracerScheme,
		},
		Rule{
			ID: "FERRY021", Name: "tracer-url-port", Severity: Error,
			Summary: "OTLP TRACER_URL points at the OTLP/HTTP port 4318",
			Help: "GoFr's otlp exporter speaks OTLP over gRPC (port 4317 by convention); 4318 is " +
				"OTLP/HTTP and silently receives nothing. Use the collector's gRPC port, 4317.",
			Check: checkTracerPort,
		},
		Rule{
			ID: "FERRY022", Name: "tracer-ratio", Severity: Error,
			Summary: "TRACER_RATIO is not a number in [0,1]",
			Help: "GoFr parses TRACER_RATIO as a float; a value that does not parse becomes 0, so no " +
				"root span is ever sampled, and a value outside [0,1] is clamped. Set a number between " +
				"0 and 1, such as 0.1.",
			Check: checkTracerRatio,
		},
		Rule{
			ID: "FERRY023", Name: "log-level", Severity: Error,
			Summary: "LOG_LEVEL is unknown, or DEBUG in the last environment",
			Help: "GoFr knows DEBUG, INFO, NOTICE, WARN, ERROR and FATAL (case-insensitive) and " +
				"silently turns any other value into INFO (error). DEBUG in the last environment of the " +
				"path logs request details in production (warning). Use one of the six levels, and INFO " +
				"or above in production.",
			Check: checkLogLevel,
		},
	)
}

// tracerURL is the URL GoFr exports spans to in env, "" when tracing is
// off.
func tracerURL(e *Env) (url, exporter string) {
	exporter = strings.ToLower(strings.TrimSpace(mustValue(e, "TRACE_EXPORTER")))
	url = strings.TrimSpace(mustValue(e, "TRACER_URL"))
	if url == "" && exporter == "gofr" {
		url = "https://tracer-api.gofr.dev/api/spans"
	}
	return url, exporter
}

// envAttribute returns the deployment.environment resource attribute of
// env's OTEL_RESOURCE_ATTRIBUTES.
func envAttribute(e *Env) (string, bool) {
	attrs, ok := e.value("OTEL_RESOURCE_ATTRIBUTES")
	if !ok {
		return "", false
	}
	for _, kv := range strings.Split(attrs, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if ok && (k == "deployment.environment" || k == "deployment.environment.name") && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// collector is where env sends traces: GoFr's TRACER_URL, else the
// OpenTelemetry SDKs' OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT (any runtime). A node-local agent
// (localhost) is one per node, not shared.
func collector(e *Env) (url, key string) {
	if u, _ := tracerURL(e); u != "" {
		return u, "TRACER_URL"
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if u, ok := e.value(k); ok {
			if ep, ok := parseURL(u); ok && anyLoopback(ep) {
				return "", ""
			}
			return strings.TrimSpace(u), k
		}
	}
	return "", ""
}

func checkSharedTelemetry(in *Input) []Finding {
	var out []Finding
	g := groupBy(in.Envs, func(e *Env) (string, bool) {
		url, _ := collector(e)
		id := strings.ToLower(strings.TrimSuffix(url, "/"))
		// A short Service name (otel-collector:4317) is the collector
		// of the environment's own namespace, as for datasources.
		_, rest, ok := strings.Cut(id, "://")
		if !ok {
			rest = id
		}
		host, _, _ := strings.Cut(strings.SplitN(rest, "/", 2)[0], ":")
		if e.Spec != nil && !strings.Contains(host, ".") && !loopback(host) {
			id += " in " + e.Spec.Namespace
		}
		return id, url != ""
	})
	for _, envs := range g.groups() {
		seen := map[string]bool{}
		distinct := true
		for _, e := range envs {
			a, ok := envAttribute(e)
			if !ok || seen[a] {
				distinct = false
				break
			}
			seen[a] = true
		}
		if distinct {
			continue
		}
		url, key := collector(envs[0])
		out = append(out, Finding{
			Environments: names(envs), Key: key,
			Locations: locs(envs, []string{key, "OTEL_RESOURCE_ATTRIBUTES"}, nil),
			Message: fmt.Sprintf("%s export traces to the same collector %s (%s set at %s) without a distinct deployment.environment resource attribute: "+
				"set OTEL_RESOURCE_ATTRIBUTES=deployment.environment=<env> in each environment.",
				andList(names(envs)), url, key, sourcesOf(envs, key, "")),
		})
	}
	return out
}

func otlp(exporter string) bool { return exporter == "otlp" || exporter == "jaeger" }

func checkTracerScheme(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		url, exp := tracerURL(e)
		if !otlp(exp) || !strings.Contains(url, "://") {
			continue
		}
		_, rest, _ := strings.Cut(url, "://")
		rest = strings.TrimSuffix(rest, "/")
		l := e.loc("TRACER_URL", "")
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "TRACER_URL",
			Locations: []Location{l, e.loc("TRACE_EXPORTER", "")},
			Message: fmt.Sprintf("%s: TRACER_URL=%q (set at %s) has a scheme, which GoFr's OTLP/gRPC exporter cannot dial: write it as %q.",
				e.Name, url, where(l), rest),
		})
	}
	return out
}

func checkTracerPort(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		url, exp := tracerURL(e)
		if !otlp(exp) || url == "" {
			continue
		}
		hostport := url
		if _, rest, ok := strings.Cut(url, "://"); ok {
			hostport = rest
		}
		hostport, _, _ = strings.Cut(hostport, "/")
		host, port, err := net.SplitHostPort(hostport)
		if err != nil || port != "4318" {
			continue
		}
		l := e.loc("TRACER_URL", "")
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "TRACER_URL",
			Locations: []Location{l, e.loc("TRACE_EXPORTER", "")},
			Message: fmt.Sprintf("%s: TRACER_URL=%q (set at %s) is the OTLP/HTTP port, but GoFr exports over gRPC: use %s.",
				e.Name, url, where(l), net.JoinHostPort(host, "4317")),
		})
	}
	return out
}

func checkTracerRatio(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		v, ok := e.value("TRACER_RATIO")
		if !ok {
			continue
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && r >= 0 && r <= 1 {
			continue
		}
		why := "is not a number, so GoFr samples no traces at all"
		if err == nil {
			why = "is outside [0,1]"
		}
		l := e.loc("TRACER_RATIO", "")
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "TRACER_RATIO",
			Locations: []Location{l},
			Message:   fmt.Sprintf("%s: TRACER_RATIO=%q (set at %s) %s: set a number between 0 and 1.", e.Name, v, where(l), why),
		})
	}
	return out
}

var logLevels = []string{"DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"}

func checkLogLevel(in *Input) []Finding {
	var out []Finding
	last := in.last()
	for _, e := range in.Envs {
		v, ok := e.value("LOG_LEVEL")
		if !ok {
			continue
		}
		l := e.loc("LOG_LEVEL", "")
		up := strings.ToUpper(strings.TrimSpace(v))
		known := false
		for _, lv := range logLevels {
			known = known || lv == up
		}
		switch {
		case !known:
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "LOG_LEVEL", Severity: Error,
				Locations: []Location{l},
				Message: fmt.Sprintf("%s: LOG_LEVEL=%q (set at %s) is not a level GoFr knows, so it logs at INFO: use one of %s.",
					e.Name, v, where(l), strings.Join(logLevels, ", ")),
			})
		case up == "DEBUG" && e == last:
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "LOG_LEVEL", Severity: Warning,
				Locations: []Location{l},
				Message: fmt.Sprintf("%s is the last environment of the path and logs at DEBUG (set at %s): set LOG_LEVEL=INFO there and raise it at run time when needed.",
					e.Name, where(l)),
			})
		}
	}
	return out
}
