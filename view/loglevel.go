package view

import (
	"time"

	"github.com/ferrydev/ferry/remotelog"
)

// The kinds of LevelChange.
const (
	// LevelSet: someone set the level, until Until when it is not zero.
	LevelSet = "set"
	// LevelReset: someone gave the level back to the configuration.
	LevelReset = "reset"
	// LevelRevert: a level set for a while ran out; services went back
	// to the configured LOG_LEVEL at their next poll. Nobody stored it:
	// it follows from the setting, so it shows whether or not a ferry
	// serve was running at the time.
	LevelRevert = "revert"
)

// RevertBy is who a revert is by: ferry itself, not a person.
const RevertBy = "ferry (expiry)"

// LevelChange is one change of an environment's log level, in `ferry
// history`, `ferry loglevel` and on the page.
type LevelChange struct {
	// Environment is the environment's name; Env is its older alias,
	// kept for one release.
	Environment string `json:"environment"`
	Env         string `json:"env"`
	// Change is set, reset or revert.
	Change string `json:"change"`
	// Level is the level set; empty after a reset or a revert, when the
	// environment's configured LOG_LEVEL holds.
	Level string    `json:"level,omitempty"`
	Until time.Time `json:"until,omitzero"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	// Reverts is, on a revert, the setting that ran out.
	Reverts *LevelChange `json:"reverts,omitempty"`
}

// LevelChanges is the view of an environment's stored log-level settings
// (oldest first) at now: newest first, with a revert wherever a setting's
// --for ran out before the next setting was made.
func LevelChanges(hist []remotelog.Setting, now time.Time) []LevelChange {
	out := make([]LevelChange, 0, len(hist))
	for i, s := range hist {
		c := LevelChange{Environment: s.Env, Env: s.Env, Change: LevelSet, Level: s.Level, Until: s.Until, By: s.By, At: s.At}
		if s.Reset {
			c.Change, c.Level, c.Until = LevelReset, "", time.Time{}
		}
		out = append(out, c)
		if s.Reset || s.Until.IsZero() {
			continue
		}
		// The setting ran out unless the next one came first (at Until
		// exactly, the next one is what services get).
		ranOut := !now.Before(s.Until)
		if i+1 < len(hist) {
			ranOut = s.Until.Before(hist[i+1].At)
		}
		if ranOut {
			set := c
			out = append(out, LevelChange{Environment: s.Env, Env: s.Env, Change: LevelRevert, By: RevertBy, At: s.Until, Reverts: &set})
		}
	}
	// Newest first, as revisions are listed.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// What is the change in a few words: "DEBUG for 15m", "back to the
// configured level", "back to the configured level (DEBUG for 15m ran
// out)".
func (c *LevelChange) What() string {
	switch c.Change {
	case LevelReset:
		return "back to the configured level"
	case LevelRevert:
		if c.Reverts != nil {
			return "back to the configured level (" + c.Reverts.What() + " by " + c.Reverts.By + " ran out)"
		}
		return "back to the configured level"
	}
	if c.Until.IsZero() {
		return c.Level
	}
	return c.Level + " for " + c.Until.Sub(c.At).String()
}

// LevelSetting is one stored log-level setting as shown: the stored
// fields, with the environment named "environment" (the stored "env"
// stays beside it as its older alias, for one release).
type LevelSetting struct {
	Environment string `json:"environment"`
	remotelog.Setting
}

// NewLevelSetting is s as shown; nil for nil.
func NewLevelSetting(s *remotelog.Setting) *LevelSetting {
	if s == nil {
		return nil
	}
	return &LevelSetting{Environment: s.Env, Setting: *s}
}

// LogLevel is `ferry loglevel <env>`: the level now, and the settings
// and changes that led to it.
type LogLevel struct {
	Environment string `json:"environment"`
	// Env is Environment's older alias, kept for one release.
	Env   string `json:"env"`
	Level string `json:"level"`
	// Configured is the level the configuration sets (LOG_LEVEL).
	Configured string `json:"configured"`
	// Setting is the active setting, nil when the configured level holds.
	Setting *LevelSetting  `json:"setting,omitempty"`
	History []LevelSetting `json:"history"`
	// Changes are the history as ferry history shows it.
	Changes []LevelChange `json:"changes"`
}

// NewLogLevel is the level cur says, with the stored settings hist
// (oldest first) and the changes they make.
func NewLogLevel(cur remotelog.Current, hist []remotelog.Setting, changes []LevelChange) *LogLevel {
	v := &LogLevel{Environment: cur.Env, Env: cur.Env, Level: cur.Level, Configured: cur.Configured,
		Setting: NewLevelSetting(cur.Setting), History: []LevelSetting{}, Changes: changes}
	for i := range hist {
		v.History = append(v.History, *NewLevelSetting(&hist[i]))
	}
	if v.Changes == nil {
		v.Changes = []LevelChange{}
	}
	return v
}
