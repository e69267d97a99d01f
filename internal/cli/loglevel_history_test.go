package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestLoglevelInHistory: `ferry loglevel` changes are recorded in `ferry
// history` (text and -o json) with who and when, a level set --for shows
// its revert by ferry once it ran out, and `state repair` keeps them.
func TestLoglevelInHistory(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	t.Setenv("USER", "ann")
	for _, args := range []string{"build --tag 1.0.0", "deploy staging", "loglevel staging debug --for 1s", "loglevel prod ERROR"} {
		if _, errOut, code := run(t, c+args); code != 0 {
			t.Fatalf("ferry %s = %d: %s", args, code, errOut)
		}
	}
	// Past the second, the level has gone back: a revert, not a record.
	time.Sleep(1100 * time.Millisecond)
	t.Setenv("USER", "bob")
	if _, errOut, code := run(t, c+"loglevel staging WARN"); code != 0 {
		t.Fatal(errOut)
	}

	check := func(t *testing.T) {
		t.Helper()
		out, errOut, code := run(t, c+"history staging")
		if code != 0 {
			t.Fatalf("history = %d %s", code, errOut)
		}
		_, levels, ok := strings.Cut(out, "Log level of staging, newest first:\n")
		if !ok {
			t.Fatalf("history shows no log levels:\n%s", out)
		}
		lines := strings.Split(strings.TrimSpace(levels), "\n")
		want := []struct{ change, what, by string }{
			{"CHANGE", "LEVEL", "BY"},
			{"set", "WARN", "bob@"},
			{"revert", "back to the configured level (DEBUG for 1s by ann@", "ferry (expiry)"},
			{"set", "DEBUG for 1s", "ann@"},
		}
		if len(lines) != len(want) {
			t.Fatalf("log levels in history:\n%s\nwant %d lines", levels, len(want))
		}
		for i, w := range want {
			if f := strings.Fields(lines[i]); len(f) < 3 || !strings.Contains(lines[i], w.change) || !strings.Contains(lines[i], w.what) || !strings.Contains(lines[i], w.by) {
				t.Errorf("line %d = %q, want %s %q by %q", i, lines[i], w.change, w.what, w.by)
			}
		}
		if strings.Contains(levels, "ERROR") {
			t.Errorf("staging's history shows prod's level:\n%s", levels)
		}

		out, _, _ = run(t, c+"history staging -o json")
		var h struct {
			Revisions []struct{ Action, By string }
			LogLevels []struct {
				Change, Level, By string
				At, Until         time.Time
				Reverts           *struct{ Level, By string }
			} `json:"logLevels"`
		}
		if err := json.Unmarshal([]byte(out), &h); err != nil {
			t.Fatal(err)
		}
		if len(h.Revisions) != 1 || len(h.LogLevels) != 3 {
			t.Fatalf("history -o json:\n%s", out)
		}
		set, rev, last := h.LogLevels[2], h.LogLevels[1], h.LogLevels[0]
		if set.Change != "set" || set.Level != "DEBUG" || !strings.HasPrefix(set.By, "ann@") || set.Until.Sub(set.At) != time.Second {
			t.Errorf("the setting = %+v", set)
		}
		if rev.Change != "revert" || rev.Level != "" || !rev.At.Equal(set.Until) || rev.Reverts == nil || rev.Reverts.Level != "DEBUG" || !strings.HasPrefix(rev.Reverts.By, "ann@") {
			t.Errorf("the revert = %+v", rev)
		}
		if last.Change != "set" || last.Level != "WARN" || !strings.HasPrefix(last.By, "bob@") || !last.Until.IsZero() {
			t.Errorf("the last change = %+v", last)
		}
	}
	t.Run("recorded", check)
	t.Run("kept by state repair", func(t *testing.T) {
		if out, errOut, code := run(t, c+"state repair"); code != 0 || !strings.Contains(out, "3 log-level change(s)") {
			t.Fatalf("state repair = %d %q %q", code, out, errOut)
		}
		check(t)
		if out, _, code := run(t, c+"loglevel prod"); code != 0 || !strings.Contains(out, "prod: ERROR (set by ann@") {
			t.Errorf("prod's level after repair: %q", out)
		}
	})
	t.Run("an environment with a level and no revision", func(t *testing.T) {
		out, _, _ := run(t, c+"history prod")
		if !strings.Contains(out, "Log level of prod") || !strings.Contains(out, "ERROR") {
			t.Errorf("prod's history misses its level:\n%s", out)
		}
		out, _, _ = run(t, c+"history prod -o json")
		if !strings.Contains(out, `"revisions": []`) || !strings.Contains(out, `"level": "ERROR"`) {
			t.Errorf("history -o json:\n%s", out)
		}
	})
}
