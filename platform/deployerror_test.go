package platform

import (
	"strings"
	"testing"
)

// TestDeployErrorLogTailPrintable: a failed service's last log lines are
// its own text; escape sequences in them (a window title, a screen clear,
// a hyperlink, a bidi override) never reach the terminal through the
// error's one message.
func TestDeployErrorLogTailPrintable(t *testing.T) {
	e := &DeployError{Env: "prod", Revision: 4, Reason: "not healthy after 30s", LogTail: []string{
		"\x1b]0;pwned\x07panic: boom",
		"\x1b[2J\x1b[Hcleared",
		"\x1b]8;;http://evil.invalid\x1b\\click\x1b]8;;\x1b\\",
		"user \u202eLIVE\u202c",
		"plain line",
	}}
	got := e.Error()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "pwned"} {
		if strings.Contains(got, bad) {
			t.Errorf("Error() carries %q:\n%q", bad, got)
		}
	}
	for _, keep := range []string{"panic: boom", "cleared", "click", "user LIVE", "plain line", "last log lines:"} {
		if !strings.Contains(got, keep) {
			t.Errorf("Error() lost %q:\n%q", keep, got)
		}
	}
	if n := strings.Count(got, "\n"); n != len(e.LogTail) {
		t.Errorf("Error() has %d newlines, want one per log line (%d):\n%q", n, len(e.LogTail), got)
	}
}
