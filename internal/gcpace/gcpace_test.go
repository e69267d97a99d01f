package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"
)

// TestPace: without GOGC the collector runs at percent for the first
// collections and at 100 after; a GOGC the user set wins throughout.
func TestPace(t *testing.T) {
	want := percent
	v, set := os.LookupEnv("GOGC")
	if set {
		if n, err := strconv.Atoi(v); err == nil {
			want = n
		} else {
			want = -1 // "off"
		}
	}
	runtime.GC()
	if got := pace(); got != want {
		t.Fatalf("GC percent with a small heap = %d, want %d", got, want)
	}
	if set {
		return
	}
	for i := 0; i < 5*collections && pace() != 100; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // finalizers run on their own goroutine
	}
	if got := pace(); got != 100 {
		t.Errorf("GC percent after %d collections = %d, want 100", 5*collections, got)
	}
	// As the process started, for -count above 1.
	seen = 0
	debug.SetGCPercent(percent)
	runtime.SetFinalizer(&sentinel{}, collected)
}

// pace reads the GC percent without setting it (which would race with
// the watch).
func pace() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
