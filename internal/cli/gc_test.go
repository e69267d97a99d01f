package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// gcProject copies the stand-in service and stores seven builds of it
// (each its own 1 MiB binary); it tags the first and deploys the second
// to staging. It returns the project directory and the digests.
func gcProject(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	s := artifact.NewStore(dir)
	var d []string
	for i := range 7 {
		bin := filepath.Join(t.TempDir(), "svc")
		if err := os.WriteFile(bin, bytes.Repeat([]byte(fmt.Sprintf("build %d;", i)), 1<<20/8), 0o755); err != nil {
			t.Fatal(err)
		}
		img, info, err := artifact.Package(bin, "svc", filepath.Join(dir, "configs"), "")
		if err != nil {
			t.Fatal(err)
		}
		tag := ""
		if i == 0 {
			tag = "1.0.0"
		}
		if err := s.Put(img, tag, false); err != nil {
			t.Fatal(err)
		}
		d = append(d, info.Digest)
	}
	st := boltstore.New(filepath.Join(dir, ".ferry", "state.db"))
	if err := st.Update(func(tx state.Tx) error {
		_, err := tx.Add(&state.Revision{Env: "staging", Digest: d[1], Action: "deploy", Outcome: state.Live})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return dir, d
}

// TestPruneAfterBuild: after a build the store keeps what gc would keep
// ($FERRY_KEEP_BUILDS of the latest), when every environment is local;
// with a Kubernetes environment it leaves the store to ferry gc.
func TestPruneAfterBuild(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		gone []bool
	}{
		{"local", "", []bool{false, false, true, true, true, false, false}},
		{"kube", "service: svc\nmain: .\npath: [staging, prod]\nenvironments:\n  staging: {}\n  prod: {target: kube, namespace: svc-prod}\n", make([]bool, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, d := gcProject(t)
			if tt.yaml != "" {
				if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A project that does not load would prune nothing either.
			if p, err := project.Load(dir); err != nil || len(p.Environments) != 2 {
				t.Fatalf("project: %v", err)
			}
			t.Setenv(keepEnv, "2")
			s := artifact.NewStore(dir)
			(&globalOptions{Dir: dir}).pruneAfterBuild(t.Context(), s, nil)
			assertGone(t, s, d, tt.gone)
		})
	}
}

// TestGC stores seven builds of the stand-in service (each its own 1 MiB
// binary), tags the first, deploys the second to staging, and runs
// ferry gc: the tagged, deployed, last and latest --keep builds stay,
// the rest and their layers go, and gc says how much it freed.
func TestGC(t *testing.T) {
	dir, d := gcProject(t)
	tests := []struct {
		args    string
		code    int
		removed []int
		want    []string
	}{
		{"gc --keep 2 --dry-run", 0, []int{2, 3, 4}, []string{"would remove 3 image(s) and 9 blob(s), freeing 3.0 MiB; kept 4 image(s)"}},
		{"gc --keep -1", 2, nil, []string{"--keep -1: want a number of builds"}},
		{"gc --keep 2 -o json", 0, []int{2, 3, 4}, []string{`"freedBytes": 31`}},
		{"gc", 0, nil, []string{"removed 0 image(s) and 0 blob(s), freeing 0 B; kept 4 image(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			out, errOut, code := run(t, "-C "+dir+" "+tt.args)
			if code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
			if code != 0 {
				return
			}
			var removed []string
			if strings.Contains(tt.args, "json") {
				var got artifact.Pruned
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("%v:\n%s", err, out)
				}
				removed = got.Removed
			} else {
				for _, l := range strings.Split(out, "\n") {
					if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[len(f)-1], "sha256:") {
						removed = append(removed, f[len(f)-1])
					}
				}
			}
			var want []string
			for _, i := range tt.removed {
				want = append(want, d[i])
			}
			if !slices.Equal(removed, want) {
				t.Errorf("removed %v, want %v", removed, want)
			}
		})
	}
	assertGone(t, artifact.NewStore(dir), d, []bool{false, false, true, true, true, false, false})
}

func assertGone(t *testing.T, s *artifact.Store, d []string, gone []bool) {
	t.Helper()
	for i, g := range gone {
		if _, err := s.Resolve(d[i]); (err != nil) != g {
			t.Errorf("image %d: resolve error %v, want gone=%v", i, err, g)
		}
	}
}
