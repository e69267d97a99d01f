package trace

import (
	"context"
	"errors"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in       string
		endpoint string
		tls      bool
		err      error
	}{
		{"otel-collector:4317", "otel-collector:4317", false, nil},
		{"http://otel-collector:4317", "otel-collector:4317", false, nil},
		{"https://api.example.com:443", "api.example.com:443", true, nil},
		{"collector:4318", "", false, ErrOTLPHTTPPort},
		{"http://collector:4318", "", false, ErrOTLPHTTPPort},
		{"collector", "", false, ErrNoPort},
	}
	for _, tt := range tests {
		ep, tls, err := ParseURL(tt.in)
		if ep != tt.endpoint || tls != tt.tls || !errors.Is(err, tt.err) {
			t.Errorf("ParseURL(%q) = %q, %v, %v; want %q, %v, %v", tt.in, ep, tls, err, tt.endpoint, tt.tls, tt.err)
		}
	}
	if _, _, err := ParseURL("http://c:4317/v1/traces"); err == nil {
		t.Error("ParseURL with a path = nil error, want one (an OTLP/HTTP path on a gRPC exporter)")
	}
}

// TestWithIDs: a root span started with WithIDs takes those IDs, so that
// a sampling decision made on them before the SDK is asked stays true.
func TestWithIDs(t *testing.T) {
	tp, err := New(context.Background(), Config{Exporter: "otlp", Endpoint: "127.0.0.1:1", Ratio: 1, ServiceName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Shutdown(context.Background())
	tr := tp.Tracer("t")
	tid, sid := NewIDs()
	ctx, span := tr.Start(WithIDs(context.Background(), tid, sid), "root")
	if sc := span.SpanContext(); sc.TraceID() != tid || sc.SpanID() != sid || !sc.IsSampled() {
		t.Errorf("root span %s/%s sampled=%v, want %s/%s sampled", sc.TraceID(), sc.SpanID(), sc.IsSampled(), tid, sid)
	}
	_, child := tr.Start(ctx, "child")
	if sc := child.SpanContext(); sc.TraceID() != tid || sc.SpanID() == sid {
		t.Errorf("child span %s/%s, want trace %s and a span ID of its own", sc.TraceID(), sc.SpanID(), tid)
	}
	_, other := tr.Start(context.Background(), "other root")
	if other.SpanContext().TraceID() == tid {
		t.Error("a root started without WithIDs reused the preset trace ID")
	}
}
