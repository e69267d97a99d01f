package sentinel

import (
	"errors"
	"fmt"
	"testing"
)

var (
	errA error = &Error{Text: "bad input"}
	errB error = &Error{Text: "bad input"}
)

// TestIdentity: wrapped, a sentinel is found by errors.Is and keeps its
// text; another with the same text is another error, as with errors.New.
func TestIdentity(t *testing.T) {
	wrapped := fmt.Errorf("ferry.yaml:3: %w", errA)
	tests := []struct {
		name   string
		target error
		want   bool
	}{
		{"itself", errA, true},
		{"same text, other error", errB, false},
		{"errors.New with the same text", errors.New("bad input"), false},
	}
	for _, tt := range tests {
		if got := errors.Is(wrapped, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := wrapped.Error(); got != "ferry.yaml:3: bad input" {
		t.Errorf("text = %q", got)
	}
}
