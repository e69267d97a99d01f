package cli

import (
	"fmt"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
)

// TestExitCodeConfine: a refused path is exit 2 even when a command
// wrapped it as a target failure.
func TestExitCodeConfine(t *testing.T) {
	refused := &confine.Error{Op: "open", Path: ".ferry", Why: "is a file, not the directory ferry keeps its state in: move it away"}
	for _, err := range []error{refused, fmt.Errorf("build: %w", refused), targetError(fmt.Errorf("deploy: %w", refused))} {
		if code, _ := exitCode(err); code != ExitUsage {
			t.Errorf("exitCode(%v) = %d, want %d", err, code, ExitUsage)
		}
	}
}
