package cli

import (
	"strings"
	"testing"
)

// TestHistoryPrintsNoEscapes: who acted is recorded as they said (a $USER,
// a name typed on the page), so a terminal escape planted there must not
// reach the terminal through `ferry history` or `ferry loglevel`.
func TestHistoryPrintsNoEscapes(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	t.Setenv("USER", "\x1b]0;pwned\x07mal\x1b[2Jlory")
	for _, args := range []string{"build --tag 1.0.0", "deploy staging", "loglevel staging debug"} {
		if _, errOut, code := run(t, c+args); code != 0 {
			t.Fatalf("ferry %s = %d: %s", args, code, errOut)
		}
	}
	for _, args := range []string{"history staging", "loglevel staging"} {
		out, errOut, code := run(t, c+args)
		if code != 0 {
			t.Fatalf("ferry %s = %d: %s", args, code, errOut)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("ferry %s prints an escape sequence:\n%q", args, out)
		}
		if !strings.Contains(out, "mallory@") {
			t.Errorf("ferry %s does not name the user:\n%s", args, out)
		}
	}
}
