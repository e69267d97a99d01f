package check

import (
	"testing"

	"github.com/ferrydev/ferry/render"
)

func TestBadDuration(t *testing.T) {
	testRule(t, "FERRY050", []ruleCase{
		{
			name: "plain number",
			in:   inputOf(envOf("prod", "SHUTDOWN_GRACE_PERIOD=30")),
			want: []string{"error prod SHUTDOWN_GRACE_PERIOD"},
		},
		{
			name: "word",
			in:   inputOf(envOf("prod", "MQTT_KEEP_ALIVE=forever")),
			want: []string{"error prod MQTT_KEEP_ALIVE"},
		},
		{
			name: "near miss: durations with units; REQUEST_TIMEOUT is plain seconds",
			in:   inputOf(envOf("prod", "SHUTDOWN_GRACE_PERIOD=1m30s", "REDIS_STREAMS_BLOCK_TIMEOUT=500ms", "REQUEST_TIMEOUT=5")),
		},
	})
}

func TestGraceExceedsTermination(t *testing.T) {
	pod := func(e *Env, term int) *Env {
		return withWorkload(e, render.Workload{TerminationGracePeriodSeconds: term})
	}
	testRule(t, "FERRY051", []ruleCase{
		{
			name: "both defaults: 30s drain, 30s kill",
			in:   inputOf(pod(envOf("prod"), 30)),
			want: []string{"error prod SHUTDOWN_GRACE_PERIOD"},
		},
		{
			name: "longer than the pod's grace",
			in:   inputOf(pod(envOf("prod", "SHUTDOWN_GRACE_PERIOD=45s"), 40)),
			want: []string{"error prod SHUTDOWN_GRACE_PERIOD"},
		},
		{
			name: "near miss: 25s inside 30s",
			in:   inputOf(pod(envOf("prod", "SHUTDOWN_GRACE_PERIOD=25s"), 30)),
		},
		{
			name: "near miss: no workload (local project)",
			in:   inputOf(envOf("prod", "SHUTDOWN_GRACE_PERIOD=45s")),
		},
	})
}

func TestPortMismatch(t *testing.T) {
	pod := func(e *Env, ports map[string]int, probes map[string]render.Probe) *Env {
		return withWorkload(e, render.Workload{Containers: []render.Container{{Name: "app", Template: "chart/templates/deployment.yaml", Ports: ports, Probes: probes}}})
	}
	good := map[string]render.Probe{"liveness": {Path: "/.well-known/alive", Port: "http"}, "readiness": {Path: "/.well-known/health", Port: "8000"}}
	testRule(t, "FERRY052", []ruleCase{
		{
			name: "HTTP_PORT equals METRICS_PORT",
			in:   inputOf(envOf("prod", "HTTP_PORT=8000", "METRICS_PORT=8000")),
			want: []string{"error prod HTTP_PORT"},
		},
		{
			name: "container port disagrees with HTTP_PORT",
			in:   inputOf(pod(envOf("prod", "HTTP_PORT=9000"), map[string]int{"http": 8000, "metrics": 2121}, nil)),
			want: []string{"error prod HTTP_PORT"},
		},
		{
			name: "probe on another path and on the metrics port",
			in:   inputOf(pod(envOf("prod"), map[string]int{"http": 8000, "metrics": 2121}, map[string]render.Probe{"liveness": {Path: "/healthz", Port: "http"}, "readiness": {Path: "/.well-known/health", Port: "metrics"}})),
			want: []string{"error prod HTTP_PORT", "error prod HTTP_PORT"},
		},
		{
			name: "near miss: defaults everywhere, probes by name and number",
			in:   inputOf(pod(envOf("prod"), map[string]int{"http": 8000, "metrics": 2121}, good)),
		},
	})
}

func TestInvalidValue(t *testing.T) {
	testRule(t, "FERRY053", []ruleCase{
		{
			name: "port with a colon, count with a unit, yes for a bool, 1 for exact true",
			in:   inputOf(envOf("prod", "HTTP_PORT=:8000", "DB_MAX_OPEN_CONNECTION=10conns", "LOG_DISABLE_PROBES=yes", "REDIS_TLS_ENABLED=1")),
			want: []string{"error prod DB_MAX_OPEN_CONNECTION", "error prod HTTP_PORT", "error prod LOG_DISABLE_PROBES", "error prod REDIS_TLS_ENABLED"},
		},
		{
			name: "port out of range",
			in:   inputOf(envOf("prod", "GRPC_PORT=70000")),
			want: []string{"error prod GRPC_PORT"},
		},
		{
			name: "near miss: well-formed values, METRICS_PORT=0 disables",
			in:   inputOf(envOf("prod", "HTTP_PORT=8000", "METRICS_PORT=0", "DB_MAX_OPEN_CONNECTION=10", "LOG_DISABLE_PROBES=true", "REDIS_TLS_ENABLED=true", "GRPC_ENABLE_REFLECTION=TRUE")),
		},
	})
}

func TestMetricsOffDrain(t *testing.T) {
	testRule(t, "FERRY054", []ruleCase{
		{
			name: "metrics off",
			in:   inputOf(envOf("prod", "METRICS_PORT=0")),
			want: []string{"warning prod METRICS_PORT"},
		},
		{
			name: "near miss: 00 is a bad value GoFr turns into 2121, not off",
			in:   inputOf(envOf("prod", "METRICS_PORT=00")),
		},
	})
}

func TestConfigNotRolled(t *testing.T) {
	pod := func(e *Env, ann map[string]string, reads []string, objects ...render.Object) *Env {
		withWorkload(e, render.Workload{PodAnnotations: ann, Reads: reads})
		e.Result.Objects = append(e.Result.Objects, objects...)
		return e
	}
	cm := render.Object{Kind: "ConfigMap", Name: "app-config"}
	testRule(t, "FERRY055", []ruleCase{
		{
			name: "rendered ConfigMap without checksum",
			in:   inputOf(pod(envOf("prod"), nil, []string{"ConfigMap/app-config"}, cm)),
			want: []string{"warning prod Deployment/app"},
		},
		{
			name: "near miss: checksum annotation present",
			in:   inputOf(pod(envOf("prod"), map[string]string{"checksum/config": "abc"}, []string{"ConfigMap/app-config"}, cm)),
		},
		{
			name: "a checksum keyed by another object's name does not cover this one",
			in: inputOf(pod(envOf("prod"), map[string]string{"checksum-configmap-app-routes": "abc"}, []string{"ConfigMap/app-config"},
				cm, render.Object{Kind: "ConfigMap", Name: "app-routes"})),
			want: []string{"warning prod Deployment/app"},
		},
		{
			name: "near miss: a checksum keyed by the object's name",
			in: inputOf(pod(envOf("prod"), map[string]string{"checksum-configmap-app-config": "abc"}, []string{"ConfigMap/app-config"},
				cm, render.Object{Kind: "ConfigMap", Name: "app-routes"})),
		},
		{
			name: "near miss: reads only a Secret created outside the chart",
			in:   inputOf(pod(envOf("prod"), nil, []string{"Secret/db"})),
		},
	})
}
