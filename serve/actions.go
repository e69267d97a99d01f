package serve

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/view"
)

// confirmation is the page an action shows before it is performed.
type confirmation struct {
	Title, What, Button, Action string
	Hidden                      []field
	Gates                       []view.Gate
	// WouldRun are the steps the preview did not run: smoke steps, which
	// run when the action is confirmed.
	WouldRun []string
	Who      string
	Authed   bool
	Problem  string
	// Ask is the page that asks for the token before anything is
	// previewed: it posts the same action again, unconfirmed.
	Ask bool
}

// actionFields are the fields an action's form carries, kept across the
// page that asks for the token.
var actionFields = []string{"from", "to", "env", "level", "for", "revision"}

// tokenProblem is what the page says to a request without a valid token.
const tokenProblem = "The token is missing or wrong: it is the one ferry serve printed when it started (kept in .ferry/serve.token). Nothing is run or previewed without it."

type field struct{ Name, Value string }

// action performs promote, rollback or loglevel: the first post shows
// what will happen and asks for a name (and the token when the browser
// has none); the second, with confirm=yes and a valid token, does it.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "ferry serve: a form from another site cannot act here", http.StatusForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	// The name goes into the history, which `ferry history` prints on
	// terminals: no escape sequences in it.
	c := confirmation{Action: r.URL.Path, Authed: authed(r), Who: secret.PrintableLine(strings.TrimSpace(f.Get("who")))}
	if c.Who == "" {
		if ck, err := r.Cookie("ferry_who"); err == nil {
			w, _ := url.QueryUnescape(ck.Value)
			c.Who = secret.PrintableLine(w)
		}
	}
	if !c.Authed {
		// Nothing runs without the token, not even the preview: a
		// promotion's dry run runs its gates.
		ask := confirmation{Title: "Token needed", Action: r.URL.Path, Ask: true, Problem: tokenProblem, Button: "Continue"}
		for _, k := range actionFields {
			if v := f.Get(k); v != "" {
				ask.Hidden = append(ask.Hidden, field{k, v})
			}
		}
		s.render(w, http.StatusForbidden, "confirm", ask)
		return
	}
	// A token typed into the form is kept in this browser, so the
	// confirmation that follows carries it.
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tokenOf(r), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	var do func(ctx context.Context, cfg *promote.Config) (string, error)
	switch r.PathValue("action") {
	case "promote":
		from, to := f.Get("from"), f.Get("to")
		c.Title = fmt.Sprintf("Promote %s → %s", from, to)
		c.Button = "Promote " + to
		c.Hidden = []field{{"from", from}, {"to", to}}
		// The preview runs only the read-only gates: a smoke step may
		// write (POST /orders), so it is listed, and runs on confirmation.
		plan, err := promote.Preflight(r.Context(), s.conf(), from, to)
		if plan == nil {
			s.render(w, http.StatusBadRequest, "confirm", confirmation{Title: c.Title, Problem: secret.Scrub(err.Error()), Action: "/"})
			return
		}
		pv := plan.View(true, err)
		c.Gates = pv.Gates
		c.WouldRun = smokeSteps(s.conf(), from, to)
		c.What = fmt.Sprintf("Deploy %s%s, running in %s as revision %d, to %s.", pv.Digest, tagNote(pv.Tag), from, pv.FromRevision, to)
		if err != nil {
			c.Problem = "Gates not met now: " + secret.Scrub(err.Error()) + ". The promotion will be refused unless they pass when you confirm."
		}
		do = func(ctx context.Context, cfg *promote.Config) (string, error) {
			p, err := promote.NewPromote(cfg).Run(ctx, from, to)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Promoted %s to %s: revision %d.", from, to, p.Revision.Number), nil
		}
	case "rollback":
		env := f.Get("env")
		c.Title = "Roll back " + env
		// The confirmation names the revision it goes back to, and the
		// confirmed action goes to that one even if another deploy
		// happened in between.
		n, _ := strconv.Atoi(f.Get("revision"))
		to, err := promote.RollbackTarget(s.conf(), env, n)
		if err != nil {
			s.render(w, http.StatusConflict, "confirm", confirmation{Title: c.Title, Problem: "Rollback refused now: " + why(err), Action: "/"})
			return
		}
		c.Button = fmt.Sprintf("Roll back %s to revision %d", env, to.Number)
		c.Hidden = []field{{"env", env}, {"revision", strconv.Itoa(to.Number)}}
		c.What = fmt.Sprintf("Put %s back on revision %d%s, digest %s, deployed %s by %s: that revision's digest and its configuration.",
			env, to.Number, tagNote(to.Tag), to.Digest, to.At.Local().Format("Jan 2 15:04"), to.By)
		do = func(ctx context.Context, cfg *promote.Config) (string, error) {
			rb := promote.NewRollback(cfg)
			rb.To = to.Number
			rev, err := rb.Run(ctx, env)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Rolled %s back to revision %d%s: revision %d.", env, to.Number, tagNote(to.Tag), rev.Number), nil
		}
	case "loglevel":
		env := f.Get("env")
		level, err := remotelog.Parse(f.Get("level"))
		if err != nil {
			s.render(w, http.StatusBadRequest, "confirm", confirmation{Title: "Log level of " + env, Problem: err.Error(), Action: "/"})
			return
		}
		var d time.Duration
		if v := f.Get("for"); v != "" {
			if d, err = time.ParseDuration(v); err != nil || d <= 0 {
				s.render(w, http.StatusBadRequest, "confirm", confirmation{Title: "Log level of " + env, Problem: fmt.Sprintf("for %q is not a duration such as 15m", v), Action: "/"})
				return
			}
		}
		c.Title, c.Button = fmt.Sprintf("Set %s's log level to %s", env, level), "Set "+level
		c.Hidden = []field{{"env", env}, {"level", level}, {"for", f.Get("for")}}
		c.What = fmt.Sprintf("Services of %s that poll REMOTE_LOG_URL switch to %s at their next poll", env, level)
		if d > 0 {
			c.What += fmt.Sprintf(", and back to their configured level after %s.", d)
		} else {
			c.What += ", until it is changed again."
		}
		if !promote.PollsLevel(s.conf(), env) {
			c.Problem = fmt.Sprintf("%s's live revision has no REMOTE_LOG_URL: its service never asks for a level, so this one is recorded but changes nothing until a revision with REMOTE_LOG_URL is deployed.", env)
		}
		do = func(ctx context.Context, cfg *promote.Config) (string, error) {
			if _, err := promote.SetLogLevel(cfg, env, level, d); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s's log level is %s.", env, level), nil
		}
	default:
		http.NotFound(w, r)
		return
	}

	if f.Get("confirm") != "yes" {
		s.render(w, http.StatusOK, "confirm", c)
		return
	}
	switch {
	case c.Who == "" || len(c.Who) > 80:
		c.Problem = "Say who you are (up to 80 characters): the history records it."
		s.render(w, http.StatusBadRequest, "confirm", c)
		return
	}
	// Remember the name in this browser for the next action.
	http.SetCookie(w, &http.Cookie{Name: "ferry_who", Value: url.QueryEscape(c.Who), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})

	s.actMu.Lock()
	cfg := s.opts.Config()
	cfg.User = fmt.Sprintf("%s via ferry serve (%s)", c.Who, clientIP(r))
	msg, err := do(r.Context(), cfg)
	s.actMu.Unlock()
	s.poke()
	q := url.Values{}
	if err != nil {
		msg := secret.Scrub(err.Error())
		s.log.Warn("action failed", "action", r.PathValue("action"), "by", cfg.User, "err", msg)
		q.Set("failed", msg)
	} else {
		s.log.Info("action", "action", r.PathValue("action"), "by", cfg.User, "result", msg)
		q.Set("done", msg)
	}
	http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
}

// smokeSteps lists the smoke steps a promotion from → to runs: from's
// before the deploy, to's after it.
func smokeSteps(c *promote.Config, from, to string) []string {
	var out []string
	for _, name := range []string{from, to} {
		env, err := c.Project.Env(name)
		if err != nil {
			continue
		}
		for _, st := range env.Smoke {
			out = append(out, "smoke "+name+": "+st.String())
		}
	}
	return out
}

func tagNote(tag string) string {
	if tag == "" {
		return ""
	}
	return " (" + tag + ")"
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
