package remotelog

import "sync"

// MemStore is a Store in memory, for tests.
type MemStore struct {
	mu sync.Mutex
	m  map[string][]Setting
}

var _ Store = (*MemStore)(nil)

// AddLevel implements Store.
func (m *MemStore) AddLevel(s Setting) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string][]Setting{}
	}
	m.m[s.Env] = append(m.m[s.Env], s)
	return nil
}

// LevelHistory implements Store.
func (m *MemStore) LevelHistory(env string) ([]Setting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Setting(nil), m.m[env]...), nil
}
