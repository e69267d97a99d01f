package project

import (
	"slices"
	"strings"
	"testing"
)

// TestConventionalOrder orders real teams' stage names: unknown names
// sit between the dev-like and the prod-like ones, never before dev.
func TestConventionalOrder(t *testing.T) {
	tests := []struct {
		names, want string
	}{
		{"prod stg dev", "dev stg prod"},
		{"hlg int prd", "int hlg prd"},
		{"homolog dev production", "dev homolog production"},
		{"perf preprod uat qa dev prod", "dev qa uat perf preprod prod"},
		{"prod-eu prod-us staging2 dev", "dev staging2 prod-eu prod-us"},
		// Names ferry does not know: after dev, before prod.
		{"blue dev prod", "dev blue prod"},
		{"alpha beta dev", "dev alpha beta"},
		{"canary live sandbox", "sandbox canary live"},
		{"dr prod test", "test prod dr"},
		// local is a developer's machine: before dev, never after staging.
		{"staging local production", "local staging production"},
		{"production local dev", "local dev production"},
		{"blue local prod", "local blue prod"},
	}
	for _, tt := range tests {
		names := map[string]bool{}
		for _, n := range strings.Fields(tt.names) {
			names[n] = true
		}
		got, why := conventionalOrder(names)
		if !slices.Equal(got, strings.Fields(tt.want)) {
			t.Errorf("%s: order %v (%s), want %s", tt.names, got, why, tt.want)
		}
		if !strings.HasPrefix(why, "by name: ") {
			t.Errorf("%s: reason %q", tt.names, why)
		}
	}
}

func TestProdLike(t *testing.T) {
	for name, want := range map[string]bool{"prod": true, "production": true, "prod-eu": true, "dr": true, "Live": true, "preprod": false, "staging": false, "dev": false, "payments": false} {
		if got := ProdLike(name); got != want {
			t.Errorf("ProdLike(%q) = %v, want %v", name, got, want)
		}
	}
}
