package render

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/project"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// describeResult prints what a user needs to trust a render: where the
// environment's definition came from, the namespaces its objects land in,
// every container with its image's tag source, every key with its
// source (secrets redacted), the values no template reads and the
// references nothing provides.
func describeResult(p *project.Project, e *project.Environment, res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== %s: %s\n", e.Name, e.From.Definition)
	fmt.Fprintf(&b, "release %s (%s); namespace %s (%s); objects land in %s\n", e.Release, e.From.Release, res.Namespace, e.From.Namespace, strings.Join(res.Namespaces, ", "))
	for _, w := range res.Workloads {
		for _, c := range w.Containers {
			fmt.Fprintf(&b, "%s in %s: image %s (tag from %s)\n", w.Label(&c), w.Namespace, c.Image, c.ImageTag)
			for _, en := range c.Config.Entries {
				fmt.Fprintf(&b, "  %s=%s  %s\n", en.Key, en.Display(), en.Source)
			}
		}
	}
	for _, u := range res.Unread {
		fmt.Fprintf(&b, "unread %s (%s)\n", u.Path, u.Source)
	}
	for _, u := range res.Unprovided {
		fmt.Fprintf(&b, "unprovided %s\n", u)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// TestCorpus renders every environment of the realistic charts under
// testdata/corpus (several layouts and languages, each with a shape of
// issue 17 planted and its near misses) and compares with golden files;
// no canary secret may appear in them.
func TestCorpus(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/corpus/*")
	// The deploy-command repositories of package project, rendered as CI
	// deploys them.
	ci, _ := filepath.Glob("../project/testdata/ci/*")
	dirs = append(dirs, ci...)
	n := 0
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		n++
		golden := dir + ".golden"
		if strings.HasPrefix(dir, "../") {
			golden = filepath.Join("testdata", "corpus", "ci-"+filepath.Base(dir)+".render")
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "chart %s; order %s\n", p.Chart, p.OrderReason)
			for _, w := range p.Warnings {
				fmt.Fprintf(&b, "project warning: %s\n", w)
			}
			r := New(p)
			r.ForCheck() // no sops here: SOPS files are read as check reads them
			for _, e := range p.Environments {
				res, err := r.Render(t.Context(), e.Name)
				if err != nil {
					t.Fatalf("%s: %v", e.Name, err)
				}
				b.WriteString(describeResult(p, e, res))
				for _, nd := range res.NotDecrypted {
					fmt.Fprintf(&b, "not decrypted %s:%d\n", nd.File, nd.Line)
				}
			}
			got := b.String()
			if strings.Contains(got, "canary-") {
				t.Errorf("a canary secret is printed:\n%s", got)
			}
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n < 3 {
		t.Fatalf("%d corpus charts, want at least 3", n)
	}
}

// TestConcurrentRenders renders every environment of the corpus twice,
// all at once through one Renderer (one loaded chart, each values file
// parsed once, dependency conditions decided per environment), and
// compares each with a render by a Renderer of its own: sharing must not
// leak one environment's values, conditions or provenance into another.
// Run it with -race.
func TestConcurrentRenders(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/corpus/*")
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, e := range p.Environments {
				res, err := New(p).Render(t.Context(), e.Name)
				if err != nil {
					t.Fatalf("%s: %v", e.Name, err)
				}
				want[e.Name] = describeResult(p, e, res)
			}
			r := New(p)
			var wg sync.WaitGroup
			for range 2 {
				for _, e := range p.Environments {
					wg.Go(func() {
						res, err := r.Render(t.Context(), e.Name)
						if err != nil {
							t.Errorf("%s: %v", e.Name, err)
							return
						}
						if diff := cmp.Diff(want[e.Name], describeResult(p, e, res)); diff != "" {
							t.Errorf("%s rendered alongside the others (-alone +shared):\n%s", e.Name, diff)
						}
					})
				}
			}
			wg.Wait()
		})
	}
}
