// Package testdep decides what a test does when something it needs from
// the machine is missing: skip on a developer's machine, fail in CI
// (CI=true), so that CI can never go green by skipping.
package testdep

import (
	"net"
	"os"
	"testing"
)

// Require fails the test in CI, or skips it elsewhere, when err is not nil.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v (CI=true: a missing dependency is a failure, not a skip)", what, err)
	}
	t.Skipf("%s: %v (skipped outside CI)", what, err)
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
