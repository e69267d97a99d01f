package check

import "testing"

func TestSharedTelemetry(t *testing.T) {
	otlpTo := func(name string, pairs ...string) *Env {
		return envOf(name, append([]string{"TRACE_EXPORTER=otlp", "TRACER_URL=otel.observability:4317" + base + "29"}, pairs...)...)
	}
	testRule(t, "FERRY014", []ruleCase{
		{
			name: "same collector, no attribute",
			in:   inputOf(otlpTo("staging"), otlpTo("prod")),
			want: []string{"warning prod,staging TRACER_URL"},
		},
		{
			name: "same collector, same attribute",
			in:   inputOf(otlpTo("staging", "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod"), otlpTo("prod", "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod")),
			want: []string{"warning prod,staging TRACER_URL"},
		},
		{
			name: "near miss: per-environment attribute (new semconv name)",
			in: inputOf(otlpTo("staging", "OTEL_RESOURCE_ATTRIBUTES=service.version=1,deployment.environment.name=staging"),
				otlpTo("prod", "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod")),
		},
		{
			// A short Service name is each namespace's own collector
			// (eval5 todo: otel-collector:4317 in ci and in prod).
			name: "near miss: one short name in two namespaces",
			in:   inputOf(envOf("staging", "TRACE_EXPORTER=otlp", "TRACER_URL=otel:4317"), envOf("prod", "TRACE_EXPORTER=otlp", "TRACER_URL=otel:4317")),
		},
		{
			name: "near miss: different collectors",
			in:   inputOf(envOf("staging", "TRACE_EXPORTER=otlp", "TRACER_URL=otel.staging:4317"), envOf("prod", "TRACE_EXPORTER=otlp", "TRACER_URL=otel.prod:4317")),
		},
	})
}

func TestTracerURLScheme(t *testing.T) {
	testRule(t, "FERRY020", []ruleCase{
		{
			name: "http scheme with otlp",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=OTLP", "TRACER_URL=http://otel:4317")),
			want: []string{"error prod TRACER_URL"},
		},
		{
			name: "https scheme with jaeger (same exporter)",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=jaeger", "TRACER_URL=https://otel:4317")),
			want: []string{"error prod TRACER_URL"},
		},
		{
			name: "near miss: zipkin takes a full URL",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=zipkin", "TRACER_URL=http://zipkin:9411/api/v2/spans")),
		},
		{
			name: "near miss: bare host:port",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=otlp", "TRACER_URL=otel:4317")),
		},
	})
}

func TestTracerURLPort(t *testing.T) {
	testRule(t, "FERRY021", []ruleCase{
		{
			name: "OTLP/HTTP port",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=otlp", "TRACER_URL=otel:4318")),
			want: []string{"error prod TRACER_URL"},
		},
		{
			name: "OTLP/HTTP port behind a scheme",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=otlp", "TRACER_URL=http://otel:4318")),
			want: []string{"error prod TRACER_URL"},
		},
		{
			name: "near miss: 4318 for zipkin",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=zipkin", "TRACER_URL=http://z:4318/api/v2/spans")),
		},
		{
			name: "near miss: gRPC port",
			in:   inputOf(envOf("prod", "TRACE_EXPORTER=otlp", "TRACER_URL=otel:4317")),
		},
	})
}

func TestTracerRatio(t *testing.T) {
	testRule(t, "FERRY022", []ruleCase{
		{
			name: "percent",
			in:   inputOf(envOf("prod", "TRACER_RATIO=10%")),
			want: []string{"error prod TRACER_RATIO"},
		},
		{
			name: "above one",
			in:   inputOf(envOf("prod", "TRACER_RATIO=1.5")),
			want: []string{"error prod TRACER_RATIO"},
		},
		{
			name: "near miss: bounds",
			in:   inputOf(envOf("staging", "TRACER_RATIO=1"), envOf("prod", "TRACER_RATIO=0")),
		},
	})
}

func TestLogLevel(t *testing.T) {
	testRule(t, "FERRY023", []ruleCase{
		{
			name: "unknown level",
			in:   inputOf(envOf("staging", "LOG_LEVEL=verbose"), envOf("prod", "LOG_LEVEL=INFO")),
			want: []string{"error staging LOG_LEVEL"},
		},
		{
			name: "debug in the last environment",
			in:   inputOf(envOf("staging", "LOG_LEVEL=DEBUG"), envOf("prod", "LOG_LEVEL=debug")),
			want: []string{"warning prod LOG_LEVEL"},
		},
		{
			name: "near miss: debug before the last environment, lower-case known level",
			in:   inputOf(envOf("staging", "LOG_LEVEL=DEBUG"), envOf("prod", "LOG_LEVEL=warn")),
		},
	})
}
