package lazyre

import (
	"sync"
	"testing"
)

// TestGet compiles once, under concurrent first use, and matches as the
// expression says; an invalid expression panics on first use, not before.
func TestGet(t *testing.T) {
	r := New(`^v?[0-9]+\.[0-9]+`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !r.Get().MatchString("v1.26") || r.Get().MatchString("latest") {
				t.Error("wrong match")
			}
		})
	}
	wg.Wait()
	if r.Get() != r.Get() {
		t.Error("compiled twice")
	}
	bad := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("an invalid expression did not panic on first use")
		}
	}()
	bad.Get()
}
