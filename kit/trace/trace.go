// Package trace sets up OpenTelemetry tracing from GoFr's TRACE_EXPORTER /
// TRACER_* keys, with GoFr's defects fixed: an https:// TRACER_URL means
// TLS, the OTLP/HTTP port 4318 is refused instead of silently exporting
// nothing, the resource carries service.version and
// deployment.environment.name, and the provider is flushed at shutdown.
//
// Spans leave over OTLP/gRPC, spoken with net/http's HTTP/2 (see
// otlpgrpc.go) rather than grpc-go, which services would otherwise link
// and initialise for one call every few seconds.
package trace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
)

// Config is the tracing part of a service's configuration.
type Config struct {
	// Exporter is "otlp" or "jaeger" (both OTLP/gRPC); empty disables export.
	Exporter string
	// Endpoint is the collector's host:port; TLS says whether to use TLS.
	Endpoint string
	TLS      bool
	// Ratio samples root spans: ParentBased(TraceIDRatioBased(Ratio)).
	Ratio   float64
	Headers map[string]string
	// Timeout bounds one export, retries included (10s when zero);
	// Gzip compresses it. Both come from OTEL_EXPORTER_OTLP_(TRACES_)*,
	// which otlptracegrpc reads too.
	Timeout time.Duration
	Gzip    bool

	ServiceName    string // APP_NAME
	ServiceVersion string // APP_VERSION
	Environment    string // APP_ENV → deployment.environment.name
	// ResourceAttributes is OTEL_RESOURCE_ATTRIBUTES ("k=v,k2=v2"), read
	// from the service's configuration rather than the process so that a
	// value in configs/.env counts, as it does under GoFr.
	ResourceAttributes string
}

// Errors for TRACER_URL values that cannot work.
var (
	ErrOTLPHTTPPort = errors.New("port 4318 is OTLP/HTTP; kit exports OTLP/gRPC, usually on port 4317")
	ErrNoPort       = errors.New("no port: want host:port, such as otel-collector:4317")
)

// ParseURL reads TRACER_URL: a bare host:port means plaintext gRPC (GoFr's
// form), http://host:port plaintext, https://host:port TLS.
func ParseURL(raw string) (endpoint string, useTLS bool, err error) {
	hostport := raw
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", false, err
		}
		switch u.Scheme {
		case "http":
		case "https":
			useTLS = true
		default:
			return "", false, fmt.Errorf("scheme %q: want http or https", u.Scheme)
		}
		if u.Path != "" && u.Path != "/" {
			return "", false, fmt.Errorf("path %q: an OTLP/gRPC endpoint has no path", u.Path)
		}
		hostport = u.Host
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" || port == "" {
		return "", false, ErrNoPort
	}
	if port == "4318" {
		return "", false, ErrOTLPHTTPPort
	}
	return hostport, useTLS, nil
}

// Resource builds the service's resource: OTEL_RESOURCE_ATTRIBUTES first,
// then service.name, service.version and deployment.environment.name from
// the contract's keys, which win (as GoFr's APP_NAME wins).
func Resource(cfg Config) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	for _, kv := range strings.Split(cfg.ResourceAttributes, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		attrs = append(attrs, attribute.String(k, v))
	}
	attrs = append(attrs, semconv.ServiceName(cfg.ServiceName))
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.ServiceVersion))
	}
	if cfg.Environment != "" {
		attrs = append(attrs, semconv.DeploymentEnvironmentName(cfg.Environment))
	}
	// Later attributes win within NewSchemaless, so the contract's keys
	// override OTEL_RESOURCE_ATTRIBUTES.
	return resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
}

// New returns the tracer provider. Without an exporter it never samples,
// but still gives every request a trace ID for X-Correlation-ID and logs.
// The caller must Shutdown the provider to flush spans.
func New(ctx context.Context, cfg Config) (*sdktrace.TracerProvider, error) {
	res, err := Resource(cfg)
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	if cfg.Exporter == "" {
		return sdktrace.NewTracerProvider(sdktrace.WithSampler(Sampler(cfg)), sdktrace.WithResource(res), sdktrace.WithIDGenerator(idGenerator{})), nil
	}
	exp, err := otlptrace.New(ctx, newGRPCClient(cfg))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter for %s: %w", cfg.Endpoint, err)
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(Sampler(cfg)),
		sdktrace.WithIDGenerator(idGenerator{}),
	), nil
}

// Sampler is the provider's sampler: GoFr's
// ParentBased(TraceIDRatioBased(TRACER_RATIO)), or never without an
// exporter.
func Sampler(cfg Config) sdktrace.Sampler {
	if cfg.Exporter == "" {
		return sdktrace.NeverSample()
	}
	return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Ratio))
}

// SamplesRoots reports whether Sampler can ever sample a span without a
// parent: not without an exporter, nor at TRACER_RATIO 0.
func SamplesRoots(cfg Config) bool { return cfg.Exporter != "" && cfg.Ratio > 0 }

// ParseHeaders reads TRACER_HEADERS: "K1=V1,K2=V2", split on the first
// "=", trimmed, empty pairs dropped.
func ParseHeaders(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || v == "" {
			continue
		}
		out[k] = v
	}
	return out
}

// ParseOTLPHeaders reads OTEL_EXPORTER_OTLP_HEADERS as the exporter does:
// "k=v,k2=v2" with percent-encoded values; a pair without "=" or with an
// undecodable value is dropped.
func ParseOTLPHeaders(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			continue
		}
		out[k] = strings.TrimSpace(dv)
	}
	return out
}
