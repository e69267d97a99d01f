package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPullInFreshCheckout: a build pushed from one checkout is pulled into
// another that never built it (a CI job's fresh runner), under its tag and
// digest, and deploys from there; the pipeline's jobs rely on exactly
// this. A bare image name and a missing tag are refused.
func TestPullInFreshCheckout(t *testing.T) {
	builder := initService(t, "billing", "")
	repo := loopbackRegistry(t) + "/acme/billing"
	setImage := func(dir string) {
		data, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
		os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(strings.Replace(string(data), "image: billing", "image: "+repo, 1)), 0o644)
	}
	setImage(builder)
	out, errOut, code := run(t, "-C "+builder+" build --tag 0.1.0 --push "+repo+":0.1.0")
	if code != 0 {
		t.Fatalf("build --push = %d\n%s%s", code, out, errOut)
	}
	digest := strings.TrimSpace(out)

	fresh := initService(t, "billing", "")
	setImage(fresh)
	if _, err := os.Stat(filepath.Join(fresh, ".ferry", "images")); err == nil {
		t.Fatal("the fresh checkout has an artifact store")
	}
	if _, errOut, code := run(t, "-C "+fresh+" deploy staging --artifact 0.1.0"); code == 0 {
		t.Fatalf("deploy before pull succeeded: %s", errOut)
	}
	for range 2 { // twice: pulling what is there changes nothing
		out, errOut, code = run(t, "-C "+fresh+" pull 0.1.0")
		if code != 0 || strings.TrimSpace(out) != digest {
			t.Fatalf("pull 0.1.0 = %d %q %s, want %s", code, out, errOut, digest)
		}
	}
	if out, _, code := run(t, "-C "+fresh+" pull "+digest); code != 0 || strings.TrimSpace(out) != digest {
		t.Errorf("pull by digest = %d %q", code, out)
	}
	localize(t, fresh)
	if out, errOut, code := run(t, "-C "+fresh+" deploy staging --artifact 0.1.0"); code != 0 {
		t.Fatalf("deploy of the pulled tag = %d\n%s%s", code, out, errOut)
	}
	if out, _, _ := run(t, "-C "+fresh+" status -o json"); !strings.Contains(out, digest) {
		t.Errorf("status does not show the pulled digest %s:\n%s", digest, out)
	}

	if _, errOut, code := run(t, "-C "+fresh+" pull 9.9.9"); code != 3 || !strings.Contains(errOut, repo+":9.9.9") {
		t.Errorf("pull of a missing tag = %d %q, want 3 naming it", code, errOut)
	}
	if _, errOut, code := run(t, "-C "+builder+" pull 0.1.0 --from billing"); code != 2 || !strings.Contains(errOut, "names no registry repository") {
		t.Errorf("pull from a bare name = %d %q, want 2", code, errOut)
	}
}
