package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
)

// TestBuildReadsCIForTags: a build that changes nothing reads the
// repository's deploy commands (a second project load on -v) only while kit's build tags would leave
// a client out, and then a CI --set flag naming a Redis key keeps the
// Redis client in the binary.
func TestBuildReadsCIForTags(t *testing.T) {
	slow(t, "builds a service")
	kit, err := filepath.Abs("../../kit")
	if err != nil {
		t.Fatal(err)
	}
	requireKit := fmt.Sprintf("\nrequire github.com/ferrydev/ferry/kit v0.1.0\n\nreplace github.com/ferrydev/ferry/kit => %s\n", kit)
	deploy := "#!/bin/sh\nset -e\nhelm upgrade --install svc ./chart -n prod -f values-prod.yaml --set env.REDIS_HOST=cache\n"
	tests := []struct {
		name      string
		kit       bool
		files     map[string]string
		wantLoads int
		wantTags  string // in the binary's build information
	}{
		{"service without kit: no tags, CI not read", false, map[string]string{"deploy.sh": deploy}, 1, ""},
		{"kit service: CI read, its Redis key kept", true, map[string]string{"deploy.sh": deploy}, 2, "-tags=kit_nopostgres,kit_nosqlite"},
		{"kit service configuring every client: CI not read", true, map[string]string{"deploy.sh": deploy, "configs/.prod.env": "DB_DIALECT=postgres\nREDIS_HOST=cache\n"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := buildProject(t)
			testtree.WriteIn(t, dir, map[string]string{
				"chart/Chart.yaml":  "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
				"chart/values.yaml": "image:\n  repository: svc\n  tag: v1\n",
				"values-prod.yaml":  "image:\n  tag: v2\n",
			})
			testtree.WriteIn(t, dir, tt.files)
			if tt.kit {
				f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.WriteString(requireKit)
				if err := errors.Join(err, f.Close()); err != nil {
					t.Fatal(err)
				}
			}
			// The second build changes nothing: it stores nothing, and
			// nothing is pruned (which loads the project on its own).
			var out, errOut string
			for range 2 {
				var code int
				if out, errOut, code = run(t, "-C "+dir+" -v build"); code != 0 {
					t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
				}
			}
			if n := strings.Count(errOut, `msg="project loaded"`); n != tt.wantLoads {
				t.Errorf("project loaded %d times, want %d\n%s", n, tt.wantLoads, errOut)
			}
			info, err := exec.Command("go", "version", "-m", filepath.Join(dir, ".ferry", "build", "svc")).Output()
			if err != nil {
				t.Fatal(err)
			}
			var tags string
			for _, l := range strings.Split(string(info), "\n") {
				if f := strings.Fields(l); len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "-tags=") {
					tags = f[1]
				}
			}
			if tags != tt.wantTags {
				t.Errorf("binary built with %q, want %q\n%s", tags, tt.wantTags, info)
			}
		})
	}
}
