package platform

import "testing"

// TestParseHealth: GoFr answers 200 with data.status DEGRADED while a
// datasource is down, kit 503 with the same body; both are DEGRADED and
// name the dependency. A 503 without one (shutting down) is DOWN.
func TestParseHealth(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Health
		detail string
	}{
		{"up", 200, `{"data":{"name":"orders","status":"UP","sql":{"status":"UP"}}}`, HealthUp, ""},
		{"up without a body", 200, ``, HealthUp, ""},
		{"GoFr degraded", 200, `{"data":{"status":"DEGRADED","redis":{"status":"DOWN","details":{"error":"dial tcp 127.0.0.1:6379: connection refused"}},"sql":{"status":"UP"}}}`,
			HealthDegraded, "DEGRADED: redis DOWN (dial tcp 127.0.0.1:6379: connection refused)"},
		{"GoFr degraded without a top-level status", 200, `{"data":{"redis":{"status":"DOWN"},"sql":{"status":"DOWN"}}}`, HealthDegraded, "DEGRADED: redis DOWN, sql DOWN"},
		{"degraded naming nothing", 200, `{"data":{"status":"DEGRADED"}}`, HealthDegraded, "status DEGRADED"},
		{"kit degraded (503)", 503, `{"data":{"name":"orders","status":"DEGRADED","sql":{"status":"DOWN"}}}`, HealthDegraded, "DEGRADED: sql DOWN"},
		{"kit shutting down (503)", 503, `{"data":{"name":"orders","status":"DEGRADED"}}`, HealthDown, "GET u: 503 Service Unavailable"},
		{"not found", 404, `404 page not found`, HealthDown, "GET u: 404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, d := ParseHealth(tt.status, []byte(tt.body), "u")
			if h != tt.want || d != tt.detail {
				t.Errorf("ParseHealth = %s %q, want %s %q", h, d, tt.want, tt.detail)
			}
		})
	}
}
