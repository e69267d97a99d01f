package portholder

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestHolderNamesThisProcess: a port this test listens on is taken and
// its holder is the test binary, by name and pid; once closed it is free.
func TestHolderNamesThisProcess(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if Free(port) {
		t.Errorf("Free(%d) while listening", port)
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	want := strings.TrimSpace(string(comm)) + " (pid " + strconv.Itoa(os.Getpid()) + ")"
	if got := Holder(port); got != want {
		t.Errorf("Holder(%d) = %q, want %q", port, got, want)
	}
	l.Close()
	if !Free(port) {
		t.Errorf("Free(%d) after close = false", port)
	}
	if got := Holder(port); got != "" {
		t.Errorf("Holder(%d) after close = %q", port, got)
	}
}
