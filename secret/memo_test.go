package secret

import (
	"strconv"
	"testing"
)

// TestMemoBoundedWithoutThrashing: a pass over more keys than the
// bound, asked again in the same order (render, then its output), finds
// every key the second time, and the memo never holds more than twice
// its bound however many keys pass.
func TestMemoBoundedWithoutThrashing(t *testing.T) {
	tests := []struct{ max, keys, wantHits int }{
		{max: 4, keys: 3, wantHits: 3},
		{max: 4, keys: 6, wantHits: 6},
		{max: 4, keys: 8, wantHits: 8},
		{max: 4, keys: 100, wantHits: 4}, // only the last generations stay
	}
	for _, tt := range tests {
		m := memo{max: tt.max}
		for i := range tt.keys {
			m.put(strconv.Itoa(i), known{clean: strconv.Itoa(i)})
			if n := len(m.cur) + len(m.old); n > 2*tt.max {
				t.Fatalf("max %d: holds %d after %d keys", tt.max, n, i+1)
			}
		}
		hits := 0
		for i := range tt.keys {
			if v, ok := m.get(strconv.Itoa(i)); ok {
				if v.clean != strconv.Itoa(i) {
					t.Fatalf("max %d: key %d holds %q", tt.max, i, v.clean)
				}
				hits++
			}
		}
		if hits < tt.wantHits {
			t.Errorf("max %d, %d keys: %d found again, want at least %d", tt.max, tt.keys, hits, tt.wantHits)
		}
	}
}

// TestMemoUpdateKeepsGeneration: Is updating the entry of a key the
// full current generation holds does not drop the older one.
func TestMemoUpdateKeepsGeneration(t *testing.T) {
	m := memo{max: 4}
	for i := range 8 {
		m.put(strconv.Itoa(i), known{})
	}
	m.put("7", known{judged: true, clean: "x"})
	for i := range 8 {
		if _, ok := m.get(strconv.Itoa(i)); !ok {
			t.Errorf("key %d lost after an update of key 7", i)
		}
	}
	if n, _ := m.get("7"); n.clean != "x" {
		t.Errorf("key 7 holds %+v, want its update", n)
	}
}
