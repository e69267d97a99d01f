package render

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// traceBudget bounds the extra renders spent finding the values a
// template cannot take as markers (a semverCompare on image.tag): each
// culprit costs a bisection, a few renders for a chart of hundreds of
// values.
const traceBudget = 24

// traced renders the chart with markers and returns the taint and the
// twins of the plain render's want objects (twinsOf parses a render's
// output into them), or nil when no marked render matches them. Numbers are
// marked too where the chart allows it. When a template compares or
// parses a value (semverCompare, a numeric gt), the values it chokes on
// are found and left unmarked, so that only their keys fall back to
// template lines: provenance degrades per key, not for the whole chart.
// skipped lists the values left unmarked.
//
// first, when not nil, is the first marked render (numbers marked too),
// started ahead by startMarked while the plain render ran.
func traced(ctx context.Context, c *chart.Chart, top common.Values, first *markedRun, twinsOf func(map[string]string) ([]manifest, error), want int) (t *taint, twins []manifest, skipped []string) {
	match := func(out map[string]string) ([]manifest, bool) {
		twins, err := twinsOf(out)
		return twins, err == nil && len(twins) == want
	}
	var last *taint
	for _, numbers := range []bool{true, false} {
		if numbers && first != nil {
			t, twins, ok := first.wait(want)
			if ok {
				return t, twins, nil
			}
			last = t
			continue
		}
		t, out, err := markedRender(ctx, c, top, numbers, nil)
		if err == nil {
			if twins, ok := match(out); ok {
				return t, twins, nil
			}
		}
		last = t
	}
	if last == nil || ctx.Err() != nil {
		return nil, nil, nil
	}
	cands := slices.Clone(last.paths)
	sort.Strings(cands)
	cands = slices.Compact(cands)
	skip := map[string]bool{}
	budget := traceBudget
	try := func(allowed map[string]bool) (*taint, []manifest, error, bool) {
		budget--
		t, out, err := markedRender(ctx, c, top, false, func(p string) bool { return allowed[p] })
		if err != nil {
			return t, nil, err, false
		}
		twins, ok := match(out)
		return t, twins, nil, ok
	}
	for budget > 0 && ctx.Err() == nil {
		var rest []string
		for _, p := range cands {
			if !skip[p] {
				rest = append(rest, p)
			}
		}
		all := setOf(rest)
		t, twins, err, ok := try(all)
		if ok {
			for p := range skip {
				skipped = append(skipped, p)
			}
			sort.Strings(skipped)
			return t, twins, skipped
		}
		// The error names the marker when the function quotes its
		// argument (strconv, a regexp, a duration parser).
		found := false
		if err != nil && t != nil {
			markers(err.Error(), func(i, _, _ int) {
				if i >= 0 && i < len(t.paths) && !skip[t.paths[i]] {
					skip[t.paths[i]], found = true, true
				}
			})
		}
		if found {
			continue
		}
		// Otherwise bisect: the shortest prefix of the values that fails
		// ends with a culprit.
		lo, hi := 0, len(rest) // fails(hi) holds; fails(lo) is assumed not to
		for hi-lo > 1 && budget > 0 {
			mid := (lo + hi) / 2
			if _, _, _, ok := try(setOf(rest[:mid])); ok {
				lo = mid
			} else {
				hi = mid
			}
		}
		if hi == 0 || hi-lo > 1 {
			break
		}
		skip[rest[hi-1]] = true
	}
	return nil, nil, nil
}

func setOf(ps []string) map[string]bool {
	m := make(map[string]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// markedRun is a marked render running alongside the plain one, with
// the parse of its output: on a machine with a second core the trace
// costs little wall time. The values are marked before either render
// starts, so a template that writes into .Values (set) cannot race with
// the marking.
type markedRun struct {
	t      *taint
	done   chan struct{}
	twins  []manifest
	err    error
	cancel context.CancelFunc
}

// startMarked starts the first marked render of traced (numbers marked
// too) and twinsOf on its output. Stop it with stop once its result is
// no longer wanted.
func startMarked(ctx context.Context, c *chart.Chart, top common.Values, twinsOf func(map[string]string) ([]manifest, error)) *markedRun {
	ctx, cancel := context.WithCancel(ctx)
	t := &taint{numbers: true}
	marked := markValues(t, top)
	m := &markedRun{t: t, done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(m.done)
		out, err := boundedRender(ctx, c, marked)
		if err == nil {
			m.twins, err = twinsOf(out)
		}
		m.err = err
	}()
	return m
}

// wait returns the marked render's taint and twins, and whether they
// match the plain render's want objects.
func (m *markedRun) wait(want int) (*taint, []manifest, bool) {
	<-m.done
	return m.t, m.twins, m.err == nil && len(m.twins) == want
}

// stop abandons the marked render if it still runs, and waits for
// boundedRender to give it up (at once: it watches the context), so that
// nothing of this render outlives Render.
func (m *markedRun) stop() {
	if m != nil {
		m.cancel()
		<-m.done
	}
}

// markValues returns top with its Values marked by t.
func markValues(t *taint, top common.Values) common.Values {
	marked := maps.Clone(top)
	vals, _ := top["Values"].(common.Values)
	if vals == nil {
		if m, ok := top["Values"].(map[string]any); ok {
			vals = m
		}
	}
	marked["Values"] = common.Values(t.mark(map[string]any(vals), "").(map[string]any))
	return marked
}

// markedRender renders the chart with tainted values (numbers too when
// numbers is set; only the paths allow admits when allow is not nil).
// The taint is returned even when the render fails: its paths are the
// candidates traced bisects.
func markedRender(ctx context.Context, c *chart.Chart, top common.Values, numbers bool, allow func(string) bool) (*taint, map[string]string, error) {
	t := &taint{numbers: numbers, allow: allow}
	out, err := boundedRender(ctx, c, markValues(t, top))
	return t, out, err
}

// untracedWarning says which values could not be traced.
func untracedWarning(skipped []string) string {
	if len(skipped) > 3 {
		skipped = append(skipped[:3:3], fmt.Sprintf("and %d more", len(skipped)-3))
	}
	return "a template compares or parses " + strings.Join(skipped, ", ") + " (a version or a number): the keys made from them are located by template line, or unknown"
}

// imageTag locates the tag (or digest) of one container's image: the
// values path it was copied from when that could be traced, a value a
// template compares (and so could not be marked) when exactly one such
// value equals it, else unknown.
func (r *resolver) imageTag(tpl, image string, from []string, traced bool) Source {
	tag := imageTagOf(image)
	if tag == "" {
		return Source{Kind: KindUnknown, Detail: "the image has no tag"}
	}
	var match []string
	for _, p := range from {
		if v, ok := lookupPath(r.values, p); ok && (scalar(v) == tag || strings.HasSuffix(scalar(v), "@"+tag) || strings.HasSuffix(scalar(v), ":"+tag)) {
			match = append(match, p)
		}
	}
	if !traced {
		return Source{Kind: KindUnknown, Detail: "the chart could not be traced"}
	}
	if len(match) == 0 {
		for _, p := range r.skipped {
			if v, ok := lookupPath(r.values, p); ok && scalar(v) == tag {
				match = append(match, p)
			}
		}
	}
	if len(match) == 1 {
		if src, ok := r.sources[match[0]]; ok {
			return src
		}
		return Source{Kind: KindUnknown, Detail: ".Values." + match[0]}
	}
	if len(match) == 0 && len(from) == 0 {
		return Source{Kind: KindTemplate, File: tpl}
	}
	return Source{Kind: KindUnknown}
}

// imageTagOf is the digest of an image reference, else its tag.
func imageTagOf(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return ""
}
