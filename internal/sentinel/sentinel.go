// Package sentinel holds errors that callers tell apart with errors.Is
// and that the linker lays out as data. A package-level errors.New is a
// call, so it puts an init function in its package's code, and every
// command, ferry check included, pages that code in at start-up;
// `var ErrX error = &sentinel.Error{Text: "…"}` needs no code at all.
// As with errors.New, each one is its own error: two with the same text
// are not the same.
package sentinel

// Error is a sentinel error, told apart by its address.
type Error struct{ Text string }

func (e *Error) Error() string { return e.Text }
