package render

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// Limits bound what rendering a chart may cost, so that a hostile
// repository (ferry check runs on pull requests) fails in seconds with a
// one-line error instead of exhausting the machine.
type Limits struct {
	// Budget is the wall-clock time one render may take.
	Budget time.Duration
	// Output is the most the templates of one render may produce, bytes.
	Output int
	// Loop is the largest list until, untilStep and seq may make, and the
	// most repeat may repeat.
	Loop int
	// ValuesDepth is how deep values may nest; ValuesLeaves how many
	// scalars they may hold (every subchart's included).
	ValuesDepth, ValuesLeaves int
	// ChartSize is the most a chart directory (subcharts included) may
	// hold, bytes; each values.yaml in it at most project.MaxValuesSize.
	ChartSize int64
	// TplDepth is how deep values may evaluate values through tpl.
	TplDepth int
	// Memory is the live heap at which a render is abandoned, bytes: a
	// check polled while it runs, so that it fails cleanly rather than
	// the process being killed.
	Memory uint64
}

// DefaultLimits are generous for real charts: the largest public charts
// render in well under a second, nest values a dozen levels and hold a
// few thousand of them.
var DefaultLimits = Limits{
	Budget:       8 * time.Second,
	Output:       64 << 20,
	Loop:         100_000,
	ValuesDepth:  100,
	ValuesLeaves: 500_000,
	ChartSize:    256 << 20,
	TplDepth:     16,
	Memory:       512 << 20,
}

// limits are the ones in force; tests lower them.
var limits = DefaultLimits

// errBudget is returned when a render runs out of time or memory.
var errBudget = errors.New("rendering exceeded its budget")

// boundedRender renders within limits.Budget and limits.Output. A render
// that overruns is abandoned (its goroutine ends with the process, or
// when its loops end: every loop function is bounded).
func boundedRender(ctx context.Context, c *chart.Chart, top common.Values) (map[string]string, error) {
	type result struct {
		out map[string]string
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // an abandoned render stops at its next bounded loop
	done := make(chan result, 1)
	go func() {
		out, err := engineRender(ctx, c, top)
		done <- result{out, err}
	}()
	timer := time.NewTimer(limits.Budget)
	defer timer.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if heap := liveHeap(); heap > limits.Memory {
				return nil, fmt.Errorf("%w: the heap reached %d MiB (the limit is %d MiB): a template builds too much", errBudget, heap>>20, limits.Memory>>20)
			}
			continue
		case r := <-done:
			if r.err != nil {
				return nil, r.err
			}
			total := 0
			for _, s := range r.out {
				total += len(s)
			}
			if total > limits.Output {
				return nil, fmt.Errorf("the templates produce %d MiB, more than the %d MiB ferry renders", total>>20, limits.Output>>20)
			}
			return r.out, nil
		case <-timer.C:
			return nil, fmt.Errorf("%w (took longer than %s): a template loops or recurses without end", errBudget, limits.Budget)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// liveHeap reads the bytes of live and not yet swept heap objects.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// boundedFuncs replace sprig's list and string builders with ones that
// refuse sizes no chart needs, and that stop a render abandoned at its
// budget (ctx is cancelled then) at its next loop.
func boundedFuncs(ctx context.Context) template.FuncMap {
	// A copy: an abandoned render may still be running its current loop
	// when the next render (or a test) changes the limits in force.
	lim := limits
	return template.FuncMap{
		"until": func(n int) ([]int, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if n > lim.Loop {
				return nil, fmt.Errorf("until %d: more than %d elements", n, lim.Loop)
			}
			return untilStep(0, n, 1), nil
		},
		"untilStep": func(start, stop, step int) ([]int, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if step != 0 && (stop-start)/step > lim.Loop {
				return nil, fmt.Errorf("untilStep %d %d %d: more than %d elements", start, stop, step, lim.Loop)
			}
			return untilStep(start, stop, step), nil
		},
		"repeat": func(n int, s string) (string, error) {
			if n > lim.Loop || n*len(s) > lim.Output {
				return "", fmt.Errorf("repeat %d: too large", n)
			}
			return strings.Repeat(s, max(n, 0)), nil
		},
	}
}

// untilStep is sprig's: the integers from start towards stop by step
// (step's sign follows stop for until).
func untilStep(start, stop, step int) []int {
	var v []int
	if step == 0 {
		return v
	}
	if stop < start && step == 1 {
		step = -1
	}
	if stop < start {
		if step > 0 {
			return v
		}
		for i := start; i > stop; i += step {
			v = append(v, i)
		}
		return v
	}
	if step < 0 {
		return v
	}
	for i := start; i < stop; i += step {
		v = append(v, i)
	}
	return v
}

// checkValuesTree refuses values nested deeper than limits.ValuesDepth or
// holding more than limits.ValuesLeaves scalars: the coalesced values of
// the chart and every subchart. what names them in the error.
func checkValuesTree(v any, what string) error {
	leaves := 0
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if depth > limits.ValuesDepth {
			return fmt.Errorf("%s nest deeper than %d levels", what, limits.ValuesDepth)
		}
		switch x := v.(type) {
		case map[string]any:
			for _, c := range x {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		case common.Values:
			return walk(map[string]any(x), depth)
		case []any:
			for _, c := range x {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		default:
			leaves++
			if leaves > limits.ValuesLeaves {
				return fmt.Errorf("%s hold more than %d values", what, limits.ValuesLeaves)
			}
		}
		return nil
	}
	return walk(v, 0)
}

// checkTplChains refuses values that evaluate values through tpl in a
// cycle or deeper than limits.TplDepth: a value whose text calls tpl on
// itself recurses until the stack overflows.
func checkTplChains(vals map[string]any, sources map[string]Source) error {
	graph := map[string][]string{}
	var collect func(v any, prefix string)
	collect = func(v any, prefix string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && !strings.Contains(s, "{{") {
					continue // no path made for each plain value of a large map
				}
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				collect(c, p)
			}
		case string:
			if strings.Contains(x, "{{") && strings.Contains(x, "tpl") {
				for _, m := range valuesRefAll.FindAllStringSubmatch(x, -1) {
					graph[prefix] = append(graph[prefix], strings.TrimPrefix(m[1], "."))
				}
				if len(graph[prefix]) == 0 {
					graph[prefix] = nil
				}
			}
		}
	}
	collect(vals, "")
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(p string, depth int) error
	visit = func(p string, depth int) error {
		if depth > limits.TplDepth {
			return fmt.Errorf("values evaluate values through tpl more than %d levels deep (at %s)", limits.TplDepth, p)
		}
		switch state[p] {
		case 1:
			return fmt.Errorf("%s evaluates itself through tpl: the render would recurse until it runs out of memory", p)
		case 2:
			return nil
		}
		state[p] = 1
		for _, q := range graph[p] {
			// A reference to a map reaches every string under it.
			for r := range graph {
				if r == q || strings.HasPrefix(r, q+".") {
					if err := visit(r, depth+1); err != nil {
						return err
					}
				}
			}
		}
		state[p] = 2
		return nil
	}
	for p := range graph {
		if err := visit(p, 0); err != nil {
			if src, ok := sources[p]; ok && src.File != "" {
				return &InputError{File: src.File, Line: src.Line, Msg: err.Error()}
			}
			return &InputError{Msg: err.Error()}
		}
	}
	return nil
}

// nodeTooDeep reports whether a parsed YAML document nests more than
// budget nodes deep, before anything walks it path by path.
func nodeTooDeep(n *yaml.Node, budget int) bool {
	if budget < 0 {
		return true
	}
	for _, c := range n.Content {
		if nodeTooDeep(c, budget-1) {
			return true
		}
	}
	return false
}
