package gcpace

import (
	"os"
	"runtime/debug"
	"strconv"
	"testing"
)

// TestPace: without GOGC the collector runs at percent; a GOGC the user
// set wins.
func TestPace(t *testing.T) {
	want := percent
	if v, ok := os.LookupEnv("GOGC"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			want = n
		} else {
			want = -1 // "off"
		}
	}
	got := debug.SetGCPercent(want)
	if got != want {
		t.Errorf("GC percent after init = %d, want %d", got, want)
	}
}
