package cli

import (
	"encoding/json"
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

// TestHistoryShowsRefusedPromotions: a promotion its gates refused is in
// the target's `ferry history` (text and -o json) with who and why.
func TestHistoryShowsRefusedPromotions(t *testing.T) {
	dir := svcProject(t, "1h")
	c := "-C " + dir + " "
	t.Setenv("USER", "ann")
	for _, args := range []string{"build --tag 1.0.0", "deploy staging"} {
		if _, errOut, code := run(t, c+args); code != 0 {
			t.Fatalf("ferry %s = %d: %s", args, code, errOut)
		}
	}
	if _, errOut, code := run(t, c+"promote staging prod"); code != 1 {
		t.Fatalf("promote before the soak = %d, want 1 (refused): %s", code, errOut)
	}
	out, errOut, code := run(t, c+"history prod")
	if code != 0 {
		t.Fatalf("history prod = %d: %s", code, errOut)
	}
	_, refused, ok := strings.Cut(out, "Refused promotions into prod, newest first:\n")
	if !ok || !strings.Contains(refused, "staging r1") || !strings.Contains(refused, "1.0.0") || !strings.Contains(refused, "ann@") || !strings.Contains(refused, "soaked 1h") {
		t.Errorf("history prod does not show the refused promotion:\n%s", out)
	}
	out, _, _ = run(t, c+"history prod -o json")
	var h struct {
		Environment string
		Refused     []struct{ From, By, Reason, Digest string }
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	if h.Environment != "prod" || len(h.Refused) != 1 || h.Refused[0].From != "staging" || !strings.Contains(h.Refused[0].Reason, "soaked") || h.Refused[0].Digest == "" {
		t.Errorf("history prod -o json:\n%s", out)
	}
}
