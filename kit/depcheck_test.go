package kit

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDepcheck keeps the runtime light: a service importing kit (or
// envfile) must never download Helm, client-go or cobra, nor link grpc-go
// (kit's OTLP/gRPC client is net/http's HTTP/2; grpc-go's packages and
// registries were a quarter of an idle service's memory). Tests may use
// grpc-go as the collector.
func TestDepcheck(t *testing.T) {
	banned := []string{"helm.sh/", "k8s.io/", "sigs.k8s.io/", "github.com/spf13/cobra", "google.golang.org/grpc"}
	for _, dir := range []string{".", "../envfile"} {
		out, err := exec.Command("go", "list", "-C", dir, "-deps", "./...").CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps in %s: %v\n%s", dir, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps in %s listed %d packages; the check would prove nothing", dir, len(deps))
		}
		for _, p := range deps {
			for _, b := range banned {
				if strings.HasPrefix(p, b) {
					t.Errorf("%s depends on %s (banned prefix %s)", dir, p, b)
				}
			}
		}
	}
}
