package render

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// A template that checksums another of its chart's rendered templates
// (checksum/config: {{ include (print $.Template.BasePath
// "/configmap.yaml") . | sha256sum }}) makes Helm render that template
// twice: as itself and for the checksum. For a ConfigMap of 30,000 keys
// that is a third of the render. The plain render renders it once
// instead: the checksum action includes it (see onceTemplates) and keeps
// what the include printed, and the template's own output is that text
// with Helm's "<no value>" removed. That is exactly what Helm prints when
// the output of no template depends on when it renders or on .Template,
// the one value Helm sets apart for the include (the including
// template's) and the render (its own): no template writes shared
// values (set, merge, …) or draws anything random (onceUnsafe), and none
// reads .Template or hands the root, which holds it, to anything but
// include (rootBlind). Any error falls back to the render as Helm does
// it, which reports it as ever.

// onceUnsafe are the words of the functions after which a template's
// output may depend on when it renders: they write values other
// templates read (set, unset, merge…, an append into a shared array,
// sortAlpha in place), run text from the values (tpl) or draw randomness
// or time. The whole text of every template is searched, not only its
// actions: a word in plain text costs only the saving.
var onceUnsafe = regexp.MustCompile(`\b(?:set|unset|tpl|merge\w*|mustMerge\w*|append|mustAppend|push|mustPush|prepend|mustPrepend|sortAlpha|deepCopy|mustDeepCopy|rand\w*|uuidv4|now|gen[A-Z]\w*|bcrypt|htpasswd|encryptAES|shuffle|onceEnter|onceLeave)\b`)

// rootBlind reports whether template text (its checksum actions
// already replaced by traceTemplates' stand-in) never names Template and
// hands the root ($, or a dot, which may be the root) to nothing but
// include and template, which pass it to templates judged the same way.
func rootBlind(name, text string) bool {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", trees); err != nil {
		return false
	}
	blind := true
	var node func(n parse.Node, context bool)
	branch := func(b *parse.BranchNode) {
		node(b.Pipe, false)
		node(b.List, false)
		node(b.ElseList, false)
	}
	node = func(n parse.Node, context bool) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					node(c, false)
				}
			}
		case *parse.ActionNode:
			node(n.Pipe, false)
		case *parse.IfNode:
			branch(&n.BranchNode)
		case *parse.RangeNode:
			branch(&n.BranchNode)
		case *parse.WithNode:
			branch(&n.BranchNode)
		case *parse.TemplateNode:
			if n.Pipe != nil && len(n.Pipe.Decl) == 0 && len(n.Pipe.Cmds) == 1 && len(n.Pipe.Cmds[0].Args) == 1 {
				node(n.Pipe.Cmds[0].Args[0], true)
			} else {
				node(n.Pipe, false)
			}
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					node(c, false)
				}
			}
		case *parse.CommandNode:
			include := len(n.Args) == 3 && isIdent(n.Args[0], "include")
			for i, a := range n.Args {
				node(a, include && i == 2)
			}
		case *parse.ChainNode:
			node(n.Node, false)
			blind = blind && !slices.Contains(n.Field, "Template")
		case *parse.DotNode:
			blind = blind && context
		case *parse.VariableNode:
			blind = blind && (len(n.Ident) > 1 || n.Ident[0] != "$" || context) && !slices.Contains(n.Ident, "Template")
		case *parse.FieldNode:
			blind = blind && !slices.Contains(n.Ident, "Template")
		case *parse.StringNode:
			blind = blind && !strings.Contains(n.Text, "Template")
		}
	}
	for _, tr := range trees {
		node(tr.Root, false)
	}
	return blind
}

// onceSuffix ends the name of the partial a checksummed template becomes
// in the plain render (templates/_configmap.yaml.once): Helm does not
// render a partial on its own.
const onceSuffix = ".once"

func onceName(name string) string {
	return path.Join(path.Dir(name), "_"+path.Base(name)+onceSuffix)
}

// onceTemplates returns, for the plain render, copies of c's templates
// (and its subcharts') keyed by the original: a template that checksums
// another includes it through onceEnter and onceLeave, and the
// checksummed template, renamed to a partial, renders only there. It is
// empty when a template of the chart (as stand, traceTemplates' copies,
// has it) is onceUnsafe or not rootBlind.
func onceTemplates(c *chart.Chart, stand map[*common.File]*common.File) map[*common.File]*common.File {
	out := map[*common.File]*common.File{}
	if len(stand) == 0 {
		return out // no template checksums another
	}
	if anyTemplate(c, func(t *common.File) bool {
		if cp, ok := stand[t]; ok {
			t = cp
		}
		return onceUnsafe.Match(t.Data) || !rootBlind(t.Name, string(t.Data))
	}) {
		return out
	}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		names := map[string]bool{}
		for _, t := range c.Templates {
			if t != nil {
				names[t.Name] = true
			}
		}
		// A template that defines others keeps its name: their
		// definitions would move with it.
		eligible := map[string]bool{}
		for _, t := range c.Templates {
			if t != nil && renders(t.Name) && !names[onceName(t.Name)] &&
				!strings.Contains(string(t.Data), "define") && !strings.Contains(string(t.Data), "block") {
				eligible[t.Name] = true
			}
		}
		used := map[string]bool{}
		for _, t := range c.Templates {
			if t == nil || !renders(t.Name) {
				continue
			}
			data, ok := withoutChecksums(t.Name, string(t.Data), eligible, func(file string) string {
				used["templates"+file] = true
				return "include (onceEnter $ " + strconv.Quote(file) + ") $ | onceLeave"
			})
			if ok {
				cp := *t
				cp.Data = []byte(data)
				out[t] = &cp
			}
		}
		for _, t := range c.Templates {
			if t == nil || !used[t.Name] {
				continue
			}
			cp := out[t]
			if cp == nil {
				cp = new(common.File)
				*cp = *t
				out[t] = cp
			}
			cp.Name = onceName(t.Name)
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(c)
	return out
}

// anyTemplate reports whether f holds for a template of c or of its
// subcharts.
func anyTemplate(c *chart.Chart, f func(*common.File) bool) bool {
	for _, t := range c.Templates {
		if t != nil && f(t) {
			return true
		}
	}
	for _, d := range c.Dependencies() {
		if anyTemplate(d, f) {
			return true
		}
	}
	return false
}

// onceKey carries a render's *onceRun in its context, for renderFuncs.
type onceKey struct{}

// onceRun is what the checksum actions of one plain render kept: each
// checksummed template's output by Helm's name for it.
type onceRun struct {
	out   map[string]string
	stack []string // the names of the includes under way
}

// funcs are onceEnter and onceLeave.
//
// onceEnter returns the name of the partial that the template file
// (/configmap.yaml) of top's chart was renamed to. onceLeave keeps the
// include's output as the template's and returns its checksum as
// sha256sum does.
func (o *onceRun) funcs() map[string]any {
	return map[string]any{
		"onceEnter": func(top map[string]any, file string) (string, error) {
			cur, _ := top["Template"].(common.Values)
			base, _ := cur["BasePath"].(string)
			if base == "" {
				return "", errors.New("onceEnter: no .Template.BasePath")
			}
			name := base + file
			o.stack = append(o.stack, name)
			return onceName(name), nil
		},
		"onceLeave": func(out string) (string, error) {
			if len(o.stack) == 0 {
				return "", errors.New("onceLeave without onceEnter")
			}
			name := o.stack[len(o.stack)-1]
			o.stack = o.stack[:len(o.stack)-1]
			if _, ok := o.out[name]; !ok {
				o.out[name] = out
			}
			sum := sha256.Sum256([]byte(out))
			return hex.EncodeToString(sum[:]), nil
		},
	}
}

// renderOnce is the plain render of c (a render's copy) with the once
// templates tpls; ok is false when it is not known to be Helm's output
// (a template error, a checksummed template whose checksum did not
// render), and the caller renders as Helm does. A render past its budget
// or cancelled returns its error: rendering again would only double the
// wait.
func renderOnce(ctx context.Context, c *chart.Chart, top common.Values, tpls map[*common.File]*common.File) (map[string]string, bool, error) {
	if len(tpls) == 0 {
		return nil, false, nil
	}
	o := &onceRun{out: map[string]string{}}
	oc := withTraceTemplates(c, tpls)
	out, err := boundedRender(context.WithValue(ctx, onceKey{}, o), oc, top)
	if errors.Is(err, errBudget) || ctx.Err() != nil {
		return nil, false, cmp.Or(ctx.Err(), err)
	}
	if err != nil || len(o.stack) > 0 {
		return nil, false, nil
	}
	renamed := map[*common.File]string{}
	for t, cp := range tpls {
		if cp.Name != t.Name {
			renamed[cp] = t.Name
		}
	}
	ok := true
	var fill func(c *chart.Chart)
	fill = func(c *chart.Chart) {
		for _, t := range c.Templates {
			orig, is := renamed[t]
			if !is {
				continue
			}
			name := path.Join(c.ChartFullPath(), orig)
			s, kept := o.out[name]
			if !kept {
				ok = false
				return
			}
			out[name] = strings.ReplaceAll(s, "<no value>", "")
		}
		for _, d := range c.Dependencies() {
			fill(d)
		}
	}
	fill(oc)
	// boundedRender measured the output without the checksummed
	// templates: one that takes it past the limit is Helm's render's
	// to report.
	total := 0
	for _, s := range out {
		total += len(s)
	}
	return out, ok && total <= limits.Output, nil
}
