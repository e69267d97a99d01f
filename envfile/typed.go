package envfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ValueError is a value that does not parse as the type its key needs. It
// names the key, the bad value and the line that set it, so that the user
// can fix the right file.
type ValueError struct {
	Key    string
	Value  string
	Source Source
	Want   string // "an integer", "a duration such as 30s", …
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s: %s=%q is not %s", e.Source, e.Key, e.Value, e.Want)
}

func (e *ValueError) Unwrap() error { return e.Err }

// String returns the value of key, or def when it is unset or empty
// (GoFr's GetOrDefault: an empty value means "use the default").
func (c *Config) String(key, def string) string {
	if v := c.Get(key); v != "" {
		return v
	}
	return def
}

// Int returns key as an integer, def when unset or empty.
func (c *Config) Int(key string, def int) (int, error) {
	return typed(c, key, def, "an integer", strconv.Atoi)
}

// Float returns key as a float, def when unset or empty.
func (c *Config) Float(key string, def float64) (float64, error) {
	return typed(c, key, def, "a number", func(s string) (float64, error) {
		return strconv.ParseFloat(s, 64)
	})
}

// Bool returns key as a boolean (strconv.ParseBool), def when unset or empty.
func (c *Config) Bool(key string, def bool) (bool, error) {
	return typed(c, key, def, "a boolean (true or false)", strconv.ParseBool)
}

// Duration returns key as a Go duration ("30s", "1m30s"), def when unset or
// empty. A bare number is refused: GoFr needs the unit.
func (c *Config) Duration(key string, def time.Duration) (time.Duration, error) {
	return typed(c, key, def, "a duration with a unit, such as 30s", time.ParseDuration)
}

// OneOf returns key folded to upper case when it is one of allowed
// (compared case-insensitively), def when unset or empty.
func (c *Config) OneOf(key, def string, allowed ...string) (string, error) {
	return typed(c, key, def, "one of "+strings.Join(allowed, ", "), func(s string) (string, error) {
		for _, a := range allowed {
			if strings.EqualFold(s, a) {
				return a, nil
			}
		}
		return "", fmt.Errorf("not one of %v", allowed)
	})
}

func typed[T any](c *Config, key string, def T, want string, parse func(string) (T, error)) (T, error) {
	v, ok := c.Var(key)
	if !ok || v.Value == "" {
		return def, nil
	}
	got, err := parse(v.Value)
	if err != nil {
		return def, &ValueError{Key: key, Value: v.Value, Source: v.Source, Want: want, Err: err}
	}
	return got, nil
}
