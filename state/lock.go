package state

import (
	"fmt"
	"time"

	"github.com/ferrydev/ferry/internal/sentinel"
)

// Holder describes who holds an environment's lock.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	User    string    `json:"user,omitempty"`
	Since   time.Time `json:"since"`
}

func (h Holder) String() string {
	return fmt.Sprintf("%q (pid %d, since %s)", h.Command, h.PID, h.Since.Format(time.RFC3339))
}

// LockedError is returned when another ferry holds the environment.
type LockedError struct {
	Env    string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("environment %q is locked by %s", e.Env, e.Holder)
}

// ErrLocked matches every *LockedError with errors.Is.
var ErrLocked error = &sentinel.Error{Text: "environment locked"}

// Is implements errors.Is for ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }
