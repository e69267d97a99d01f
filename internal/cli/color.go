package cli

import (
	"fmt"
	"os"
)

// colorMode is the value of --color.
type colorMode string

const (
	colorAuto   colorMode = "auto"
	colorAlways colorMode = "always"
	colorNever  colorMode = "never"
)

// String implements pflag.Value.
func (c *colorMode) String() string { return string(*c) }

// Set implements pflag.Value; an unknown mode is a usage error.
func (c *colorMode) Set(s string) error {
	switch colorMode(s) {
	case colorAuto, colorAlways, colorNever:
		*c = colorMode(s)
		return nil
	}
	return fmt.Errorf("%q is not one of auto, always, never", s)
}

// Type implements pflag.Value.
func (c *colorMode) Type() string { return "when" }

// useColor reports whether output to a stream that is (or is not) a
// terminal gets ANSI colour: --color=always and never decide alone; auto
// colours a terminal unless NO_COLOR is set to anything but "" (see
// no-color.org) or TERM is "dumb". An explicit flag wins over NO_COLOR, as
// the convention asks.
func (g *globalOptions) useColor(tty bool) bool {
	switch g.Color {
	case colorAlways:
		return true
	case colorNever:
		return false
	}
	return tty && g.getenv("NO_COLOR") == "" && g.getenv("TERM") != "dumb"
}

func (g *globalOptions) getenv(key string) string {
	if g.env != nil {
		return g.env(key)
	}
	return os.Getenv(key)
}
