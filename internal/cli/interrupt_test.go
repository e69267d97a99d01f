package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptedDeploy sends ferry SIGINT, then SIGTERM, while a deploy
// waits for a new revision that never becomes healthy: ferry exits 130
// and 143, says the old revision still serves, and that revision — the
// same process — passes verify and is promoted after its soak. Before,
// ferry exited 1 with "context canceled", and a revision it had
// restored could never pass its soak.
func TestInterruptedDeploy(t *testing.T) {
	dir := svcProject(t, "1s")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build --tag 1.0.0"); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
		t.Fatal(errOut)
	}
	verify, _, _ := run(t, c+"verify staging")
	yaml := filepath.Join(dir, "ferry.yaml")
	orig, _ := os.ReadFile(yaml)
	hang := strings.Replace(string(orig), `METRICS_PORT: "0"}`, `METRICS_PORT: "0", HANG_HEALTH: "1"}`, 1)
	os.WriteFile(yaml, []byte(hang), 0o644)
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			var out, errOut bytes.Buffer
			done := make(chan int)
			go func() {
				done <- Main(context.Background(), strings.Fields(c+"deploy staging"), Streams{Out: &out, ErrOut: &errOut, In: strings.NewReader("")})
			}()
			time.Sleep(1500 * time.Millisecond)
			syscall.Kill(os.Getpid(), tt.sig)
			var code int
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("ferry did not stop after the signal")
			}
			if code != tt.code || !strings.Contains(errOut.String(), "ferry: interrupted: revision") || !strings.Contains(errOut.String(), "revision 1 still serves, untouched: its soak goes on") {
				t.Errorf("deploy interrupted by %s = exit %d\n%s%s\nwant exit %d saying revision 1 still serves", tt.sig, code, out.String(), errOut.String(), tt.code)
			}
		})
	}
	os.WriteFile(yaml, orig, 0o644)
	// The same process as before the interrupts, as deployed.
	if got, _, code := run(t, c+"verify staging"); code != 0 || got != verify {
		t.Errorf("verify after the interrupts = %d\n%s\nwant as before:\n%s", code, got, verify)
	}
	time.Sleep(time.Second)
	if out, errOut, code := run(t, c+"promote staging prod"); code != 0 {
		t.Errorf("promote after the interrupts = %d\n%s%s", code, out, errOut)
	}
	if out, _, _ := run(t, c+"history staging"); !strings.Contains(out, "aborted") {
		t.Errorf("history staging does not record the interrupted revisions as aborted:\n%s", out)
	}
}
