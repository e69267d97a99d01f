package local

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
)

// setupExample builds the bundled example (examples/orders-api, a service
// on kit) as ferry build would, from a copy outside the repository whose
// go.mod points at the working tree's kit and envfile.
func setupExample(t *testing.T) (*Local, *artifact.Image) {
	t.Helper()
	src, err := filepath.Abs("../../examples/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(dir, ".ferry"))
	root := filepath.Join(src, "../..")
	gomod := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	data = fmt.Appendf(data, "\nreplace (\n\tgithub.com/ferrydev/ferry/envfile => %s\n\tgithub.com/ferrydev/ferry/kit => %s\n)\n",
		filepath.Join(root, "envfile"), filepath.Join(root, "kit"))
	if err := os.WriteFile(gomod, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return build(t, dir)
}

// TestExampleRedeployUnderLoad redeploys the real example three times on
// the local target while 8 clients keep calling it over loopback, and
// wants 0 failed requests: kit listens with SO_REUSEPORT, so each new
// revision starts beside the old one (which ferry stops — SIGTERM, then
// its drain — only once the new one listens), and steers new connections
// to the newest socket, so the old one closes with nothing in its queue.
// The old revisions get SIGTERM under load: they turn keep-alive off (so
// their clients reconnect, to the new one), finish what they accepted
// and close with nothing refused or reset.
func TestExampleRedeployUnderLoad(t *testing.T) {
	tests := []struct {
		name, delay string
	}{
		// The local target's default: the old revision stops accepting
		// as soon as ferry signals it.
		{"no shutdown delay", "0s"},
		// As the test service's overlap case: the old revision keeps
		// serving a moment with keep-alive turned off, so its clients
		// reconnect (to the new one) before it closes idle connections.
		{"shutdown delay", "300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { redeployExampleUnderLoad(t, tt.delay) })
	}
}

func redeployExampleUnderLoad(t *testing.T, delay string) {
	l, img := setupExample(t)
	spec, httpPort := exampleSpec(t, img, delay)
	ld := redeployUnderLoad(t, l, httpPort, spec)
	if ld.failed.Load() != 0 {
		t.Errorf("%d of %d requests failed through redeploys of the example, want 0 (first: %v)", ld.failed.Load(), ld.ok.Load()+ld.failed.Load(), ld.firstErr)
	}
}

// exampleSpec returns the specs of the example's revisions in staging,
// configured as its ferry.yaml configures the local target (free ports,
// SQLite in one data directory every revision shares, no collector), and
// the HTTP port they share.
func exampleSpec(t *testing.T, img *artifact.Image, delay string) (func(rev int) platform.Spec, int) {
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	httpPort, metricsPort := free(), free()
	db := filepath.Join(t.TempDir(), "orders") // every revision's, as in an environment
	return func(rev int) platform.Spec {
		vars := []platform.Var{
			{Key: "HTTP_PORT", Value: strconv.Itoa(httpPort)},
			{Key: "METRICS_PORT", Value: strconv.Itoa(metricsPort)},
			{Key: "DB_DIALECT", Value: "sqlite"},
			{Key: "DB_NAME", Value: db},
			{Key: "TRACE_EXPORTER", Value: ""},
			{Key: "SHUTDOWN_GRACE_PERIOD", Value: "5s"},
			{Key: "SHUTDOWN_DELAY", Value: delay},
			{Key: "LOG_DISABLE_PROBES", Value: "true"},
		}
		return platform.Spec{Env: "staging", Revision: rev, Digest: img.Digest, Vars: vars, HealthTimeout: 10 * time.Second}
	}, httpPort
}
