package serve

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/view"
)

// TestActionsRecordedWithWho: a promote, a log level and a rollback
// confirmed on the page land in the environment's history — the JSON
// the CLI's `history -o json` prints and the page's history — each by
// "<name> via ferry serve (<address>)", beside a deploy by the CLI's
// user, newest first.
func TestActionsRecordedWithWho(t *testing.T) {
	pl := newPipeline(t, []string{"staging", "prod"}, "0s")
	pl.serve(t, Options{})
	origin := []string{"Origin", pl.url}
	act := func(action string, form url.Values, who string) {
		t.Helper()
		form.Set("confirm", "yes")
		form.Set("who", who)
		form.Set("token", pl.token)
		code, body, h := post(t, pl.url+"/actions/"+action, form, origin...)
		if code != 303 || !strings.HasPrefix(h.Get("Location"), "/?done=") {
			t.Fatalf("POST /actions/%s = %d %q, Location %q", action, code, body, h.Get("Location"))
		}
	}
	act("promote", url.Values{"from": {"staging"}, "to": {"prod"}}, "pat")
	// A deploy from the command line between the page's actions gives the
	// rollback a revision to go back to.
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "prod"); err != nil {
		t.Fatal(err)
	}
	act("loglevel", url.Values{"env": {"prod"}, "level": {"debug"}, "for": {"30m"}}, "ann")
	act("rollback", url.Values{"env": {"prod"}}, "Ann-Marie O'Neil")

	_, body, _ := get(t, pl.url+"/api/history/prod")
	var h view.History
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("history JSON: %v\n%s", err, body)
	}
	revs := []struct {
		number int
		action string
		by     string
	}{
		{3, "rollback", "Ann-Marie O'Neil via ferry serve (127.0.0.1)"},
		{2, "deploy", "test"},
		{1, "promote", "pat via ferry serve (127.0.0.1)"},
	}
	if len(h.Revisions) != len(revs) {
		t.Fatalf("prod's history has %d revisions, want %d:\n%s", len(h.Revisions), len(revs), body)
	}
	for i, want := range revs {
		got := h.Revisions[i]
		if got.Number != want.number || got.Action != want.action || got.By != want.by || got.At.IsZero() {
			t.Errorf("revision %d = %d %s by %q at %v, want %d %s by %q", i, got.Number, got.Action, got.By, got.At, want.number, want.action, want.by)
		}
	}
	if h.Revisions[0].RollbackOf != 1 {
		t.Errorf("the rollback restored revision %d, want 1", h.Revisions[0].RollbackOf)
	}
	if len(h.LogLevels) != 1 || h.LogLevels[0].Change != view.LevelSet || h.LogLevels[0].Level != "DEBUG" ||
		h.LogLevels[0].By != "ann via ferry serve (127.0.0.1)" || h.LogLevels[0].Until.Sub(h.LogLevels[0].At).Minutes() != 30 {
		t.Errorf("prod's log levels = %+v, want DEBUG for 30m by ann via ferry serve", h.LogLevels)
	}
	// staging's history holds none of prod's actions.
	_, body, _ = get(t, pl.url+"/api/history/staging")
	if strings.Contains(body, "via ferry serve") {
		t.Errorf("staging's history shows prod's actions:\n%s", body)
	}

	// The page's history shows the same, escaped, once the board is
	// rebuilt after the last action (the action only asks for it).
	wants := []string{"Ann-Marie O&#39;Neil via ferry serve (127.0.0.1)", "pat via ferry serve (127.0.0.1)", "DEBUG until", "ann via ferry serve (127.0.0.1)"}
	var missing []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, page, _ := get(t, pl.url+"/")
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(page, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("the page does not show %q", missing)
	}
}
