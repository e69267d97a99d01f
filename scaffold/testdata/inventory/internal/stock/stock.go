// Package stock counts items in memory.
package stock

import "sync"

// Stock is a thread-safe counter per SKU.
type Stock struct {
	mu     sync.Mutex
	counts map[string]int
}

// New returns an empty stock.
func New() *Stock { return &Stock{counts: map[string]int{}} }

// Count returns the count of sku.
func (s *Stock) Count(sku string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[sku]
}
