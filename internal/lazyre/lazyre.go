// Package lazyre holds regular expressions compiled on first use. A
// package-level regexp.MustCompile runs at start-up for every command,
// ferry --help included, whether or not the command matches anything;
// sync.OnceValue with a closure per expression does the same job but
// weighed about 1.3 KB of binary per expression.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is an expression's source and, once asked for, its compiled form.
type Regexp struct {
	once sync.Once
	src  string
	re   *regexp.Regexp
}

// New keeps src for Get to compile; an invalid src panics on first use,
// as regexp.MustCompile would at start-up.
func New(src string) *Regexp { return &Regexp{src: src} }

// Get compiles the expression the first time it is called.
//
// Not inlined: a package-level `var x = lazyre.New(…)` is laid out by
// the linker with no start-up code, while `lazyre.New(…).Get` makes a
// method-value closure at init (about 130 bytes of code per
// expression); called as x.Get(), an inlined Get would copy sync.Once's
// fast path into every call site instead.
//
//go:noinline
func (l *Regexp) Get() *regexp.Regexp {
	l.once.Do(l.compile)
	return l.re
}

func (l *Regexp) compile() { l.re = regexp.MustCompile(l.src) }
