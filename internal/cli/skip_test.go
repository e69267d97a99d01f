package cli

import (
	"os"
	"os/exec"
	"testing"
)

// ci reports whether the tests run in CI, where every test runs: nothing
// skips there, and a missing dependency is a failure.
func ci() bool { return os.Getenv("CI") == "true" }

// slow skips a test that builds or runs a service under -short, on a
// developer's machine only; in CI it always runs.
func slow(t testing.TB, what string) {
	t.Helper()
	if testing.Short() && !ci() {
		t.Skip(what + " (not under -short)")
	}
}

// needTool skips a test whose tool is not installed, and fails it in CI.
func needTool(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if ci() {
			t.Fatalf("%s is needed: %v", tool, err)
		}
		t.Skipf("%s is not installed", tool)
	}
}
