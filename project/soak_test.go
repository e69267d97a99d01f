package project

import (
	"strings"
	"testing"
	"time"
)

func TestSoakSpec(t *testing.T) {
	tests := []struct {
		name     string
		soak     string // what follows "soak:" in ferry.yaml
		duration time.Duration
		judged   bool
		check    func(t *testing.T, s Soak)
		err      string
	}{
		{name: "a bare duration is time only", soak: " 30m", duration: 30 * time.Minute},
		{
			name: "flow mapping with every gate", soak: " {duration: 30m, maxErrorRatio: 0.01, maxP95: 200ms, maxP99: 500ms, minRequests: 100}",
			duration: 30 * time.Minute, judged: true,
			check: func(t *testing.T, s Soak) {
				if s.MaxErrorRatio == nil || *s.MaxErrorRatio != 0.01 || s.MaxP95.Duration != 200*time.Millisecond || s.MaxP99.Duration != 500*time.Millisecond || s.MinRequests != 100 {
					t.Errorf("gates = %+v", s)
				}
			},
		},
		{
			name: "a zero error ratio is a gate, not an absent one", soak: " {duration: 10m, maxErrorRatio: 0}",
			duration: 10 * time.Minute, judged: true,
			check: func(t *testing.T, s Soak) {
				if s.MaxErrorRatio == nil || *s.MaxErrorRatio != 0 {
					t.Errorf("MaxErrorRatio = %v, want 0", s.MaxErrorRatio)
				}
			},
		},
		{
			name: "generic service names", soak: "\n      duration: 1h\n      minRequests: 500\n      metric: http_requests_total\n      statusLabel: code\n      pathLabel: route\n      ignorePaths: [/healthz, /readyz]\n      interval: 10s",
			duration: time.Hour, judged: true,
			check: func(t *testing.T, s Soak) {
				if s.Metric != "http_requests_total" || s.StatusLabel != "code" || s.PathLabel != "route" || len(s.IgnorePaths) != 2 || s.Interval.Duration != 10*time.Second {
					t.Errorf("names = %+v", s)
				}
			},
		},
		{name: "misspelt gate", soak: "\n      duration: 30m\n      maxErrorRate: 0.01", err: `ferry.yaml:6: unknown field "maxErrorRate" in soak`},
		{name: "gates without a duration", soak: " {maxP99: 500ms}", err: "ferry.yaml:4: soak needs a duration"},
		{name: "a percentage for a ratio", soak: " {duration: 30m, maxErrorRatio: 5}", err: "maxErrorRatio 5 is not a ratio between 0 and 1"},
		{name: "a bad latency", soak: " {duration: 30m, maxP99: fast}", err: `"fast" is not a duration`},
		{name: "a list", soak: " [30m]", err: "soak is a duration such as 30m or a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{
				"ferry.yaml":           "service: orders-api\nenvironments:\n  staging:\n    soak:" + tt.soak + "\n",
				"configs/.env":         "APP_NAME=orders-api\n",
				"configs/.staging.env": "LOG_LEVEL=DEBUG\n",
			})
			p, err := Load(dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e, err := p.Env("staging")
			if err != nil {
				t.Fatal(err)
			}
			if e.Soak != tt.duration || e.SoakGates.Duration.Duration != tt.duration || e.SoakGates.Judged() != tt.judged {
				t.Errorf("Soak = %v, gates %+v (judged %v), want %v judged %v", e.Soak, e.SoakGates, e.SoakGates.Judged(), tt.duration, tt.judged)
			}
			if tt.check != nil {
				tt.check(t, e.SoakGates)
			}
		})
	}
}
