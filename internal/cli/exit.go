package cli

import (
	"context"
	"errors"
	"strconv"

	"github.com/ferrydev/ferry/internal/confine"
)

// Exit codes; see the package documentation.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitTarget      = 3
	ExitInterrupted = 130
	ExitTerminated  = 143
)

// ExitError carries the exit code a command's error should end ferry with.
type ExitError struct {
	Code int
	Err  error
	// Silent errors have already been reported (a failed check printed its
	// findings); Main prints nothing more.
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + strconv.Itoa(e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks bad input or usage: exit 2.
func usageError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// failedError marks a check that ran and failed: exit 1.
func failedError(err error) error { return &ExitError{Code: ExitFailed, Err: err} }

// targetError marks a failure of the target (process or cluster): exit 3.
func targetError(err error) error { return &ExitError{Code: ExitTarget, Err: err} }

// silentFailure ends with exit 1 after the command printed its own report.
func silentFailure() error { return &ExitError{Code: ExitFailed, Silent: true} }

func exitCode(err error) (code int, silent bool) {
	if err == nil {
		return ExitOK, true
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted, false
	}
	// A path that leaves the project, or a .ferry ferry will not use, is
	// bad input however deep in a command it was found.
	if errors.Is(err, confine.ErrRefused) {
		return ExitUsage, false
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code, ee.Silent
	}
	return ExitFailed, false
}
