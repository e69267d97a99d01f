package gitops

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform/gitops/fluxtest"
)

// make demo-gitops's script, run as make runs it, so that it cannot rot:
// the whole loop on its own throwaway cluster, Flux and git server —
// deploy staging, a dry run the soak refuses, a promotion of the
// protected prod that goes to review, resume before and after a
// reviewer's merge, a live edit that drift names with its field
// manager, a deploy and a rollback of staging, history from ferry and
// from git. It needs the cached control-plane and Flux binaries (the
// script would otherwise spend minutes building them) and git.
func TestDemoGitops(t *testing.T) {
	if testing.Short() && !testcluster.CI() {
		t.Skip("demo-gitops starts a cluster, Flux and a git server")
	}
	var missing []string
	if b, err := testcluster.Locate(); err != nil || len(b.Missing()) > 0 {
		missing = append(missing, "the control plane (go run ./hack/testcluster/build)")
	}
	if b, err := fluxtest.Locate(); err != nil || len(b.Missing()) > 0 {
		missing = append(missing, "Flux's controllers (go run ./hack/testcluster/fluxbuild)")
	}
	if _, err := exec.LookPath("git"); err != nil {
		missing = append(missing, "git")
	}
	if len(missing) > 0 {
		if testcluster.CI() {
			t.Fatalf("demo-gitops needs %s", strings.Join(missing, ", "))
		}
		t.Skipf("demo-gitops needs %s", strings.Join(missing, ", "))
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "demo-gitops.sh"))
	cmd.Dir = root
	// The script's own cluster: never the package's (KUBECONFIG), and
	// on a timeout SIGTERM to its process group, so its trap takes the
	// cluster, Flux and the git server down.
	cmd.Env = append(os.Environ(), "KUBECONFIG=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("make demo-gitops (%s):\n%s", time.Since(start).Round(time.Second), out.String())
	if err != nil {
		t.Fatalf("hack/demo-gitops.sh: %v", err)
	}
	for _, want := range []string{
		`(?m)^staging: revision 1 runs sha256:[0-9a-f]{64} \(1\.0\.0\), orders-api-\S+, healthy$`,
		`FAIL\s+soaked 3s\s+.*\n.*\n\s+\(\d+ ms, exit 1\)`,
		`(?m)^prod: revision 1 awaits review: merge branch ferry/prod/revision-1-[0-9a-f]{12} \(commit [0-9a-f]{12}, changes clusters/prod/orders-api only\) into main of http://127\.0\.0\.1:\d+/deploy\.git, then run ferry promote --resume prod$`,
		`SOAK LEFT\nprod\s+gitops\s+-\s.*\nprod: revision 1 awaits review: merge branch ferry/prod/revision-1-`,
		`ferry: prod revision 1 is not merged yet: merge branch .*\n\s+\(\d+ ms, exit 1\)`,
		`pass\s+verify prod\s+.*Flux Kustomization applied [0-9a-f]{12}, Ready=True.*identity ok`,
		`(?m)^prod: revision 1 runs sha256:`,
		`ConfigMap/orders-api-config\s+data\.LOG_LEVEL\s+INFO\s+DEBUG\s+kubectl-edit\n\s+\(\d+ ms, exit 1\)`,
		`(?m)^staging: revision 2 runs .*\n\s+\(\d+ ms, exit 0\)`,
		`(?m)^staging: revision 3 runs `,
		`(?m)^3\s+rollback\s+sha256:\S+\s+1\.0\.0\s+r1\s+live`,
		`(?m)^[0-9a-f]{7} ferry-demo: rollback staging: revision 3, [0-9a-f]{12} \(1\.0\.0\) restoring revision 1$`,
		`(?m)^[0-9a-f]{7} rita-reviewer: Merge branch 'ferry/prod/revision-1-[0-9a-f]{12}'$`,
		`(?m)^[0-9a-f]{7} ferry-demo: promote prod: revision 1, [0-9a-f]{12} \(1\.0\.0\) from staging$`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("the demo's output lacks %s", want)
		}
	}
}
