package promote

import (
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestNeedsBase: a port-forward is opened only for a step that will run
// and is sent to the environment's base URL; a dry run (safe steps only)
// of a POST opens none.
func TestNeedsBase(t *testing.T) {
	for _, tc := range []struct {
		name     string
		steps    []project.SmokeStep
		safeOnly bool
		want     bool
	}{
		{"a GET with a path", []project.SmokeStep{{HTTP: "GET /orders"}}, false, true},
		{"a bare path", []project.SmokeStep{{HTTP: "/healthz"}}, true, true},
		{"a full URL", []project.SmokeStep{{HTTP: "GET https://orders.example.test/healthz"}}, false, false},
		{"a command gets $FERRY_URL", []project.SmokeStep{{Run: "curl -f $FERRY_URL/orders"}}, false, true},
		{"a POST in a dry run is not sent", []project.SmokeStep{{HTTP: "POST /orders", Body: "{}"}}, true, false},
		{"a POST for real", []project.SmokeStep{{HTTP: "POST /orders", Body: "{}"}}, false, true},
		{"no steps", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := needsBase(tc.steps, tc.safeOnly); got != tc.want {
				t.Errorf("needsBase = %v, want %v", got, tc.want)
			}
		})
	}
}
