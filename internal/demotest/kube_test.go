package demotest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
)

// TestDemoKube runs hack/demo-kube.sh (make demo-kube) from the
// repository root and checks what it says: staging deployed, prod
// promoted with the digest staging ran, and status and history showing
// it. The script builds the control plane if the cache lacks it; without
// the binaries the test skips, except under CI=true.
func TestDemoKube(t *testing.T) {
	if mayShorten(testing.Short(), testcluster.CI()) {
		t.Skip("demo-kube starts a control plane")
	}
	bins, err := testcluster.Locate()
	if err == nil && len(bins.Missing()) > 0 {
		err = testcluster.ErrNoBinaries
	}
	if err != nil {
		if testcluster.CI() {
			t.Fatalf("demo-kube: %v (.ci/run builds them first)", err)
		}
		t.Skipf("demo-kube: %v (go run ./hack/testcluster/build)", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	// What make demo leaves in the example (its own images and a 1.0.0
	// tag) must not leak into the Kubernetes demo, which tags 1.0.0 too.
	example := filepath.Join(root, "examples", "orders-api")
	if _, err := os.Stat(filepath.Join(example, ".ferry")); os.IsNotExist(err) {
		ferry := filepath.Join(t.TempDir(), "ferry")
		for _, args := range [][]string{
			{"go", "build", "-o", ferry, "./cmd/ferry"},
			{ferry, "-C", example, "build", "--tag", "1.0.0"},
		} {
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Join(example, ".ferry")) })
	}

	cmd := exec.CommandContext(ctx, "bash", "hack/demo-kube.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("make demo-kube: %v\n%s", err, text)
	}

	deployed := regexp.MustCompile(`staging: revision 1 runs (sha256:[0-9a-f]{64})`).FindStringSubmatch(text)
	if deployed == nil {
		t.Fatalf("no staging deploy in the demo's output:\n%s", text)
	}
	promoted := regexp.MustCompile(`prod: revision 1 runs (sha256:[0-9a-f]{64})`).FindStringSubmatch(text)
	if promoted == nil {
		t.Fatalf("no promotion to prod in the demo's output:\n%s", text)
	}
	if promoted[1] != deployed[1] {
		t.Errorf("prod runs %s, staging ran %s: the promotion moved another digest", promoted[1], deployed[1])
	}
	for _, want := range []string{
		"FAIL  soaked",      // the dry run shows the soak gate not yet met
		"pass  soaked",      // and the promotion passes it
		"prod         kube", // status lists prod on the cluster
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, text)
		}
	}
}

// mayShorten says whether -short may leave the demo out: on a
// developer's machine only, never under CI=true (where a missing control
// plane fails the test above rather than skipping it).
func mayShorten(short, inCI bool) bool { return short && !inCI }

func TestDemoNeverShortenedInCI(t *testing.T) {
	if mayShorten(true, true) || mayShorten(false, true) {
		t.Error("under CI=true, -short leaves the kube demo out")
	}
	if !mayShorten(true, false) {
		t.Error("on a developer's machine, -short should leave the kube demo out")
	}
}
