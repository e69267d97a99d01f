package check

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// goSource is what the rules need from the service's Go code, read once
// per check.
type goSource struct {
	// branches are the places that compare or switch on APP_ENV.
	branches []codeLoc
	// subscribes is true when the code subscribes to a pub/sub topic.
	subscribes bool
}

// codeLoc is a place in the Go source.
type codeLoc struct {
	File string // relative to the project directory, slash-separated
	Line int
	What string // "compares APP_ENV with \"prod\""
}

func (in *Input) source() *goSource {
	if in.parent != nil {
		return in.parent.source()
	}
	in.srcOnce.Do(func() {
		in.src = &goSource{}
		if in.Project != nil && in.Project.Dir != "" {
			in.src = scanSource(in.files(), in.Project.Dir)
		}
	})
	return in.src
}

// scanSource parses every Go file under dir except tests, vendor/ and
// testdata/. Files that do not parse are skipped: the compiler reports
// them better than check can.
func scanSource(files *tree, dir string) *goSource {
	pkgs := map[string][]*ast.File{}
	fset := token.NewFileSet()
	_ = files.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "vendor" || name == "testdata" || name == "node_modules" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := files.ReadFile(path)
		if err != nil {
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
		pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], f)
		return nil
	})
	out := &goSource{}
	dirs := make([]string, 0, len(pkgs))
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	// A struct field assigned from APP_ENV in one package (config.Load)
	// is compared in another (main): field taints are shared by all.
	scans := make([]*appEnvScan, len(dirs))
	fields := map[string]bool{}
	for i, d := range dirs {
		scans[i] = newAppEnvScan(fset, dir, pkgs[d])
		scans[i].taint()
		for k := range scans[i].tainted {
			if strings.HasPrefix(k, "field:") {
				fields[k] = true
			}
		}
	}
	for _, s := range scans {
		for k := range fields {
			s.tainted[k] = true
		}
		s.run()
		out.branches = append(out.branches, s.found...)
		out.subscribes = out.subscribes || s.subscribes
	}
	sort.Slice(out.branches, func(i, j int) bool {
		a, b := out.branches[i], out.branches[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return out
}

// appEnvScan finds the comparisons of APP_ENV in one package. It is a
// syntactic taint analysis, which needs no build of the module (the
// service's dependencies may not even be downloaded): an expression is
// tainted when it reads APP_ENV (os.Getenv, os.LookupEnv, a config
// getter's Get/GetOrDefault/String), normalises a tainted value
// (strings.ToLower …), or names a variable or field assigned from one.
// Local variables are keyed by their function, so a same-named variable
// in another function is not tainted; go/types is used only to print
// expressions.
type appEnvScan struct {
	fset       *token.FileSet
	root       string
	files      []*ast.File
	consts     map[string]bool // names of constants whose value is "APP_ENV"
	tainted    map[string]bool // scope-qualified variable names and field paths
	found      []codeLoc
	subscribes bool
}

func newAppEnvScan(fset *token.FileSet, root string, files []*ast.File) *appEnvScan {
	return &appEnvScan{fset: fset, root: root, files: files, consts: map[string]bool{}, tainted: map[string]bool{}}
}

func (s *appEnvScan) run() {
	s.taint()
	for _, f := range s.files {
		s.walk(f, s.report)
	}
}

// taint finds the constants naming APP_ENV and spreads taint along
// assignments.
func (s *appEnvScan) taint() {
	for _, f := range s.files {
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) && isStringLit(vs.Values[i], "APP_ENV") {
						s.consts[name.Name] = true
					}
				}
			}
			return true
		})
	}
	// Taint spreads along assignments; a few passes reach the fixed point
	// for the chains real code has (x := Getenv; y := ToLower(x)).
	for range 3 {
		for _, f := range s.files {
			s.walk(f, s.taintAssign)
		}
	}
}

// walk visits f's nodes with the name of the function they are in ("" at
// package level), which qualifies local variable names.
func (s *appEnvScan) walk(f *ast.File, visit func(fn string, n ast.Node)) {
	for _, d := range f.Decls {
		fn := ""
		if fd, ok := d.(*ast.FuncDecl); ok {
			fn = fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) > 0 {
				fn = exprString(fd.Recv.List[0].Type) + "." + fn
			}
		}
		ast.Inspect(d, func(n ast.Node) bool {
			if n != nil {
				visit(fn, n)
			}
			return true
		})
	}
}

// key names a variable or field expression: locals qualified by their
// function, package-level names and field paths (cfg.Env) bare. A local
// shadowing a tainted package-level name is conservatively tainted too.
func key(fn string, e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return fn + "." + e.Name
	case *ast.SelectorExpr:
		return exprString(e)
	}
	return ""
}

func (s *appEnvScan) isTainted(fn string, e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return s.isTainted(fn, e.X)
	case *ast.Ident:
		return s.tainted[fn+"."+e.Name] || s.tainted["."+e.Name]
	case *ast.SelectorExpr:
		return s.tainted[exprString(e)]
	case *ast.CallExpr:
		return s.readsAppEnv(fn, e)
	}
	return false
}

// getters are the methods of a config value that read a key: GoFr's
// Config.Get/GetOrDefault, the kit's String, and look-alikes.
var getters = map[string]bool{"Get": true, "GetOrDefault": true, "String": true, "Getenv": true, "LookupEnv": true, "Lookup": true, "MustGet": true}

// envHelper names a service's own environment readers: getEnv, envOr,
// mustEnv, getenvDefault.
var envHelper = lazyre.New(`(?i)env|^get`)
var normalisers = map[string]bool{"ToLower": true, "ToUpper": true, "TrimSpace": true, "Trim": true, "TrimPrefix": true, "TrimSuffix": true}

func (s *appEnvScan) readsAppEnv(fn string, c *ast.CallExpr) bool {
	if len(c.Args) == 0 {
		return false
	}
	// A helper of the service's own: getEnv("APP_ENV", "development").
	if id, ok := c.Fun.(*ast.Ident); ok {
		return envHelper.Get().MatchString(id.Name) && s.isKey(c.Args[0])
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if x, ok := sel.X.(*ast.Ident); ok && x.Name == "strings" && normalisers[sel.Sel.Name] {
		return s.isTainted(fn, c.Args[0])
	}
	return getters[sel.Sel.Name] && s.isKey(c.Args[0])
}

func (s *appEnvScan) isKey(e ast.Expr) bool {
	if id, ok := e.(*ast.Ident); ok {
		return s.consts[id.Name]
	}
	return isStringLit(e, "APP_ENV")
}

func isStringLit(e ast.Expr, want string) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	v, err := strconv.Unquote(lit.Value)
	return err == nil && v == want
}

func (s *appEnvScan) taintAssign(fn string, n ast.Node) {
	mark := func(lhs ast.Expr, rhs ast.Expr) {
		if k := key(fn, lhs); k != "" && s.isTainted(fn, rhs) {
			s.tainted[k] = true
		}
	}
	switch n := n.(type) {
	case *ast.AssignStmt:
		if len(n.Lhs) == len(n.Rhs) {
			for i := range n.Lhs {
				mark(n.Lhs[i], n.Rhs[i])
			}
		} else if len(n.Rhs) == 1 {
			// v, ok := os.LookupEnv("APP_ENV"): the value is the first.
			mark(n.Lhs[0], n.Rhs[0])
		}
	case *ast.ValueSpec:
		for i, name := range n.Names {
			if i < len(n.Values) {
				mark(name, n.Values[i])
			} else if len(n.Values) == 1 && i == 0 {
				mark(name, n.Values[0])
			}
		}
	case *ast.KeyValueExpr:
		// Config{Env: os.Getenv("APP_ENV")}: taint the field wherever used.
		if id, ok := n.Key.(*ast.Ident); ok && s.isTainted(fn, n.Value) {
			s.tainted["field:"+id.Name] = true
		}
	}
}

func (s *appEnvScan) taintedOrField(fn string, e ast.Expr) bool {
	if s.isTainted(fn, e) {
		return true
	}
	if sel, ok := e.(*ast.SelectorExpr); ok {
		return s.tainted["field:"+sel.Sel.Name]
	}
	return false
}

func (s *appEnvScan) report(fn string, n ast.Node) {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		if n.Op != token.EQL && n.Op != token.NEQ {
			return
		}
		for _, pair := range [][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
			if s.taintedOrField(fn, pair[0]) {
				s.add(n.Pos(), "compares APP_ENV with "+exprString(pair[1]))
				return
			}
		}
	case *ast.SwitchStmt:
		if n.Tag != nil && s.taintedOrField(fn, n.Tag) {
			s.add(n.Pos(), "switches on APP_ENV")
		}
	case *ast.CallExpr:
		sel, ok := n.Fun.(*ast.SelectorExpr)
		if !ok {
			return
		}
		if sel.Sel.Name == "Subscribe" {
			s.subscribes = true
		}
		x, _ := sel.X.(*ast.Ident)
		if x == nil {
			return
		}
		switch {
		case x.Name == "strings" && (sel.Sel.Name == "EqualFold" || sel.Sel.Name == "HasPrefix" || sel.Sel.Name == "HasSuffix" || sel.Sel.Name == "Contains"),
			x.Name == "slices" && sel.Sel.Name == "Contains":
			for _, a := range n.Args {
				if s.taintedOrField(fn, a) {
					s.add(n.Pos(), "compares APP_ENV with "+x.Name+"."+sel.Sel.Name)
					return
				}
			}
		}
	}
}

func (s *appEnvScan) add(pos token.Pos, what string) {
	p := s.fset.Position(pos)
	rel, err := filepath.Rel(s.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	s.found = append(s.found, codeLoc{File: filepath.ToSlash(rel), Line: p.Line, What: what})
}

// exprString is an expression's Go source on one line, for the shapes
// the scan names (cfg.Env, *Server, Server[T], "production", os.Getenv("X"));
// "" for others, which the scan never uses as a key. Written out rather
// than printed: go/types' ExprString brings the whole type checker
// (0.86 MB) and go/printer another 80 KB into ferry's binary.
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.BasicLit:
		return e.Value
	case *ast.SelectorExpr:
		if x := exprString(e.X); x != "" {
			return x + "." + e.Sel.Name
		}
	case *ast.StarExpr:
		if x := exprString(e.X); x != "" {
			return "*" + x
		}
	case *ast.ParenExpr:
		if x := exprString(e.X); x != "" {
			return "(" + x + ")"
		}
	case *ast.UnaryExpr:
		if x := exprString(e.X); x != "" {
			return e.Op.String() + x
		}
	case *ast.IndexExpr:
		return exprList(e.X, "[", []ast.Expr{e.Index}, "]")
	case *ast.IndexListExpr:
		return exprList(e.X, "[", e.Indices, "]")
	case *ast.CallExpr:
		return exprList(e.Fun, "(", e.Args, ")")
	}
	return ""
}

// exprList is x[a, b] or f(a, b); "" when a part has no string.
func exprList(x ast.Expr, open string, items []ast.Expr, closing string) string {
	parts := []string{exprString(x)}
	for _, it := range items {
		parts = append(parts, exprString(it))
	}
	if slices.Contains(parts, "") {
		return ""
	}
	return parts[0] + open + strings.Join(parts[1:], ", ") + closing
}
