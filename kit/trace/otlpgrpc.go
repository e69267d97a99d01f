package trace

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// grpcClient is an otlptrace.Client that speaks OTLP/gRPC's one unary
// call (TraceService/Export) over net/http's HTTP/2 — h2c for a plaintext
// endpoint, h2 over TLS for https — instead of through grpc-go. The wire
// is the same; what differs is what every service binary links and
// initialises at start: grpc-go, its generated stubs and their
// registries held about 6 MB of an idle service's 20 MB resident, for one
// call every few seconds.
type grpcClient struct {
	url         string
	headers     map[string]string
	timeout     time.Duration
	gzip        bool
	hc          *http.Client
	backoff     func(attempt int) time.Duration
	userAgent   string
	transport   *http.Transport
	maxResponse int64
}

// exportPath is the gRPC method OTLP/gRPC defines for traces.
const exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// Retry timing of otlptracegrpc's defaults: 5 s, half again each time, up to
// 30 s, each randomised by half, within the export's deadline.
const (
	retryInitial = 5 * time.Second
	retryMax     = 30 * time.Second
)

func newGRPCClient(cfg Config) *grpcClient {
	tr := &http.Transport{
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     5 * time.Minute,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	var p http.Protocols
	scheme := "http://"
	if cfg.TLS {
		scheme = "https://"
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		// Tunnelled through HTTPS_PROXY (CONNECT) as grpc-go did; a
		// plaintext collector is dialled directly, since h2c cannot go
		// through a proxy that reads the request.
		tr.Proxy = http.ProxyFromEnvironment
		p.SetHTTP2(true)
	} else {
		// Prior-knowledge HTTP/2 without TLS, as a gRPC server expects on
		// a plaintext port.
		p.SetUnencryptedHTTP2(true)
	}
	tr.Protocols = &p
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &grpcClient{
		url:         scheme + cfg.Endpoint + exportPath,
		headers:     cfg.Headers,
		timeout:     timeout,
		gzip:        cfg.Gzip,
		hc:          &http.Client{Transport: tr},
		transport:   tr,
		userAgent:   "OTel OTLP Exporter Go/" + otlptrace.Version() + " (kit)",
		maxResponse: 4 << 20,
		backoff: func(attempt int) time.Duration {
			d := retryInitial
			for range attempt {
				d = d * 3 / 2
			}
			d = min(d, retryMax)
			// ±50%, as backoff's RandomizationFactor 0.5 does.
			return d/2 + rand.N(d)
		},
	}
}

// Start implements otlptrace.Client; the connection is made on the first
// export.
func (c *grpcClient) Start(context.Context) error { return nil }

// Stop implements otlptrace.Client.
func (c *grpcClient) Stop(context.Context) error {
	c.transport.CloseIdleConnections()
	return nil
}

// UploadTraces implements otlptrace.Client: one Export call, retried on
// the status codes OTLP calls transient until the export's deadline.
func (c *grpcClient) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	msg, err := exportRequest(spans)
	if err != nil {
		return err
	}
	frame, err := c.frame(msg)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := c.call(ctx, frame)
		var st *grpcStatus
		if err == nil || !errors.As(err, &st) || !st.retryable() {
			return err
		}
		wait := c.backoff(attempt)
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// exportRequest encodes ExportTraceServiceRequest, whose only field is
// `repeated ResourceSpans resource_spans = 1`: encoding it here keeps the
// collector package, and the grpc-go stubs that come with it, out of the
// binary.
func exportRequest(spans []*tracepb.ResourceSpans) ([]byte, error) {
	var b []byte
	for _, rs := range spans {
		m, err := proto.Marshal(rs)
		if err != nil {
			return nil, fmt.Errorf("encoding spans: %w", err)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b, nil
}

// frame is gRPC's length-prefixed message: a compressed flag, the length
// (big-endian uint32) and the message.
func (c *grpcClient) frame(msg []byte) ([]byte, error) {
	flag := byte(0)
	if c.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(msg); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		msg, flag = buf.Bytes(), 1
	}
	out := make([]byte, 5, 5+len(msg))
	out[0] = flag
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...), nil
}

func (c *grpcClient) call(ctx context.Context, frame []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(frame))
	if err != nil {
		return fmt.Errorf("otlp export: %w", err)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	req.Header.Set("User-Agent", c.userAgent)
	if c.gzip {
		req.Header.Set("Grpc-Encoding", "gzip")
	}
	if d, ok := ctx.Deadline(); ok {
		req.Header.Set("Grpc-Timeout", grpcTimeout(time.Until(d)))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// Could not reach the collector: gRPC calls this UNAVAILABLE.
		return &grpcStatus{code: codeUnavailable, msg: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResponse))
	if err != nil {
		return &grpcStatus{code: codeUnavailable, msg: "reading response: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return &grpcStatus{code: httpToCode(resp.StatusCode), msg: "HTTP status " + resp.Status}
	}
	// A trailers-only response carries the status in its headers.
	code, msg := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if code == "" {
		code, msg = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return &grpcStatus{code: codeUnknown, msg: fmt.Sprintf("response without a grpc-status (%q)", code)}
	}
	if n != 0 {
		return &grpcStatus{code: n, msg: decodeGRPCMessage(msg)}
	}
	return partialSuccess(body)
}

// partialSuccess reads ExportTraceServiceResponse's partial_success (field
// 1: rejected_spans = 1, error_message = 2) out of the response frame.
func partialSuccess(frame []byte) error {
	if len(frame) < 5 || frame[0] != 0 {
		// Empty, or compressed: nothing the collector rejected that we
		// could report.
		return nil
	}
	msg := frame[5:]
	var rejected int64
	var text string
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return nil
		}
		msg = msg[n:]
		if num == 1 && typ == protowire.BytesType {
			ps, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return nil
			}
			msg = msg[n:]
			for len(ps) > 0 {
				num, typ, n := protowire.ConsumeTag(ps)
				if n < 0 {
					return nil
				}
				ps = ps[n:]
				switch {
				case num == 1 && typ == protowire.VarintType:
					v, n := protowire.ConsumeVarint(ps)
					if n < 0 {
						return nil
					}
					rejected, ps = int64(v), ps[n:]
				case num == 2 && typ == protowire.BytesType:
					v, n := protowire.ConsumeBytes(ps)
					if n < 0 {
						return nil
					}
					text, ps = string(v), ps[n:]
				default:
					n := protowire.ConsumeFieldValue(num, typ, ps)
					if n < 0 {
						return nil
					}
					ps = ps[n:]
				}
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, msg)
		if n < 0 {
			return nil
		}
		msg = msg[n:]
	}
	if rejected == 0 && text == "" {
		return nil
	}
	// The wording of otlptracegrpc's partial-success error.
	return fmt.Errorf("OTLP partial success: %s (%d spans rejected)", text, rejected)
}

// gRPC status codes kit tells apart.
const (
	codeUnknown          = 2
	codeUnimplemented    = 12
	codeUnavailable      = 14
	codeUnauthenticated  = 16
	codePermissionDenied = 7
	codeInternal         = 13
)

// grpcStatus is a failed call's status.
type grpcStatus struct {
	code int
	msg  string
}

func (s *grpcStatus) Error() string {
	return fmt.Sprintf("otlp export: rpc error: code = %d desc = %s", s.code, s.msg)
}

// retryable is OTLP's list of transient codes: CANCELLED,
// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS
// (RESOURCE_EXHAUSTED only with retry information, which this client does
// not read, so never).
func (s *grpcStatus) retryable() bool {
	switch s.code {
	case 1, 4, 10, 11, codeUnavailable, 15:
		return true
	}
	return false
}

// httpToCode maps an HTTP status from a proxy in front of the collector as
// gRPC does.
func httpToCode(status int) int {
	switch status {
	case http.StatusBadRequest:
		return codeInternal
	case http.StatusUnauthorized:
		return codeUnauthenticated
	case http.StatusForbidden:
		return codePermissionDenied
	case http.StatusNotFound:
		return codeUnimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return codeUnavailable
	}
	return codeUnknown
}

// grpcTimeout writes a grpc-timeout header value: at most 8 digits and a
// unit.
func grpcTimeout(d time.Duration) string {
	if d <= 0 {
		return "1n"
	}
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"n", time.Nanosecond}, {"u", time.Microsecond}, {"m", time.Millisecond}, {"S", time.Second}, {"M", time.Minute}} {
		if v := d / u.d; v < 1e8 {
			return strconv.FormatInt(int64(v), 10) + u.unit
		}
	}
	return strconv.FormatInt(int64(d/time.Hour), 10) + "H"
}

// decodeGRPCMessage undoes grpc-message's percent-encoding.
func decodeGRPCMessage(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
