package project

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// Branches of a deploy script. A script written for every environment
// often branches on it (if [[ "$ENVIRONMENT" == "uat" ]]; then
// deploy_branch; else deploy_main; fi, or case "$ENV" in …): each
// environment is defined by the command its own branch runs, not by the
// script's last one. Functions run where they are called, under the
// branch that calls them.

// cond is one condition a line runs under: Var (a variable's name, as
// patternDeploys names it) equals one of Vals, or with Neg none of
// them. A condition that compares no variable with words (a command's
// success, a file test) has no Var: it says nothing about environments.
type cond struct {
	Var  string
	Vals []string
	Neg  bool
	// At is the line of the if or case that holds it.
	At int
	// Frame is the line of the if or case whose branch this is, Arm the
	// branch's number in it: two commands in other arms of one frame
	// never both run.
	Frame, Arm int
}

// String is the condition as the report says it: $ENVIRONMENT is uat.
func (c cond) String() string {
	verb := " is "
	if c.Neg {
		verb = " is not "
	}
	v := "$" + c.Var
	if strings.ContainsAny(c.Var, ". ") {
		v = "${{ " + c.Var + " }}" // a workflow expression
	}
	return v + verb + strings.Join(c.Vals, " or ")
}

// matches reports whether value v satisfies c; glob patterns (prod*)
// are case patterns.
func (c cond) matches(v string) bool {
	in := slices.ContainsFunc(c.Vals, func(p string) bool {
		ok, err := path.Match(p, v)
		return p == v || (err == nil && ok)
	})
	return in != c.Neg
}

// Conditions as scripts write them: [[ "$X" == "uat" ]], [ "$X" = uat ],
// test $X != prod, joined by || (or by && for !=).
var (
	testCompare = lazyre.New(`"?\$\{?([A-Za-z_][A-Za-z0-9_]*|\{[^}]*\})\}?"?\s*(==|=|!=)\s*("[^"]*"|'[^']*'|[^\s\]);&|]+)`)
	caseStart   = lazyre.New(`^case\s+"?\$\{?([A-Za-z_][A-Za-z0-9_]*|\{[^}]*\})\}?"?\s+in\b`)
	caseArm     = lazyre.New(`^\(?\s*([^()\s][^()]*?)\s*\)\s*(.*)$`)
	funcDef     = lazyre.New(`^(?:function\s+([A-Za-z_][A-Za-z0-9_-]*)\s*(?:\(\s*\))?|([A-Za-z_][A-Za-z0-9_-]*)\s*\(\s*\))\s*\{?\s*$`)
)

// exprVar names a variable as patternDeploys does: ${{ env.STAGE }} is
// STAGE, ${ENV} is ENV.
func exprVar(s string) string {
	s = strings.TrimSpace(strings.Trim(s, "${}() "))
	return strings.TrimPrefix(strings.TrimSpace(s), "env.")
}

// parseCond reads an if's or elif's condition: a comparison of one
// variable with words, or nothing ferry can use (Var "").
func parseCond(text string, at int) cond {
	ms := testCompare.Get().FindAllStringSubmatch(text, -1)
	if len(ms) == 0 {
		return cond{At: at}
	}
	c := cond{Var: exprVar(ms[0][1]), Neg: ms[0][2] == "!=", At: at}
	for _, m := range ms {
		if exprVar(m[1]) != c.Var || (m[2] == "!=") != c.Neg {
			return cond{At: at} // two variables, or == and != mixed
		}
		c.Vals = append(c.Vals, strings.Trim(m[3], `"'`))
	}
	// [[ $E == a || $E == b ]] is one of them; [[ $E != a && $E != b ]]
	// none of them; the other joins are not a set of words.
	if len(ms) > 1 && ((!c.Neg && strings.Contains(text, "&&")) || (c.Neg && strings.Contains(text, "||"))) {
		return cond{At: at}
	}
	return c
}

// negate is what holds in the else of c: nothing usable for a condition
// with no variable.
func negate(c cond) cond {
	if c.Var == "" {
		return c
	}
	c.Neg = !c.Neg
	return c
}

// branchFrame is one if or case the tracker is inside.
type branchFrame struct {
	isCase bool
	// conds are the conditions of the if and its elifs so far; prev
	// holds a case's patterns so far (as one condition); cur the
	// current branch's.
	conds, prev, cur []cond
	at, arm          int
	caseVar          string
	caseAt           int
	inArm            bool
}

// withBranches gives each line the conditions it runs under and puts
// the lines of each shell function where it is called, with the
// conditions of the call (a function never called stays where it is
// written, as before). Positional arguments of a call ($1) are filled
// into the function's lines.
func withBranches(lines []shellLine) []shellLine {
	if !slices.ContainsFunc(lines, func(l shellLine) bool {
		t := strings.TrimSpace(l.text)
		return strings.HasPrefix(t, "if ") || strings.HasPrefix(t, "case ") || strings.Contains(t, "()") || strings.HasPrefix(t, "function ") ||
			(strings.HasPrefix(t, "[") || strings.HasPrefix(t, "test ")) && strings.ContainsAny(t, "&|")
	}) {
		return lines
	}
	guardLines(lines)
	// Function bodies: from name() { to the } at its indentation.
	type fn struct{ from, to int }
	fns := map[string]fn{}
	body := make([]bool, len(lines))
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i].text)
		m := funcDef.Get().FindStringSubmatch(t)
		if m == nil {
			continue
		}
		name := m[1] + m[2]
		indent := len(lines[i].text) - len(strings.TrimLeft(lines[i].text, " \t"))
		for j := i + 1; j < len(lines); j++ {
			lt := lines[j].text
			if strings.TrimSpace(lt) == "}" && len(lt)-len(strings.TrimLeft(lt, " \t")) <= indent {
				fns[name] = fn{i + 1, j}
				for k := i; k <= j; k++ {
					body[k] = true
				}
				i = j
				break
			}
		}
	}
	if len(fns) == 0 {
		return lines
	}
	called := map[string]bool{}
	names := slices.Collect(maps.Keys(fns))
	var out []shellLine
	var expand func(l shellLine, depth int)
	expand = func(l shellLine, depth int) {
		out = append(out, l)
		if depth > 3 || !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(l.text, n) }) {
			return
		}
		for _, seg := range shellSeparator.Get().Split(l.text, -1) {
			words := strings.Fields(seg)
			for len(words) > 0 && (shellPrefix[words[0]] || words[0] == "elif") {
				words = words[1:]
			}
			if len(words) == 0 {
				continue
			}
			f, ok := fns[words[0]]
			if !ok {
				continue
			}
			called[words[0]] = true
			args := words[1:]
			for _, b := range lines[f.from:f.to] {
				b.guard = append(slices.Clip(l.guard), b.guard...)
				b.fn, b.fnLine = words[0], l.line
				if len(args) > 0 && strings.Contains(b.text, "$") {
					b.text = positional.Get().ReplaceAllStringFunc(b.text, func(m string) string {
						n, _ := strconv.Atoi(strings.Trim(m, "${}"))
						if n <= len(args) {
							return args[n-1]
						}
						return m
					})
				}
				expand(b, depth+1)
			}
		}
	}
	for i, l := range lines {
		if !body[i] {
			expand(l, 0)
		}
	}
	// A function nobody calls here (a library of functions) is read
	// where it stands.
	var uncalled []fn
	for name, f := range fns {
		if !called[name] {
			uncalled = append(uncalled, f)
		}
	}
	sort.Slice(uncalled, func(i, j int) bool { return uncalled[i].from < uncalled[j].from })
	for _, f := range uncalled {
		out = append(out, lines[f.from:f.to]...)
	}
	return out
}

// guardLines sets each line's conditions from the if/elif/else and
// case arms around it.
func guardLines(lines []shellLine) {
	var stack []*branchFrame
	current := func() []cond {
		var g []cond
		for _, f := range stack {
			g = append(g, f.cur...)
		}
		return g
	}
	for i := range lines {
		l := &lines[i]
		t := strings.TrimSpace(l.text)
		top := func() *branchFrame {
			if len(stack) == 0 {
				return nil
			}
			return stack[len(stack)-1]
		}
		switch f := top(); {
		case strings.HasPrefix(t, "if "):
			c, rest, ok := strings.Cut(t[3:], "; then")
			if !ok {
				c, rest = strings.TrimSuffix(t[3:], " then"), ""
			}
			first := parseCond(c, l.line)
			fr := &branchFrame{conds: []cond{first}, cur: arm([]cond{first}, l.line, 0), at: l.line}
			if strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "fi")) == "" {
				l.guard = current() // the condition runs here, the branch after
				stack = append(stack, fr)
			} else {
				stack = append(stack, fr) // if …; then cmd: the command is the branch's
				l.guard = current()
			}
			if strings.HasSuffix(t, "fi") {
				stack = stack[:len(stack)-1]
			}
			continue
		case f != nil && !f.isCase && strings.HasPrefix(t, "elif "):
			c, _, _ := strings.Cut(t[5:], "; then")
			f.arm++
			f.cur = arm(append(negations(f.conds), parseCond(c, l.line)), f.at, f.arm)
			f.conds = append(f.conds, parseCond(c, l.line))
		case f != nil && !f.isCase && (t == "else" || strings.HasPrefix(t, "else ")):
			f.arm++
			f.cur = arm(negations(f.conds), f.at, f.arm)
		case f != nil && !f.isCase && (t == "fi" || strings.HasPrefix(t, "fi ") || strings.HasPrefix(t, "fi;")):
			stack = stack[:len(stack)-1]
			l.guard = current()
			continue
		case caseStart.Get().MatchString(t):
			m := caseStart.Get().FindStringSubmatch(t)
			l.guard = current()
			stack = append(stack, &branchFrame{isCase: true, caseVar: exprVar(m[1]), caseAt: l.line, at: l.line})
			continue
		case f != nil && f.isCase && (t == "esac" || strings.HasPrefix(t, "esac")):
			stack = stack[:len(stack)-1]
			l.guard = current()
			continue
		case f != nil && f.isCase && !f.inArm:
			if m := caseArm.Get().FindStringSubmatch(t); m != nil {
				var pats []string
				for _, p := range strings.Split(m[1], "|") {
					pats = append(pats, strings.Trim(strings.TrimSpace(p), `"'`))
				}
				if slices.Contains(pats, "*") {
					f.cur = nil
					if len(f.prev) > 0 && len(f.prev[0].Vals) > 0 {
						f.cur = []cond{{Var: f.caseVar, Vals: slices.Clone(f.prev[0].Vals), Neg: true, At: f.caseAt}}
					}
				} else {
					f.cur = []cond{{Var: f.caseVar, Vals: pats, At: f.caseAt}}
					if len(f.prev) == 0 {
						f.prev = []cond{{Var: f.caseVar, At: f.caseAt}}
					}
					f.prev[0].Vals = append(f.prev[0].Vals, pats...)
				}
				f.arm++
				f.cur = arm(f.cur, f.at, f.arm)
				f.inArm = true
				l.guard = current()
				if strings.HasSuffix(t, ";;") {
					f.inArm, f.cur = false, nil
				}
				continue
			}
		}
		l.guard = current()
		if c, ok := shortCircuit(t, l.line); ok {
			// [[ "$ENV" == prod ]] && helm upgrade …: the command's own
			// condition.
			l.guard = append(slices.Clip(l.guard), c)
		}
		if f := top(); f != nil && f.isCase && f.inArm && strings.HasSuffix(t, ";;") {
			f.inArm, f.cur = false, nil
		}
	}
}

// arm marks the conditions of one branch of the if or case at line
// frame; a branch with none gets one that says only which it is.
func arm(cs []cond, frame, n int) []cond {
	if len(cs) == 0 {
		cs = []cond{{At: frame}}
	}
	for i := range cs {
		cs[i].Frame, cs[i].Arm = frame, n
	}
	return cs
}

// exclusive reports whether a and b stand in two branches of one if or
// case: never both run.
func exclusive(a, b []cond) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Frame != 0 && x.Frame == y.Frame && x.Arm != y.Arm {
				return true
			}
		}
	}
	return false
}

// shortCircuit reads a line that runs its command only under a test
// before it: [ "$ENV" = prod ] && cmd (the test holds), [[ $ENV == dev ]]
// || cmd (it does not).
func shortCircuit(t string, at int) (cond, bool) {
	if !strings.HasPrefix(t, "[") && !strings.HasPrefix(t, "test ") {
		return cond{}, false
	}
	and, or := strings.Index(t, "&&"), strings.Index(t, "||")
	switch {
	case and > 0 && (or < 0 || and < or):
		c := parseCond(t[:and], at)
		return c, c.Var != ""
	case or > 0:
		c := parseCond(t[:or], at)
		return negate(c), c.Var != ""
	}
	return cond{}, false
}

// negations are the else of every condition in cs.
func negations(cs []cond) []cond {
	out := make([]cond, 0, len(cs))
	for _, c := range cs {
		out = append(out, negate(c))
	}
	return out
}

// runsFor decides whether a command under conditions g runs for
// environment env, the variable name holding the environment's name
// ("" when none is known): yes, no, or undecided (the conditions it
// cannot tell, for the report).
func runsFor(g []cond, name, env string) (runs bool, undecided []cond) {
	for _, c := range g {
		switch {
		case c.Var == "" || len(c.Vals) == 0:
			// a command's success, a file test: not about environments
		case name != "" && c.Var == name:
			if !c.matches(env) {
				return false, nil
			}
		case !c.Neg && slices.Contains(c.Vals, env):
			// [[ $X == uat ]] on uat's own command
		default:
			undecided = append(undecided, c)
		}
	}
	return true, undecided
}

// decide settles the line's conditions on variables whose value the job
// or script gives (ENVIRONMENT=$1 with the caller's argument, a job's
// env:): whether the line runs at all, and the conditions left open.
func (l shellLine) decide() ([]cond, bool) {
	var open []cond
	for _, c := range l.guard {
		if c.Var == "" || !assignment.Get().MatchString(c.Var+"=") {
			open = append(open, c)
			continue
		}
		v := l.expand("${" + c.Var + "}")
		if strings.Contains(v, "$") || strings.Contains(v, "`") {
			open = append(open, c)
			continue
		}
		if !c.matches(v) {
			return nil, false
		}
	}
	return open, true
}

// noteUncertain marks keep, the command kept for env of old and d, as
// uncertain when either stands in a branch ferry cannot decide for env:
// which of the two runs is the script's to say, not ferry's.
func noteUncertain(keep, old, d *Deploy, env string) {
	if old.Loc() == d.Loc() {
		return
	}
	_, undOld := runsFor(old.guard, old.envVar, env)
	_, undD := runsFor(d.guard, d.envVar, env)
	if len(undOld) == 0 && len(undD) == 0 {
		return
	}
	when := func(x *Deploy, und []cond) string {
		if len(und) == 0 {
			return x.Loc() + " otherwise"
		}
		return fmt.Sprintf("%s when %s (%s:%d)", x.Loc(), und[0], x.File, und[0].At)
	}
	keep.Uncertain = fmt.Sprintf("uncertain: two commands deploy %s and ferry cannot tell which branch runs: %s, %s", env, when(old, undOld), when(d, undD))
}

// branchArm is one branch of a top-level if/elif/else in a CI step or
// script: its condition and the variables it assigns, together
// (NAMESPACE="stage" and VALUES_FILE="helm/values-stage.yaml" under
// [[ "${{ github.ref }}" == "refs/heads/stage" ]]).
type branchArm struct {
	cond cond
	vars map[string]string
	// before are the variables assigned before the if.
	before map[string]string
	// caseHead marks the case line read before its first arm (its cond
	// names the variable), done an arm its ;; closed, exported (on the
	// first arm) arms that write $GITHUB_ENV or $BASH_ENV.
	caseHead, done, exported bool
	// inCase marks a case's arms: together they name every value its
	// variables take (an if may leave one to CI).
	inCase bool
}

// decidedArms are the line's arms that may run: an arm whose condition
// tests a variable the script or its caller gives (environment=$1 with
// the caller's argument "test") runs only when the value matches, and
// an else only when no arm did. A script called once per environment
// is one deploy per call, not every arm for each.
func (l shellLine) decidedArms() []branchArm {
	var out []branchArm
	matched := false
	for _, a := range l.arms {
		c := a.cond
		if c.Var == "" && len(c.Vals) == 0 && c.At > 0 && matched {
			continue // else, after an arm that runs
		}
		if c.Var == "" || len(c.Vals) == 0 || !assignment.Get().MatchString(c.Var+"=") {
			out = append(out, a)
			continue
		}
		v := l.expand("${" + c.Var + "}")
		if v == "" || strings.ContainsAny(v, "$`") {
			out = append(out, a)
			continue
		}
		if c.matches(v) {
			matched = true
			out = append(out, a)
		}
	}
	return out
}

// trackArms follows the top-level if the line t (at line n, the if
// depth before it) opens or continues: a new arm for if, elif and else.
func trackArms(arms []branchArm, t string, n, depth int) []branchArm {
	switch {
	case depth == 0 && strings.HasPrefix(t, "if ") && !strings.HasSuffix(t, "fi"):
		return []branchArm{{cond: parseCond(t, n), vars: map[string]string{}}}
	case depth == 1 && len(arms) > 0 && strings.HasPrefix(t, "elif "):
		return append(arms, branchArm{cond: parseCond(t, n), vars: map[string]string{}})
	case depth == 1 && len(arms) > 0 && (t == "else" || strings.HasPrefix(t, "else ") || strings.HasPrefix(t, "else;")):
		return append(arms, branchArm{cond: cond{At: n}, vars: map[string]string{}})
	case depth == 0 && strings.HasPrefix(t, "case "):
		if m := caseStart.Get().FindStringSubmatch(t); m != nil {
			return []branchArm{{cond: cond{Var: exprVar(m[1]), At: n}, vars: map[string]string{}, caseHead: true, done: true}}
		}
	case depth == 1 && len(arms) > 0 && arms[0].caseHead && arms[len(arms)-1].done:
		// a case arm: prod|production) — * is the default, like else
		if m := caseArm.Get().FindStringSubmatch(t); m != nil {
			a := branchArm{cond: cond{Var: arms[0].cond.Var, At: n}, vars: map[string]string{}, inCase: true}
			for _, p := range strings.Split(m[1], "|") {
				if p = strings.Trim(strings.TrimSpace(p), `"'`); p == "*" {
					a.cond = cond{At: n}
					break
				}
				a.cond.Vals = append(a.cond.Vals, p)
			}
			return append(arms, a)
		}
	}
	return arms
}

// flagArms gives a command that expands a variable the arms before it
// set to flags (VALUES_OVERRIDE="-f values-prod.yaml" in one case arm,
// "" in the *) one) a line per arm, with that arm's variables and the
// value its condition gives the case's variable: a deploy per arm, its
// values file named at the arm's line (armAt). Only arms that cover
// every path split it: a case's (none matching is one more path when
// it has no *) arm), an if's with an else.
func flagArms(cmds []shellLine) []shellLine {
	var out []shellLine
	for _, c := range cmds {
		arms, split := c.arms, false
		n := len(arms)
		if n > 0 && arms[0].inCase && arms[n-1].cond.Vals != nil {
			arms = append(slices.Clip(arms), branchArm{})
		} else if n < 2 || arms[n-1].cond.Var != "" || arms[n-1].cond.Vals != nil {
			arms = nil
		}
		for _, a := range arms {
			for k, v := range a.vars {
				split = split || strings.HasPrefix(v, "-") && strings.Contains(c.text, k)
			}
		}
		if !split {
			out = append(out, c)
			continue
		}
		for _, a := range arms {
			cc := c
			cc.arms, cc.armAt = nil, a.cond.At
			cc.assigned, cc.assignedAt = map[string]string{}, map[string]int{}
			maps.Copy(cc.assigned, c.assigned)
			maps.Copy(cc.assignedAt, c.assignedAt)
			for k, v := range a.vars {
				cc.assigned[k], cc.assignedAt[k] = v, a.cond.At
			}
			if v := a.cond.Vals; len(v) == 1 && a.cond.Var != "" && !a.cond.Neg && !strings.ContainsAny(v[0], "*?[") {
				cc.assigned[a.cond.Var], cc.assignedAt[a.cond.Var] = v[0], a.cond.At
			}
			out = append(out, cc)
		}
	}
	return out
}

// armDeploys reads a command whose values file is a variable each arm
// of the if/elif before it assigns as one deploy per arm, the arm's
// variables filled in: the environment is the one the arm's values file
// names (byFile), or for the chart's own values.yaml the namespace the
// arm picks (its stage word if it has one; the word the arm's condition
// compares with when the namespace is "default").
func (p *Project) armDeploys(d Deploy, byFile map[string]string) map[string]Deploy {
	out := map[string]Deploy{}
	for _, v := range d.Values {
		m := simpleRef.Get().FindString(v)
		if m == "" || m != v {
			continue
		}
		name := strings.Trim(m, "${}")
		for _, arm := range d.arms {
			if arm.vars[name] == "" {
				continue
			}
			dd := d
			dd.arms, dd.guard = nil, append(slices.Clip(d.guard), arm.cond)
			fill := func(s string) string {
				return simpleRef.Get().ReplaceAllStringFunc(s, func(r string) string {
					if val, ok := arm.vars[strings.Trim(r, "${}")]; ok {
						return val
					}
					if val, ok := arm.before[strings.Trim(r, "${}")]; ok && !strings.ContainsAny(val, "$`") {
						return val
					}
					return r
				})
			}
			dd.Values = nil
			for _, x := range d.Values {
				dd.Values = append(dd.Values, path.Clean(fill(x)))
			}
			dd.Namespace, dd.Release = fill(d.Namespace), fill(d.Release)
			dd.Set = nil
			for _, sf := range d.Set {
				sf.Value = fill(sf.Value)
				sf.ByCI = IsCIExpr(sf.Value)
				dd.Set = append(dd.Set, sf)
			}
			if d.flagLines != nil {
				dd.flagLines = map[string]int{}
				for k, n := range d.flagLines {
					dd.flagLines[fill(k)] = n
				}
			}
			f := path.Clean(fill(v))
			env := byFile[f]
			if env == "" && p.Chart != "" && path.Dir(f) == path.Clean(p.Chart) && (path.Base(f) == "values.yaml" || path.Base(f) == "values.yml") {
				env = dd.Namespace
				if w := stageIn(env); w != "" && !IsCIExpr(env) {
					env = w // ledger-production: production
				} else if c := arm.cond; len(c.Vals) == 1 && !c.Neg && stageIn(c.Vals[0]) == c.Vals[0] {
					env = c.Vals[0] // [[ $environment == production ]] deploying into shop: production
				}
				if (env == "default" || env == "" || IsCIExpr(env)) && len(arm.cond.Vals) == 1 && !arm.cond.Neg {
					env = path.Base(arm.cond.Vals[0]) // refs/heads/main: main
				}
			}
			if env == "" || IsCIExpr(env) || !envNameRe.Get().MatchString(strings.ToLower(env)) {
				continue
			}
			dd.Env = env
			out[env] = dd
		}
	}
	return out
}
