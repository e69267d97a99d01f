// Package remotelog answers GoFr's REMOTE_LOG_URL: a service that sets
// REMOTE_LOG_URL polls it every REMOTE_LOG_FETCH_INTERVAL seconds and
// applies the level in {"data":{"serviceName":…,"logLevel":…}}, so the
// level of one environment changes without a redeploy.
//
// A level is set for an environment, optionally for a while; when the
// while is over the endpoint answers the environment's configured level
// again (LOG_LEVEL of its live revision, INFO when unset), and the
// service reverts at its next poll. Every setting is kept, with who set
// it and when, as the environment's log-level history.
package remotelog

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ferrydev/ferry/internal/sentinel"
)

// Levels are the levels GoFr applies, exactly as it spells them; any
// other logLevel in the body is ignored by the service.
var Levels = []string{"DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"}

// ErrLevel is returned for a level the services would not apply.
var ErrLevel error = &sentinel.Error{Text: "unknown log level"}

// Parse returns the level as services expect it. Case is forgiven on
// input (debug is DEBUG); anything that is not one of Levels is refused,
// since a service would silently ignore it.
func Parse(s string) (string, error) {
	l := strings.ToUpper(strings.TrimSpace(s))
	if l == "WARNING" {
		l = "WARN"
	}
	if !slices.Contains(Levels, l) {
		return "", fmt.Errorf("%w %q: one of %s", ErrLevel, s, strings.Join(Levels, ", "))
	}
	return l, nil
}

// Setting is one change of an environment's level.
type Setting struct {
	Env   string `json:"env"`
	Level string `json:"level"`
	// Until is when the setting expires; zero: until changed again.
	Until time.Time `json:"until,omitzero"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	// Reset says the setting gave the level back to the configuration.
	Reset bool `json:"reset,omitempty"`
}

// Active says whether the setting holds at t.
func (s *Setting) Active(t time.Time) bool {
	return s != nil && !s.Reset && (s.Until.IsZero() || t.Before(s.Until))
}

// Store keeps the settings. ferry's state file implements it.
type Store interface {
	// AddLevel records s as env's latest setting.
	AddLevel(s Setting) error
	// LevelHistory returns env's settings, oldest first.
	LevelHistory(env string) ([]Setting, error)
}

// Current is an environment's level now and where it comes from.
type Current struct {
	Env   string `json:"env"`
	Level string `json:"level"`
	// Configured is the level the configuration sets (LOG_LEVEL).
	Configured string `json:"configured"`
	// Setting is the active setting, nil when the configured level holds.
	Setting *Setting `json:"setting,omitempty"`
}

// Resolve says what level env runs at t: the latest setting while it is
// active, else configured (INFO when empty).
func Resolve(st Store, env, configured string, t time.Time) (Current, error) {
	if l, err := Parse(configured); err == nil {
		configured = l
	} else {
		configured = "INFO"
	}
	c := Current{Env: env, Level: configured, Configured: configured}
	hist, err := st.LevelHistory(env)
	if err != nil {
		return c, fmt.Errorf("log level of %s: %w", env, err)
	}
	if n := len(hist); n > 0 && hist[n-1].Active(t) {
		s := hist[n-1]
		c.Level, c.Setting = s.Level, &s
	}
	return c, nil
}

// Body is GoFr's REMOTE_LOG_URL answer.
type Body struct {
	Data struct {
		ServiceName string `json:"serviceName"`
		LogLevel    string `json:"logLevel"`
	} `json:"data"`
}

// Handler answers GET with env's level in GoFr's body. Env names the
// environment of a request (from its path); Configured gives an
// environment's configured LOG_LEVEL and reports an unknown environment
// with ok false.
type Handler struct {
	Service    string
	Store      Store
	Env        func(r *http.Request) string
	Configured func(env string) (level string, ok bool)
	Now        func() time.Time
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	env := h.Env(r)
	conf, ok := h.Configured(env)
	if !ok {
		http.Error(w, fmt.Sprintf("no environment %q", env), http.StatusNotFound)
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	cur, err := Resolve(h.Store, env, conf, now())
	if err != nil {
		// A 5xx that a service ignores (kit) or, with GoFr, a body that
		// is not an instruction: either way the level stays as it is.
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	var b Body
	b.Data.ServiceName, b.Data.LogLevel = h.Service, cur.Level
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(b)
}

// Equal says whether s and o are the same setting (times compared as
// instants, whatever their location).
func (s Setting) Equal(o Setting) bool {
	return s.Env == o.Env && s.Level == o.Level && s.By == o.By && s.Reset == o.Reset &&
		s.At.Equal(o.At) && s.Until.Equal(o.Until)
}
