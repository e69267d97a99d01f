package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/state"
)

// waitPage polls the page until it shows every one of wants (the board
// is rebuilt every interval), and returns it.
func waitPage(t *testing.T, pl *pipeline, wants ...string) string {
	t.Helper()
	var page string
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, page, _ = get(t, pl.url+"/", "Authorization", "Bearer "+pl.token)
		page = html.UnescapeString(page)
		missing = missing[:0]
		for _, w := range wants {
			if !strings.Contains(page, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the page does not show %q:\n%s", missing, page)
	}
	return page
}

// TestPageSaysWhy: the Promote button is disabled with the gate that
// would refuse it; a refused promotion is in the target's history (JSON
// and page) with its reason; the Roll back button is disabled with the
// reason while there is nothing to go back to, and its confirmation names
// the revision, tag and digest it goes back to; the log-level control
// says when the service has no REMOTE_LOG_URL.
func TestPageSaysWhy(t *testing.T) {
	pl := newPipeline(t, []string{"staging", "prod"}, "1h")
	pl.serve(t, Options{})
	origin := []string{"Origin", pl.url}

	page := waitPage(t, pl,
		`Refused now:</strong> soaked 1h`,
		`disabled aria-describedby="why-promote-staging"`,
		`Rollback refused now:</strong> environment "staging" has no earlier revision to roll back to`,
		`disabled aria-describedby="why-rollback-staging"`,
		`staging's live revision has no <code>REMOTE_LOG_URL</code>`)
	if strings.Contains(page, "smoke") {
		t.Errorf("the page's preflight ran or listed a smoke step:\n%s", page)
	}

	// Posted anyway (the button is only disabled), the promotion is
	// refused and recorded in prod's history.
	form := url.Values{"from": {"staging"}, "to": {"prod"}, "confirm": {"yes"}, "who": {"pat"}, "token": {pl.token}}
	code, body, h := post(t, pl.url+"/actions/promote", form, origin...)
	if code != 303 || !strings.HasPrefix(h.Get("Location"), "/?failed=") {
		t.Fatalf("POST /actions/promote = %d %q, Location %q", code, body, h.Get("Location"))
	}
	_, body, _ = get(t, pl.url+"/api/history/prod")
	var hist promote.FullHistory
	if err := json.Unmarshal([]byte(body), &hist); err != nil {
		t.Fatalf("history JSON: %v\n%s", err, body)
	}
	if len(hist.Refused) != 1 || hist.Refused[0].By != "pat via ferry serve (127.0.0.1)" || !strings.Contains(hist.Refused[0].Reason, "soaked 1h") {
		t.Fatalf("prod's refused promotions = %+v, want one by pat, refused by the soak", hist.Refused)
	}
	waitPage(t, pl, "1 refused promotion)", "✗ from staging r1", "pat via ferry serve (127.0.0.1)")

	// A second deploy gives staging a revision to go back to.
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "staging"); err != nil {
		t.Fatal(err)
	}
	waitPage(t, pl, "Roll back staging to revision 1…")
	first, err := promote.NewHistory(pl.cfg()).Run(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	rev1 := first.Revisions[len(first.Revisions)-1]
	code, body, _ = post(t, pl.url+"/actions/rollback", url.Values{"env": {"staging"}, "token": {pl.token}}, origin...)
	body = html.UnescapeString(body)
	for _, want := range []string{"back on revision 1 (1.0.0), digest " + rev1.Digest, `name="revision" value="1"`, "Roll back staging to revision 1"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("the rollback confirmation (%d) lacks %q:\n%s", code, want, body)
		}
	}

	// The log-level confirmation says the same as the column.
	_, body, _ = post(t, pl.url+"/actions/loglevel", url.Values{"env": {"staging"}, "level": {"debug"}, "token": {pl.token}}, origin...)
	if !strings.Contains(body, "has no REMOTE_LOG_URL") {
		t.Errorf("the log-level confirmation does not say the service never polls:\n%s", body)
	}
}

// TestPreviewRunsNoSmoke: the promote confirmation previews the gates
// without running a smoke step (which may write: a POST), and lists the
// steps it will run on confirmation; confirmed, they run.
func TestPreviewRunsNoSmoke(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(t.TempDir(), "smoke-ran")
	yaml := fmt.Sprintf(`service: svc
path: [staging, prod]
environments:
  staging:
    soak: 0s
    env: {HTTP_PORT: "%d", METRICS_PORT: "0"}
    smoke:
      - run: echo staging >> %s
  prod:
    soak: 0s
    env: {HTTP_PORT: "%d", METRICS_PORT: "0"}
`, freePort(t), mark, freePort(t))
	pl := build(t, dir, yaml, []string{"staging", "prod"})
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "staging"); err != nil {
		t.Fatal(err)
	}
	pl.serve(t, Options{})
	origin := []string{"Origin", pl.url}
	form := url.Values{"from": {"staging"}, "to": {"prod"}, "token": {pl.token}}
	code, body, _ := post(t, pl.url+"/actions/promote", form, origin...)
	if code != 200 || !strings.Contains(body, "Runs when you confirm") || !strings.Contains(body, "smoke staging: echo staging") {
		t.Errorf("the confirmation (%d) does not list the smoke step it will run:\n%s", code, body)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the preview ran staging's smoke step")
	}
	form.Set("confirm", "yes")
	form.Set("who", "pat")
	if code, body, h := post(t, pl.url+"/actions/promote", form, origin...); code != 303 || !strings.HasPrefix(h.Get("Location"), "/?done=") {
		t.Fatalf("confirmed promote = %d %q, Location %q", code, body, h.Get("Location"))
	}
	if _, err := os.Stat(mark); err != nil {
		t.Errorf("the confirmed promotion did not run the smoke step: %v", err)
	}
}

// countGate counts how often the board judges a promotion.
type countGate struct{ n *atomic.Int32 }

func (countGate) Phase() promote.Phase { return promote.Before }
func (g countGate) Check(context.Context, *promote.GateCheck) []state.Gate {
	g.n.Add(1)
	return nil
}

// TestPreflightNotEveryRefresh: the board judges a promotion again only
// when what it depends on changed or after preflightEvery, not at every
// refresh: a signature gate may ask a registry.
func TestPreflightNotEveryRefresh(t *testing.T) {
	pl := newPipeline(t, []string{"staging", "prod"}, "1h")
	var n atomic.Int32
	base := pl.cfg
	pl.cfg = func() *promote.Config {
		c := base()
		c.Gates = append(promote.DefaultGates(), countGate{&n})
		return c
	}
	pl.serve(t, Options{Interval: 20 * time.Millisecond})
	waitPage(t, pl, "Refused now:")
	time.Sleep(time.Second) // some 50 refreshes
	if got := n.Load(); got < 1 || got > 3 {
		t.Errorf("the promotion was judged %d times in a second of refreshes, want 1 to 3", got)
	}
}
