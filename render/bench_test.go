package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"

	"github.com/ferrydev/ferry/project"
)

// benchTemplates are the benchmark chart's templates (every config key
// copied into a ConfigMap that the Deployment's container takes whole),
// shared with bench/lean/keys.sh.
var benchTemplates = []string{"configmap.yaml", "deployment.yaml"}

// synthProject writes a service with a chart, keys config keys (and 40
// in its config files) and n environments (values-env<i>.yaml and
// configs/.env<i>.env each).
func synthProject(b *testing.B, n, keys int) string {
	b.Helper()
	dir := b.TempDir()
	var values, base strings.Builder
	values.WriteString("replicas: 2\nimage:\n  repository: svc\n  tag: \"1.0\"\nconfig:\n")
	for k := 0; k < keys; k++ {
		fmt.Fprintf(&values, "  KEY_%02d: \"value-%d\"\n", k, k)
	}
	for k := 0; k < 40; k++ {
		fmt.Fprintf(&base, "FILE_%02d=file-%d\n", k, k)
	}
	files := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
		"chart/values.yaml": values.String(),
		"configs/.env":      base.String(),
	}
	for _, name := range benchTemplates {
		data, err := os.ReadFile(filepath.Join("testdata", "bench", name))
		if err != nil {
			b.Fatal(err)
		}
		files["chart/templates/"+name] = string(data)
	}
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("values-env%d.yaml", i)] = fmt.Sprintf("config:\n  APP_ENV: env%d\n  KEY_01: other-%d\n  DB_HOST: db-%d\n", i, i, i)
		files[fmt.Sprintf("configs/.env%d.env", i)] = fmt.Sprintf("FILE_02=overlay-%d\n", i)
	}
	testtree.WriteIn(b, dir, files)
	return dir
}

// BenchmarkRenderAll renders every environment of a project from scratch
// (project load, chart load, values, two template passes, layering), as
// one `ferry render`/`check` does. Divide ns/op by envs for the per-env
// cost; it should stay flat as envs grows.
func BenchmarkRenderAll(b *testing.B) {
	for _, n := range []int{1, 3, 6, 12} {
		dir := synthProject(b, n, 40)
		b.Run(fmt.Sprintf("envs=%d", n), func(b *testing.B) {
			renderLoop(b, dir, n, 80)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e6, "ms/env")
		})
	}
}

// BenchmarkRenderLarge renders one environment whose values hold 30,000
// keys, all copied into a ConfigMap: the size where Helm's own render and
// ferry's per-key work (provenance of every key, a traced render, the
// output parsed) are compared (issue 19: within 1.2× `helm template`).
func BenchmarkRenderLarge(b *testing.B) {
	renderLoop(b, synthProject(b, 1, 30_000), 1, 30_000)
}

// renderLoop loads and renders the project in dir from scratch, as one
// `ferry render`/`check` does, and wants envs results of at least keys
// keys.
func renderLoop(b *testing.B, dir string, envs, keys int) {
	for b.Loop() {
		p, err := project.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		res, err := RenderAll(b.Context(), p)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != envs || res[0].Config.Len() < keys {
			b.Fatalf("%d results, %d keys", len(res), res[0].Config.Len())
		}
	}
}
