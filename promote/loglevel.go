package promote

import (
	"fmt"
	"time"

	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// LevelStore is where log-level settings are kept: each environment's
// own state store (the project's file, or its target's), so that
// everyone promoting an environment sees one history.
func LevelStore(c *Config) remotelog.Store { return envLevels{c} }

// envLevels sends each environment's settings to its store.
type envLevels struct{ c *Config }

func (l envLevels) AddLevel(s remotelog.Setting) error {
	st, err := l.c.storeNamed(s.Env)
	if err != nil {
		return err
	}
	return st.AddLevel(s)
}

func (l envLevels) LevelHistory(env string) ([]remotelog.Setting, error) {
	st, err := l.c.storeNamed(env)
	if err != nil {
		return nil, err
	}
	return st.LevelHistory(env)
}

// ConfiguredLevel is envName's LOG_LEVEL as its newest revision was
// deployed with ("" when unset or nothing is deployed). A revision still
// starting counts: its process polls before it is live, and must be told
// its own configured level, not its predecessor's.
func ConfiguredLevel(c *Config, envName string) string {
	// The newest few suffice: a live revision is never far from the top.
	revs, _, err := c.recent(envName, 5)
	if err != nil {
		return ""
	}
	for i := range revs {
		if r := &revs[i]; r.Outcome == state.Pending || r.Outcome == state.Live {
			return snapshotVars(r)["LOG_LEVEL"]
		}
	}
	return ""
}

// LogLevel is envName's level now and where it comes from.
func LogLevel(c *Config, envName string) (remotelog.Current, error) {
	if _, err := c.env(envName); err != nil {
		return remotelog.Current{}, err
	}
	return remotelog.Resolve(LevelStore(c), envName, ConfiguredLevel(c, envName), c.now())
}

// LogLevels is envName's log-level history, oldest first.
func LogLevels(c *Config, envName string) ([]remotelog.Setting, error) {
	if _, err := c.env(envName); err != nil {
		return nil, err
	}
	return LevelStore(c).LevelHistory(envName)
}

// LevelChanges is envName's log-level history as it is shown: newest
// first, with the reverts of settings that ran out.
func LevelChanges(c *Config, envName string) ([]view.LevelChange, error) {
	hist, err := LogLevels(c, envName)
	if err != nil {
		return nil, fmt.Errorf("log levels of %s: %w", envName, err)
	}
	return view.LevelChanges(hist, c.now()), nil
}

// SetLogLevel sets envName's level for d (0: until changed; level ""
// gives it back to the configuration), recorded with c's user. Services
// that poll REMOTE_LOG_URL apply it at their next poll.
func SetLogLevel(c *Config, envName, level string, d time.Duration) (remotelog.Setting, error) {
	if _, err := c.env(envName); err != nil {
		return remotelog.Setting{}, err
	}
	s := remotelog.Setting{Env: envName, By: c.user(), At: c.now().UTC()}
	if level == "" {
		s.Reset = true
	} else {
		l, err := remotelog.Parse(level)
		if err != nil {
			return s, fmt.Errorf("%w: %w", ErrInput, err)
		}
		s.Level = l
	}
	if d > 0 {
		s.Until = s.At.Add(d)
	}
	if err := LevelStore(c).AddLevel(s); err != nil {
		return s, fmt.Errorf("setting %s's log level: %w", envName, err)
	}
	return s, nil
}
