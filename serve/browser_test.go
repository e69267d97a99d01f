package serve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ferrydev/ferry/promote"
)

// chromium finds Debian's chromium (or another Chrome). Without one the
// browser tests skip, except under CI=true, where they fail: .ci/run
// installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH; .ci/run installs Debian's chromium package")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); skipped outside CI")
	return ""
}

// browser starts a headless Chromium for the test and collects what it
// reports as errors: console errors and warnings, uncaught exceptions,
// failed loads in the browser log.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	var mu sync.Mutex
	var errs []string
	// Start the browser first; then subscribe to its console.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s: %s %s", m.Type, m.Text, m.URL))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancelT(); cancel(); cancelA(); <-done })
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), errs...) }
}

func scheme(ctx context.Context, dark bool) error {
	v := "light"
	if dark {
		v = "dark"
	}
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
	return err
}

func screenshots(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("FERRY_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "ferry-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// shoot writes a full-page screenshot at width px.
func shoot(ctx context.Context, t *testing.T, dir, name string, width int64, dark bool) {
	t.Helper()
	if err := scheme(ctx, dark); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	// A viewport as tall as the page: no scrollbar, so the picture shows
	// the layout a reader at width px sees (a full-page capture with a
	// scrollbar cut the right 15 px off).
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, max(h, 900)), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// a11y is run in the page: landmarks, a label for every control, a name
// for every button, and the contrast of every status colour against its
// card, in the scheme the page is in. It returns the problems found.
const a11y = `(() => {
  const out = [];
  for (const sel of ["header", "main", "footer"]) if (!document.querySelector(sel)) out.push("no <" + sel + "> landmark");
  if (!document.querySelector("h1")) out.push("no h1");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!(el.labels && el.labels.length) && !el.getAttribute("aria-label")) out.push("unlabelled " + el.outerHTML.slice(0, 80));
  }
  for (const b of document.querySelectorAll("button")) if (!b.textContent.trim()) out.push("button without a name");
  const lum = (c) => {
    const m = c.match(/[\d.]+/g).map(Number);
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]);
  };
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  };
  const sel = ".health, .ok, .bad, .state, .detail, td, th, dd, dt, button, a, .target, .live";
  for (const el of document.querySelectorAll(sel)) {
    if (!el.offsetParent) continue;
    const a = lum(getComputedStyle(el).color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push("contrast " + ratio.toFixed(2) + " of " + el.className + " '" + el.textContent.trim().slice(0, 30) + "'");
  }
  return out;
})()`

// clip is run in the page: every element that sticks out of the viewport
// or whose content overflows its box (hidden, or scrolled sideways), and
// every line of text cut at its box's edge. Open <details> first: what
// they hold must fit too.
const clip = `(() => {
  document.querySelectorAll("details").forEach(d => d.open = true);
  const out = [];
  const vw = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\s+/g, ".") : "") + " '" + el.textContent.trim().slice(0, 40) + "'";
  if (document.documentElement.scrollWidth > vw) out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + vw);
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".sr, .skip") || !el.getClientRects().length) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue; // nothing, or visually hidden for screen readers
    if (r.right > vw + 1 || r.left < -1) out.push("outside the " + vw + " px viewport (" + Math.round(r.left) + "–" + Math.round(r.right) + "): " + name(el));
    const o = getComputedStyle(el).overflowX;
    if (o !== "visible" && el.scrollWidth > el.clientWidth + 1) out.push("content wider than its box (" + el.scrollWidth + " > " + el.clientWidth + ", overflow " + o + "): " + name(el));
  }
  return out;
})()`

// notClipped fails the test for whatever clip finds at width px.
func notClipped(ctx context.Context, t *testing.T, what string, width int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](clip))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s at %d px: %s", what, width, p)
	}
}

// TestBrowser drives the page in headless Chromium over a running local
// pipeline: it loads without console errors, shows every environment,
// updates when a deploy happens, promotes from the page by keyboard, and
// passes the accessibility basics in light and dark.
func TestBrowser(t *testing.T) {
	ctx, consoleErrors := browser(t)
	pl := newPipeline(t, []string{"staging", "prod"}, "0s")
	pl.serve(t, Options{})
	dir := screenshots(t)
	// Read a column in one evaluation: the script may swap the board
	// between two protocol calls.
	col := func(env string) chromedp.Action[string] {
		return chromedp.Evaluate[string](`document.querySelector('li[aria-labelledby="env-` + env + `"]').innerText`)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(pl.url+"/?token="+pl.token), chromedp.WaitVisible(chromedp.ID("env-prod"))); err != nil {
		t.Fatal(err)
	}
	staging, err := chromedp.Run(ctx, col("staging"))
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := chromedp.Run(ctx, col("prod"))
	for _, want := range []string{"UP", "Revision\n1", "1.0.0", "Promote staging → prod"} {
		if !strings.Contains(staging, want) {
			t.Errorf("staging's column lacks %q:\n%s", want, staging)
		}
	}
	if !strings.Contains(prod, "nothing deployed") {
		t.Errorf("prod's column = %q, want nothing deployed", prod)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); strings.Contains(loc, "token") {
		t.Errorf("the token stayed in the address bar: %s", loc)
	}

	for _, dark := range []bool{false, true} {
		if err := scheme(ctx, dark); err != nil {
			t.Fatal(err)
		}
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`document.querySelectorAll("details").forEach(d => d.open = true); `+a11y))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("accessibility (dark %v): %s", dark, p)
		}
	}
	shoot(ctx, t, dir, "pipeline-1280.png", 1280, false)
	shoot(ctx, t, dir, "pipeline-360.png", 360, false)
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
		t.Errorf("at 360 px the page scrolls sideways (%v)", err)
	}
	shoot(ctx, t, dir, "pipeline-360-dark.png", 360, true)
	for _, w := range []int64{360, 1280} {
		notClipped(ctx, t, "the board", w)
	}
	if err := scheme(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	// A deploy made elsewhere shows up without a reload.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__noReload = true`)); err != nil {
		t.Fatal(err)
	}
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "staging"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//li[@aria-labelledby="env-staging"]//dd[@data-field="revision" and normalize-space(.)="2"]`)); err != nil {
		t.Fatalf("the page did not show staging's revision 2: %v", err)
	}
	if still, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__noReload === true`)); err != nil || !still {
		t.Errorf("the page reloaded to update (%v); want the script to swap the board", err)
	}

	// Promote from the page by keyboard: focus the button, Enter, type a
	// name, Enter on the confirmation.
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\nat %s:\n%.1500s", what, err, loc, body)
		}
	}
	step("open the confirmation", chromedp.Focus(chromedp.CSS(`form[action="/actions/promote"] button`)), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("who")))
	step("confirm", chromedp.SendKeys(chromedp.ID("who"), "pat"), chromedp.Focus(chromedp.ID("confirm")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if flash, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.flash.ok`))); !strings.Contains(flash, "Promoted staging to prod: revision 1") {
		t.Errorf("after promote the page says %q", flash)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//li[@aria-labelledby="env-prod"]//dd[@data-field="revision" and normalize-space(.)="1"]`)); err != nil {
		t.Errorf("prod's column does not show revision 1: %v", err)
	}
	h, err := promote.NewHistory(pl.cfg()).Run(t.Context(), "prod")
	if err != nil || len(h.Revisions) != 1 || h.Revisions[0].Action != "promote" || !strings.HasPrefix(h.Revisions[0].By, "pat via ferry serve") {
		t.Errorf("prod's history = %+v, %v; want one promote by pat", h, err)
	}
	shoot(ctx, t, dir, "pipeline-promoted-1280.png", 1280, false)

	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
	fmt.Fprintln(os.Stderr, "screenshots in", dir)
}

// TestBrowserSaysWhy: with staging still soaking, the page shows Promote
// and Roll back disabled with their reasons, a refused promotion in
// prod's history and the log-level note, and the configuration page with
// its diff; nothing is clipped at 360 or 1280 px, in light or dark.
func TestBrowserSaysWhy(t *testing.T) {
	ctx, consoleErrors := browser(t)
	pl := newPipeline(t, []string{"staging", "prod"}, "1h")
	// A refused promotion, by the CLI's user, for prod's history.
	if _, err := promote.NewPromote(pl.cfg()).Run(t.Context(), "staging", "prod"); err == nil {
		t.Fatal("promote before the soak passed")
	}
	pl.serve(t, Options{})
	dir := screenshots(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(pl.url+"/?token="+pl.token), chromedp.WaitVisible(`#why-promote-staging`)); err != nil {
		t.Fatal(err)
	}
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("button:disabled")].map(b => b.textContent.trim() + " | " + document.getElementById(b.getAttribute("aria-describedby")).innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Promote staging → prod… | Refused now: soaked 1h", "Roll back staging… | Rollback refused now: environment \"staging\" has no earlier revision"}
	if len(disabled) != len(want) {
		t.Fatalf("disabled buttons = %q, want %d", disabled, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(disabled[i], w) {
			t.Errorf("disabled button %d = %q, want it to start %q", i, disabled[i], w)
		}
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelectorAll("details").forEach(d => d.open = true); document.body.innerText`))
	for _, w := range []string{"Refused promotions", "✗ from staging r1", "has no REMOTE_LOG_URL"} {
		if !strings.Contains(text, w) {
			t.Errorf("the page does not show %q:\n%s", w, text)
		}
	}
	for _, dark := range []bool{false, true} {
		if err := scheme(ctx, dark); err != nil {
			t.Fatal(err)
		}
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11y))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("accessibility (dark %v): %s", dark, p)
		}
		for _, w := range []int64{360, 1280} {
			notClipped(ctx, t, fmt.Sprintf("the board (dark %v)", dark), w)
		}
	}
	shoot(ctx, t, dir, "why-1280.png", 1280, false)
	shoot(ctx, t, dir, "why-360.png", 360, false)

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pl.url+"/config/staging?with=prod"), chromedp.WaitVisible(`#render-h`)); err != nil {
		t.Fatal(err)
	}
	text, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	for _, w := range []string{"staging → prod:", "HTTP_PORT", "staging: "} {
		if !strings.Contains(text, w) {
			t.Errorf("the configuration page does not show %q:\n%s", w, text)
		}
	}
	problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11y))
	for _, p := range problems {
		t.Errorf("accessibility of the configuration page: %s", p)
	}
	for _, w := range []int64{360, 1280} {
		notClipped(ctx, t, "the configuration page", w)
	}
	shoot(ctx, t, dir, "config-1280.png", 1280, false)
	shoot(ctx, t, dir, "config-360.png", 360, false)
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
