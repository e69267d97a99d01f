package project

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadAllMonorepo loads a monorepo root: each service with its own
// ferry.yaml (orders: a chart and GoFr configs; notify: configs only)
// is its own project with its own accepted findings and runtime; billing,
// which has none, falls to the root's ferry.yaml.
func TestLoadAllMonorepo(t *testing.T) {
	ps, err := LoadAll("testdata/monorepo")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("testdata/monorepo")
	got := map[string]*Project{}
	for _, p := range ps {
		rel, _ := filepath.Rel(root, p.Dir)
		got[filepath.ToSlash(rel)+"|"+p.Chart] = p
	}
	tests := []struct {
		key, service, runtime, accept, envs string
	}{
		{"services/orders|chart", "orders", RuntimeGoFr, "FERRY041", "dev,staging,prod"},
		{"services/notify|", "notify", RuntimeGoFr, "", "dev,prod"},
		{".|services/billing/deploy/helm", "billing", RuntimeGeneric, "FERRY002", "qa,prod"},
	}
	if len(ps) != len(tests) {
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		t.Fatalf("%d projects (%s), want %d", len(ps), strings.Join(keys, " "), len(tests))
	}
	for _, tt := range tests {
		p, ok := got[tt.key]
		if !ok {
			t.Errorf("no project %s", tt.key)
			continue
		}
		var acc []string
		for _, a := range p.Accept {
			acc = append(acc, a.Rule)
		}
		if p.Service != tt.service || p.Runtime != tt.runtime || strings.Join(acc, ",") != tt.accept || strings.Join(p.EnvNames(), ",") != tt.envs {
			t.Errorf("%s: service %s runtime %s accept %v envs %v, want %s %s %s %s", tt.key, p.Service, p.Runtime, acc, p.EnvNames(), tt.service, tt.runtime, tt.accept, tt.envs)
		}
	}
}
