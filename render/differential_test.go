package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/ferrydev/ferry/internal/kubeletenv"
	"github.com/ferrydev/ferry/project"
)

// TestDifferential compares, for every container of every environment of
// every chart in the corpora (render/testdata/kubelet and check's
// real-world-shaped charts), the process environment render computes with
// the one internal/kubeletenv computes from what `helm template` prints,
// by the kubelet's rules. kubeletenv shares no code with render.
func TestDifferential(t *testing.T) {
	var roots []string
	for _, corpus := range []string{filepath.Join("testdata", "kubelet"), "../check/testdata/charts"} {
		ds, err := os.ReadDir(corpus)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			roots = append(roots, filepath.Join(corpus, d.Name()))
		}
	}
	compared := 0
	for _, root := range roots {
		charts, _ := project.FindCharts(root)
		for _, chart := range charts {
			p, err := project.LoadChart(root, chart)
			if err != nil || project.WerfProject(filepath.Join(p.Dir, p.Chart)) != "" {
				continue // werf's template functions are not Helm's
			}
			for _, e := range p.Environments {
				res, err := Render(t.Context(), p, e.Name)
				if err != nil {
					continue
				}
				t.Run(root+"/"+e.Name, func(t *testing.T) {
					stream, err := helmTemplate(p, e)
					if err != nil {
						t.Fatalf("helm template: %v", err)
					}
					want, err := kubeletenv.Containers(stream, e.Namespace)
					if err != nil {
						t.Fatalf("reference: %v", err)
					}
					compared += compareEnv(t, res, want)
				})
			}
		}
	}
	t.Logf("compared %d values", compared)
	if compared < 300 {
		t.Errorf("compared %d values, want at least 300", compared)
	}
}

// helmTemplate renders as `helm template RELEASE CHART -n NS -f values… --set …`
// does, through the Helm SDK, and prints the manifest stream.
func helmTemplate(p *project.Project, e *project.Environment) (string, error) {
	c, err := loader.Load(filepath.Join(p.Dir, p.Chart))
	if err != nil {
		return "", err
	}
	vals := map[string]any{}
	for _, f := range e.Values {
		if filepath.Clean(f) == filepath.Join(p.Chart, "values.yaml") {
			continue
		}
		v, err := common.ReadValuesFile(filepath.Join(p.Dir, f))
		if err != nil {
			return "", err
		}
		vals = loader.MergeMaps(vals, v)
	}
	// Then the deploy command's --set and --set-string, as the helm CLI
	// parses them (a value CI fills in is passed as written).
	for _, s := range e.Set {
		parse := strvals.ParseInto
		if s.String {
			parse = strvals.ParseIntoString
		}
		if err := parse(s.Path+"="+s.Value, vals); err != nil {
			return "", fmt.Errorf("--set %s: %w", s.Path, err)
		}
	}
	if err := chartutil.ProcessDependencies(c, vals); err != nil {
		return "", err
	}
	top, err := util.ToRenderValues(c, vals, common.ReleaseOptions{Name: e.Release, Namespace: e.Namespace, Revision: 1, IsInstall: true}, nil)
	if err != nil {
		return "", err
	}
	out, err := engine.Render(c, top)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(out))
	for n := range out {
		if !strings.HasSuffix(n, "NOTES.txt") && !strings.HasPrefix(filepath.Base(n), "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if strings.TrimSpace(out[n]) != "" {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", n, out[n])
		}
	}
	return b.String(), nil
}

func compareEnv(t *testing.T, res *Result, want []kubeletenv.Container) int {
	t.Helper()
	got := map[string]map[string]Entry{}
	for _, w := range res.Workloads {
		for _, c := range w.Containers {
			m := map[string]Entry{}
			for _, e := range c.Config.Entries {
				if e.Source.Kind != KindFile {
					m[e.Key] = e
				}
			}
			got[w.Kind+"/"+w.Name+"/"+c.Name] = m
		}
	}
	n := 0
	for _, c := range want {
		id := c.Kind + "/" + c.Workload + "/" + c.Name
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: the reference has this container, render does not", id)
			continue
		}
		delete(got, id)
		for k, v := range c.Env {
			n++
			e, ok := g[k]
			if !ok {
				t.Errorf("%s: %s is in the reference (%+v), not in render", id, k, v)
				continue
			}
			delete(g, k)
			switch {
			case v.Missing:
				if !e.Missing {
					t.Errorf("%s: %s: render %q (%s), reference: missing", id, k, e.Display(), e.Source)
				}
			case v.Runtime:
				if !e.External || e.Source.Kind != KindRuntime {
					t.Errorf("%s: %s: render %q (%s), reference: runtime", id, k, e.Display(), e.Source)
				}
			case v.External:
				if !e.External || e.Source.Kind != KindExternal {
					t.Errorf("%s: %s: render %q (%s), reference: external", id, k, e.Display(), e.Source)
				}
			case e.Source.Kind == KindCI && e.Source.CI:
				// What CI fills in is known only when the pipeline runs:
				// render marks it external; the reference renders the
				// expression itself (${{ secrets.X }}, $SMTP_PASSWORD).
				if !e.External || !strings.Contains(v.Value, "$") {
					t.Errorf("%s: %s: render %q external=%v (%s), reference: CI's expression", id, k, e.Display(), e.External, e.Source)
				}
			default:
				if e.External || e.Value != v.Value {
					t.Errorf("%s: %s: render and the reference differ (%s)", id, k, e.Source)
				}
			}
		}
		for k, e := range g {
			t.Errorf("%s: %s is in render (%s), not in the reference", id, k, e.Source)
		}
	}
	for id := range got {
		t.Errorf("%s: render has this container, the reference does not", id)
	}
	return n
}
