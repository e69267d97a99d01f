package kube

import "github.com/ferrydev/ferry/state"

// Refused promotions live in the environment's record ConfigMap too,
// under refused.json (oldest first, the newest maxRefusals), so that a
// promotion refused on one machine shows in everyone's history.
const (
	refusedKey  = "refused.json"
	maxRefusals = 100
)

var _ state.RefusalStore = (*Store)(nil)

// AddRefusal implements state.RefusalStore in the cluster.
func (s *Store) AddRefusal(r state.Refusal) error {
	if err := s.mine(r.Environment); err != nil {
		return err
	}
	return appendRecord(s, refusedKey, r, func(l []state.Refusal) []state.Refusal {
		return l[max(0, len(l)-maxRefusals):]
	})
}

// Refusals implements state.RefusalStore in the cluster.
func (s *Store) Refusals(env string) ([]state.Refusal, error) {
	if err := s.mine(env); err != nil {
		return nil, err
	}
	var list []state.Refusal
	return list, s.readRecord(refusedKey, &list)
}
