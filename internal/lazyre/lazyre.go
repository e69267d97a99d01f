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
//
// A package compiled without inlining (the Makefile's NOINLINE) writes
// &lazyre.Regexp{Src: …}: there New stays a call, which gives the
// package an init function that every command runs and pages in.
type Regexp struct {
	once sync.Once
	// Src is the expression; an invalid one panics on first use, as
	// regexp.MustCompile would at start-up.
	Src string
	re  *regexp.Regexp
}

// New keeps src for Get to compile.
func New(src string) *Regexp { return &Regexp{Src: src} }

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

func (l *Regexp) compile() { l.re = regexp.MustCompile(l.Src) }
