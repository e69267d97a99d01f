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
	if mayShorten(testing.Short(), ci()) {
		t.Skip(what + " (not under -short)")
	}
}

// needTool skips a test whose tool is not installed, and fails it in CI.
func needTool(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if !maySkipMissing(ci()) {
			t.Fatalf("%s is needed: %v", tool, err)
		}
		t.Skipf("%s is not installed", tool)
	}
}

// mayShorten says whether -short may leave a slow test out: on a
// developer's machine only, never under CI=true.
func mayShorten(short, inCI bool) bool { return short && !inCI }

// maySkipMissing says whether a test may skip for a missing tool: under
// CI=true it fails instead.
func maySkipMissing(inCI bool) bool { return !inCI }

// TestNothingSkipsInCI: under CI=true neither helper lets a test skip,
// with -short or without, tool or no tool.
func TestNothingSkipsInCI(t *testing.T) {
	for _, short := range []bool{false, true} {
		if mayShorten(short, true) {
			t.Errorf("under CI=true, -short=%v leaves slow tests out", short)
		}
	}
	if maySkipMissing(true) {
		t.Error("under CI=true, a missing tool skips its test instead of failing it")
	}
	if !mayShorten(true, false) || mayShorten(false, false) || !maySkipMissing(false) {
		t.Error("on a developer's machine, -short and a missing tool should still let tests skip")
	}
}
