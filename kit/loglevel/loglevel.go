// Package loglevel maps GoFr's six log levels onto log/slog and keeps a
// service's level in step with a remote endpoint (REMOTE_LOG_URL).
//
// GoFr has NOTICE and FATAL, which slog lacks; they become slog levels 2 and
// 12 so that they order correctly between INFO and WARN and above ERROR.
package loglevel

import (
	"fmt"
	"log/slog"
	"strings"
)

// GoFr's levels that slog has no constant for.
const (
	Notice = slog.Level(2)
	Fatal  = slog.Level(12)
)

// Names lists GoFr's levels from the most to the least verbose.
var Names = []string{"DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"}

var byName = map[string]slog.Level{
	"DEBUG":  slog.LevelDebug,
	"INFO":   slog.LevelInfo,
	"NOTICE": Notice,
	"WARN":   slog.LevelWarn,
	"ERROR":  slog.LevelError,
	"FATAL":  Fatal,
}

// Parse returns the slog level for one of GoFr's six names, compared
// case-insensitively as GoFr does for LOG_LEVEL.
func Parse(s string) (slog.Level, error) {
	if l, ok := byName[strings.ToUpper(s)]; ok {
		return l, nil
	}
	return 0, fmt.Errorf("log level %q: not one of %s", s, strings.Join(Names, ", "))
}

// Name returns GoFr's name for l: the nearest named level at or below it.
func Name(l slog.Level) string {
	switch {
	case l >= Fatal:
		return "FATAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= Notice:
		return "NOTICE"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that writes GoFr's level
// names and GoFr's "message" key, so that log pipelines built for GoFr
// keep working.
func ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(slog.LevelKey, Name(l))
		}
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}
