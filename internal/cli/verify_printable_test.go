package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/view"
)

// TestVerifyHealthPrintable: the health detail verify prints is built
// from the service's own health body, which may carry terminal escapes
// (in a dependency's error, a status, a key): they never reach the
// terminal, and the detail stays on its line.
func TestVerifyHealthPrintable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"status":"DEGRADED",` +
			`"redis":{"status":"DOWN","details":{"error":"\u001b]0;owned\u0007dial tcp: refused\u001b[2J\u001b[H\nfake: line"}},` +
			`"\u001b[31mdb\u001b[0m":{"status":"DOWN\u202e"}}}`))
	}))
	defer srv.Close()
	h, detail := platform.CheckHTTP(t.Context(), srv.Client(), srv.URL+"/.well-known/health")
	if h != platform.HealthDegraded || !strings.Contains(detail, "\x1b") {
		t.Fatalf("health %s %q: want DEGRADED with the raw escapes (the attack)", h, detail)
	}
	var out bytes.Buffer
	writeVerify(&out, &view.Verify{Environment: "prod", Instances: []platform.Instance{{Name: "pid 42"}}, Revision: 3, Health: h, HealthDetail: detail}, false)
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\u202e") || strings.Contains(got, "owned") {
		t.Errorf("verify printed a terminal escape:\n%q", got)
	}
	for _, keep := range []string{"prod: FAILED: pid 42 (revision 3)", "redis DOWN (dial tcp: refused", "db DOWN"} {
		if !strings.Contains(got, keep) {
			t.Errorf("verify lost %q:\n%s", keep, got)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "fake: line") {
			t.Errorf("the health detail broke onto a line of its own:\n%s", got)
		}
	}
}
