package trace

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip" // the server side of OTEL_EXPORTER_OTLP_COMPRESSION=gzip
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// collector is a real grpc-go OTLP trace service, the kind of server kit's
// client must interoperate with. fail answers the first calls with the
// given codes; partial is sent with a successful answer.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu      sync.Mutex
	fail    []codes.Code
	partial *collectortrace.ExportTracePartialSuccess
	calls   int
	names   []string
	md      metadata.MD
	tapped  metadata.MD
}

func (c *collector) Export(ctx context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.md, _ = metadata.FromIncomingContext(ctx)
	// grpc-go keeps its own headers (grpc-encoding) out of the metadata;
	// tap saw them.
	for k, v := range c.tapped {
		c.md.Set(k, v...)
	}
	if len(c.fail) > 0 {
		code := c.fail[0]
		c.fail = c.fail[1:]
		return nil, status.Error(code, "collector says "+code.String())
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.names = append(c.names, s.Name)
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{PartialSuccess: c.partial}, nil
}

// encodingTap records the request's grpc-encoding, which grpc-go keeps
// out of the metadata.
type encodingTap struct{ c *collector }

func (e encodingTap) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (e encodingTap) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (e encodingTap) HandleConn(context.Context, stats.ConnStats) {}
func (e encodingTap) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		e.c.mu.Lock()
		defer e.c.mu.Unlock()
		e.c.tapped = metadata.MD{"grpc-encoding": {h.Compression}}
	}
}

func serveCollector(t *testing.T, c *collector, opts ...grpc.ServerOption) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(append(opts, grpc.StatsHandler(encodingTap{c}))...)
	collectortrace.RegisterTraceServiceServer(s, c)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "collector"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func spans(names ...string) []*tracepb.ResourceSpans {
	var ss []*tracepb.Span
	for i, n := range names {
		ss = append(ss, &tracepb.Span{
			TraceId: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, byte(i + 1)},
			SpanId:  []byte{1, 2, 3, 4, 5, 6, 7, byte(i + 1)},
			Name:    n,
		})
	}
	return []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: ss}}}}
}

func TestGRPCClientExports(t *testing.T) {
	cert, pool := selfSigned(t)
	tests := []struct {
		name      string
		cfg       Config
		server    []grpc.ServerOption
		fail      []codes.Code
		partial   *collectortrace.ExportTracePartialSuccess
		wantErr   string // substring; "" for success
		wantCalls int
		wantNames []string
		wantMD    map[string]string
	}{
		{
			name: "plaintext h2c with headers", cfg: Config{Headers: map[string]string{"Authorization": "Bearer t0k", "x-team": "payments"}},
			wantCalls: 1, wantNames: []string{"GET /a", "GET /b"},
			wantMD: map[string]string{"authorization": "Bearer t0k", "x-team": "payments", "content-type": "application/grpc"},
		},
		{
			name: "TLS", cfg: Config{TLS: true}, server: []grpc.ServerOption{grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}}))},
			wantCalls: 1, wantNames: []string{"GET /a", "GET /b"},
		},
		{
			name: "gzip", cfg: Config{Gzip: true},
			wantCalls: 1, wantNames: []string{"GET /a", "GET /b"}, wantMD: map[string]string{"grpc-encoding": "gzip"},
		},
		{
			name: "transient codes are retried", fail: []codes.Code{codes.Unavailable, codes.Aborted},
			wantCalls: 3, wantNames: []string{"GET /a", "GET /b"},
		},
		{
			name: "a permanent code is not retried", fail: []codes.Code{codes.InvalidArgument, codes.Unavailable},
			wantErr: "collector says InvalidArgument", wantCalls: 1,
		},
		{
			name: "partial success is an error naming the rejected spans", partial: &collectortrace.ExportTracePartialSuccess{RejectedSpans: 1, ErrorMessage: "span too old"},
			wantErr: "span too old (1 spans rejected)", wantCalls: 1, wantNames: []string{"GET /a", "GET /b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := &collector{fail: tt.fail, partial: tt.partial}
			cfg := tt.cfg
			cfg.Endpoint = serveCollector(t, col, tt.server...)
			c := newGRPCClient(cfg)
			if cfg.TLS {
				c.transport.TLSClientConfig.RootCAs = pool
			}
			c.backoff = func(int) time.Duration { return 10 * time.Millisecond }
			defer c.Stop(context.Background())
			err := c.UploadTraces(context.Background(), spans("GET /a", "GET /b"))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("UploadTraces: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("UploadTraces error = %v, want one containing %q", err, tt.wantErr)
			}
			col.mu.Lock()
			defer col.mu.Unlock()
			if col.calls != tt.wantCalls {
				t.Errorf("collector got %d calls, want %d", col.calls, tt.wantCalls)
			}
			if diff := cmp.Diff(tt.wantNames, col.names); diff != "" {
				t.Errorf("span names (-want +got):\n%s", diff)
			}
			for k, v := range tt.wantMD {
				if got := col.md.Get(k); len(got) != 1 || got[0] != v {
					t.Errorf("metadata %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestGRPCClientUnreachable: nothing listens, so the export fails within
// its timeout, as UNAVAILABLE, instead of hanging the batcher.
func TestGRPCClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newGRPCClient(Config{Endpoint: addr, Timeout: 300 * time.Millisecond})
	c.backoff = func(int) time.Duration { return 50 * time.Millisecond }
	start := time.Now()
	err = c.UploadTraces(context.Background(), spans("GET /a"))
	if err == nil || !strings.Contains(err.Error(), "code = 14") {
		t.Fatalf("UploadTraces = %v, want UNAVAILABLE (code = 14)", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("UploadTraces took %s with a 300ms timeout", took)
	}
}

func TestGRPCTimeout(t *testing.T) {
	tests := map[time.Duration]string{
		0:                          "1n",
		250 * time.Millisecond:     "250000u",
		10 * time.Second:           "10000000u",
		200 * time.Second:          "200000m",
		2000 * time.Hour:           "7200000S",
		99999999 * time.Nanosecond: "99999999n",
	}
	for d, want := range tests {
		if got := grpcTimeout(d); got != want {
			t.Errorf("grpcTimeout(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestParseOTLPHeaders(t *testing.T) {
	got := ParseOTLPHeaders("api-key=a%20b, x-team = payments ,broken,=novalue,bad=%zz")
	want := map[string]string{"api-key": "a b", "x-team": "payments"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseOTLPHeaders (-want +got):\n%s", diff)
	}
}
