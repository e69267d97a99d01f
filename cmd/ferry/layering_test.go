package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// floors are the module's layers, top to bottom as docs/layout.md gives
// them: a package may import its own floor and the ones below, never one
// above. A package is placed by its longest listed prefix; a package no
// prefix places fails the test, so that a new one is placed on purpose.
var floors = map[string]int{
	"cmd": 6, "bench": 6, "hack": 6, "scaffold/citest": 6, "internal/demotest": 6,
	"platform/platformtest/targetsuite": 6,
	"internal/cli":                      5,
	"serve":                             4, "promote": 4,
	"platform": 3, "view": 3,
	"state": 2, "internal/boltstore": 2, "render": 2, "check": 2, "artifact": 2, "sign": 2,
	"soak": 2, "remotelog": 2, "sopsvalues": 2, "scaffold": 2,
	"project": 1, "secret": 1, "internal/confine": 1, "internal/lazyre": 1, "internal/sentinel": 1, "internal/portholder": 1, "internal/packfs": 1, "internal/gcpace": 1,
	"internal/kubeletenv": 1, "internal/testcluster": 1, "internal/testtree": 1,
}

const module = "github.com/ferrydev/ferry"

func floorOf(pkg string) (int, bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	best, floor := -1, 0
	for prefix, f := range floors {
		if (rel == prefix || strings.HasPrefix(rel, prefix+"/")) && len(prefix) > best {
			best, floor = len(prefix), f
		}
	}
	return floor, best >= 0
}

// TestLayering: no package of the module imports a package on a higher
// floor (go list -deps over the whole module, tests' imports left out:
// a test may reach up to drive what it tests).
func TestLayering(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Module", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Module     *struct{ Path string }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		seen++
		from, ok := floorOf(p.ImportPath)
		if !ok {
			t.Errorf("%s is on no floor: place it in docs/layout.md and this test's floors", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if to, ok := floorOf(imp); ok && to > from {
				t.Errorf("upward import: %s (floor %d) imports %s (floor %d)", p.ImportPath, from, imp, to)
			}
		}
	}
	if seen < 20 {
		t.Fatalf("go list named %d of the module's packages, want them all", seen)
	}
}

func TestFloorOf(t *testing.T) {
	for _, tt := range []struct {
		pkg   string
		floor int
		ok    bool
	}{
		{module + "/platform/kube", 3, true},
		{module + "/scaffold/citest", 6, true},
		{module + "/scaffold", 2, true},
		{module + "/internal/cli", 5, true},
		{module + "/internal/newthing", 0, false},
		{module + "/stateful", 0, false}, // a prefix, not a path element
	} {
		if f, ok := floorOf(tt.pkg); f != tt.floor || ok != tt.ok {
			t.Errorf("floorOf(%s) = %d, %v; want %d, %v", tt.pkg, f, ok, tt.floor, tt.ok)
		}
	}
}
