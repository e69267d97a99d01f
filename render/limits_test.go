package render

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// hostileChart is a chart whose templates and values are given; the rest
// is a minimal valid chart.
func hostileChart(t *testing.T, files map[string]string) string {
	t.Helper()
	all := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: hostile\nversion: 0.1.0\n",
		"values-prod.yaml":  "x: 1\n",
		"chart/values.yaml": "a: 1\n",
	}
	for k, v := range files {
		all[k] = v
	}
	return testtree.Write(t, all)
}

// TestHostileCharts renders charts built to exhaust the machine (issue
// 18): each must fail with one line naming what was refused, long before
// it runs out of memory. Elapsed time and heap are logged, not asserted:
// the budget is a limit, and the machine is shared.
func TestHostileCharts(t *testing.T) {

	// 10,000 levels in flow style: 40 KiB, well under the size limit.
	deep := "a: " + strings.Repeat("{a: ", 10000) + "1" + strings.Repeat("}", 10000) + "\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"tpl recursion", map[string]string{
			"chart/values.yaml":           "loop: '{{ tpl .Values.loop . }}'\n",
			"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ tpl .Values.loop . | quote }}\n",
		}, "chart/values.yaml:1: loop evaluates itself through tpl"},
		{"tpl chain through a map", map[string]string{
			"chart/values.yaml":           "a:\n  text: '{{ tpl .Values.b.text . }}'\nb:\n  text: '{{ tpl (toYaml .Values.a) . }}'\n",
			"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ tpl .Values.a.text . | quote }}\n",
		}, "evaluates itself through tpl"},
		{"3M keys", map[string]string{
			"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n{{- range until 3000000 }}\n  k{{ . }}: v\n{{- end }}\n",
		}, "until 3000000: more than 100000 elements"},
		{"repeat", map[string]string{
			"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ repeat 100000000 \"x\" | quote }}\n",
		}, "repeat 100000000: too large"},
		{"10k-deep values", map[string]string{
			"values-prod.yaml":            deep,
			"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		}, "values-prod.yaml: values nest deeper than 100 levels"},
		{"include loop", map[string]string{
			"chart/templates/_h.tpl":      "{{- define \"h\" }}{{ include \"h\" . }}{{ include \"h\" . }}{{- end }}\n",
			"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ include \"h\" . | quote }}\n",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hostileChart(t, tt.files)
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = Render(t.Context(), p, "prod")
			var ms goruntime.MemStats
			goruntime.ReadMemStats(&ms)
			t.Logf("%s: %v, heap %d MiB", tt.name, time.Since(start).Round(time.Millisecond), ms.HeapAlloc>>20)
			if err == nil {
				t.Fatal("rendered; want an error")
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want one line containing %q", msg, tt.want)
			}
		})
	}
}

// TestChartSizeLimit refuses a subchart whose values.yaml is over the
// values limit before Helm reads it.
func TestChartSizeLimit(t *testing.T) {
	big := strings.Repeat("# padding line of a hostile subchart's values\n", (project.MaxValuesSize/46)+10)
	dir := hostileChart(t, map[string]string{
		"chart/templates/config.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		"chart/charts/sub/Chart.yaml":        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"chart/charts/sub/values.yaml":       big,
		"chart/charts/sub/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n",
	})
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(t.Context(), p, "prod")
	want := fmt.Sprintf("chart/charts/sub/values.yaml: is 10 MiB, more than the %d MiB ferry reads", project.MaxValuesSize>>20)
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// TestRenderBudget stops a render that loops within every other limit
// (10^10 iterations of two nested ranges) at the wall-clock budget,
// lowered here so the test is quick.
func TestRenderBudget(t *testing.T) {
	old := limits
	limits.Budget = 300 * time.Millisecond
	t.Cleanup(func() { limits = old })
	dir := hostileChart(t, map[string]string{
		"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n",
	})
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(t.Context(), p, "prod")
	want := "chart/templates: rendering exceeded its budget (took longer than 300ms): a template loops or recurses without end"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// TestRenderMemory abandons a render whose heap passes the ceiling,
// lowered here below what the chart builds (a dict of 100,000 strings of
// 4 KiB held while the loop runs: the ceiling is met within a few
// thousand steps, however slow the machine).
func TestRenderMemory(t *testing.T) {
	old := limits
	limits.Memory = liveHeap() + 8<<20
	t.Cleanup(func() { limits = old })
	dir := hostileChart(t, map[string]string{
		"chart/templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- $d := dict }}{{- range until 100000 }}{{- $_ := set $d (printf \"k%d\" .) (repeat 4096 \"x\") }}{{- range until 10 }}{{- end }}{{- end }}\n",
	})
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(t.Context(), p, "prod")
	if err == nil || !strings.Contains(err.Error(), "rendering exceeded its budget: the heap reached") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v, want one line saying the heap reached the limit", err)
	}
}
