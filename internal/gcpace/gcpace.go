// Package gcpace sets the garbage collector's pace for ferry's commands
// before the other packages initialise. Imported for its side effect.
//
// A ferry command is short and its live heap a few MB, but package
// initialisation (Helm's JSON-schema metaschemas, client-go's scheme)
// allocates ~5 MB first: past the runtime's 4 MB first goal, so with
// GOGC=100 two collections run in start-up, of a heap most of which
// stays live. At 150 a check of 3 environments runs 2 or 3 collections
// instead of 4, ~8% less CPU, for under 1 MB more peak memory. A command
// still collecting after that has a heap that grows (a render of 30,000
// values keys), whose peak would be 25% higher at 150: after the
// collections-th collection the pace returns to Go's default. A GOGC the
// user set is left as it is.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"syscall"
)

const (
	// percent is GOGC for the first collections.
	percent = 150
	// collections is how many collections run at percent.
	collections = 4
)

func init() {
	if _, set := syscall.Getenv("GOGC"); !set {
		debug.SetGCPercent(percent)
		runtime.SetFinalizer(&sentinel{}, collected)
	}
}

// sentinel is unreachable from its allocation on: its finalizer runs
// after the next collection. It holds a pointer so that it is never a
// tiny allocation, whose finalizer may not run.
type sentinel struct{ _ *sentinel }

// seen counts the collections run at percent (finalizers run one at a
// time, on one goroutine).
var seen int

// collected follows each collection until the collections-th, then
// returns GOGC to 100.
func collected(*sentinel) {
	if seen++; seen >= collections {
		debug.SetGCPercent(100)
		return
	}
	runtime.SetFinalizer(&sentinel{}, collected)
}
