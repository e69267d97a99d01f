package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/project"
)

// A deploy repository holds the chart and no code: project.Load finds no
// go.mod and no configs/.env and calls the service generic. Its rendered
// configuration is then the evidence: GoFr's contract has key names no
// other framework uses (TRACE_EXPORTER, TRACER_URL, SHUTDOWN_GRACE_PERIOD,
// DB_MAX_OPEN_CONNECTION …) and defaults of its own (METRICS_PORT 2121).

// gofrOwnKeys are contract keys only GoFr reads by these names.
var gofrOwnKeys = []string{
	"TRACE_EXPORTER", "TRACER_URL", "TRACER_HOST", "TRACER_PORT", "TRACER_RATIO", "TRACER_AUTH_KEY", "TRACER_HEADERS",
	"SHUTDOWN_GRACE_PERIOD", "DB_MAX_OPEN_CONNECTION", "DB_MAX_IDLE_CONNECTION", "DB_REPLICA_HOSTS",
	"PUBSUB_BACKEND", "PUBSUB_BROKER", "REDIS_PUBSUB_DB", "REDIS_PUBSUB_MODE", "REDIS_STREAMS_CONSUMER_GROUP",
	"REMOTE_LOG_URL", "REMOTE_LOG_FETCH_INTERVAL", "CMD_LOGS_FILE", "GOFR_TELEMETRY", "LOG_DISABLE_PROBES",
}

// gofrDefaultKeys are contract keys other runtimes read too; they count
// only when set to GoFr's default (or, with no default, not at all alone).
var gofrDefaultKeys = map[string]string{"METRICS_PORT": "2121", "HTTP_PORT": "8000", "DB_DIALECT": ""}

// gofrEvidence returns the GoFr contract keys the environments' service
// configuration carries, as "TRACER_URL" or "METRICS_PORT=2121", and
// whether they are enough to call the service GoFr: three keys, two of
// them GoFr's own names or METRICS_PORT at GoFr's 2121.
func gofrEvidence(envs []*Env) ([]string, bool) {
	own, weak := map[string]bool{}, map[string]bool{}
	for _, e := range envs {
		if e.Result == nil {
			continue
		}
		for _, en := range e.Result.Config.Entries {
			switch def, ok := gofrDefaultKeys[en.Key]; {
			case slices.Contains(gofrOwnKeys, en.Key):
				own[en.Key] = true
			case ok && def == "2121" && strings.TrimSpace(en.Value) == def:
				own[en.Key+"="+def] = true
			case ok && (def == "" || strings.TrimSpace(en.Value) == def):
				k := en.Key
				if def != "" {
					k += "=" + def
				}
				weak[k] = true
			}
		}
	}
	keys := append(sortedSet(own), sortedSet(weak)...)
	return keys, len(own) >= 2 && len(keys) >= 3
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// runtimeFromConfig makes a service that project.Load called generic
// for want of code GoFr when its rendered configuration follows GoFr's
// contract. ferry.yaml's runtime: always wins.
func (in *Input) runtimeFromConfig() {
	p := in.Project
	if p == nil || p.Runtime != project.RuntimeGeneric || (p.File != nil && p.File.Runtime != "") {
		return
	}
	keys, ok := gofrEvidence(in.Envs)
	if !ok {
		return
	}
	p.Runtime = project.RuntimeGoFr
	p.RuntimeReason = fmt.Sprintf("the rendered configuration sets GoFr's contract keys %s (%s)", strings.Join(keys, ", "), p.RuntimeReason)
}
