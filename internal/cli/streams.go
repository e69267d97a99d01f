package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Streams are the IO a command may use. stdout carries only results;
// progress and notes go to ErrOut, and only when it is a terminal.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY say whether Out and ErrOut are terminals: colour
	// and progress are shown only then.
	OutTTY bool
	ErrTTY bool
}

// System returns the process's standard streams.
func System() Streams {
	return Streams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
