package trace

import (
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
