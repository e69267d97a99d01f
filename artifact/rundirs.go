package artifact

import (
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/internal/confine"
)

// Directories the service reads at run time. The image runs the binary in
// WorkDir, as a developer runs it in the project directory: a relative
// path the code opens there ("file://migrations" for golang-migrate,
// os.DirFS("static"), template.ParseGlob("templates/*.html")) must be in
// the image too, or the service that worked with go run fails in its pod.
// Build packs such a directory rather than only warning: the evidence is
// in the source, packing is deterministic, and a warning would leave every
// deploy of the artifact broken until the code changes. What //go:embed
// names is in the binary already and is left out.

// maxRunDir bounds what one directory may add to the image: a larger one
// (a front end's build output, media) is not packed, and the build says so.
const maxRunDir = 32 << 20

// fileCalls are the calls, besides …Dir and …DirFS (os.DirFS, http.Dir,
// os.ReadDir), whose arguments a bare directory name may be: the standard
// library's, and the static-file and template loaders of gin, echo and
// fiber.
const fileCalls = " Open ReadFile Stat Glob WalkDir Walk ParseGlob ParseFiles Static StaticFS LoadHTMLGlob "

// runDir is a directory of the project the code reads by a relative path.
type runDir struct {
	dir string // slash-separated, relative to the project
	why string // file:line and the literal that names it
}

// skipDir are directories never searched for Go files nor packed.
func skipDir(name string) bool {
	return name == "vendor" || name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// findRunDirs lists the directories the Go code of the module in mod (see
// goModule) names by a relative path, in order, resolved against the
// project's root, where the image runs the binary, leaving out configs (packed on its
// own), the chart (never run-time data: its values may hold what the
// image must not), Go package directories and what //go:embed names.
func findRunDirs(root *confine.Root, mod, configs, chart string) []runDir {
	var found []runDir
	var embedded []string
	_ = root.WalkDir(mod, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != mod && (skipDir(d.Name()) || isFile(root, path.Join(p, "go.mod"))) {
				return fs.SkipDir // a nested module is another service
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := root.ReadFile(p)
		if err != nil {
			return nil
		}
		var s scanner.Scanner
		file := token.NewFileSet().AddFile(p, -1, len(src))
		s.Init(file, src, nil, scanner.ScanComments)
		// calls holds, per open parenthesis, whether it is a call that
		// opens files (os.DirFS(, e.Static(, template.ParseGlob().
		var calls []bool
		var ident string
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			switch tok {
			case token.IDENT:
				ident = lit
				continue
			case token.LPAREN:
				calls = append(calls, ident != "" && (strings.HasSuffix(ident, "Dir") || strings.HasSuffix(ident, "DirFS") || strings.Contains(fileCalls, " "+ident+" ")))
			case token.RPAREN:
				if len(calls) > 0 {
					calls = calls[:len(calls)-1]
				}
			}
			ident = ""
			switch tok {
			case token.COMMENT:
				if pats, ok := strings.CutPrefix(lit, "//go:embed "); ok {
					for _, pat := range strings.Fields(pats) {
						pat = strings.TrimPrefix(strings.Trim(pat, "\"`"), "all:")
						embedded = append(embedded, path.Join(path.Dir(p), pat))
					}
				}
			case token.STRING:
				v, err := strconv.Unquote(lit)
				if err != nil {
					continue
				}
				// A bare word ("static", "deploy") is a directory only as
				// the argument of a call that opens files: elsewhere it is
				// a command's or a route's name as often.
				if !strings.ContainsRune(v, '/') && (len(calls) == 0 || !calls[len(calls)-1]) {
					continue
				}
				if dir := namedDir(root, v); dir != "" && dir != chart && !isFile(root, path.Join(dir, "Chart.yaml")) {
					found = append(found, runDir{dir: dir, why: p + ":" + strconv.Itoa(file.Line(pos)) + " " + lit})
				}
			}
		}
		return nil
	})
	// Sorted, so that a directory comes before what it holds, and the
	// first line naming it before the others.
	sort.Slice(found, func(i, j int) bool {
		return found[i].dir < found[j].dir || found[i].dir == found[j].dir && found[i].why < found[j].why
	})
	var out []runDir
next:
	for _, r := range found {
		if within(r.dir, configs) || within(configs, r.dir) || embeddedDir(embedded, r.dir) {
			continue
		}
		for _, o := range out {
			if within(r.dir, o.dir) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// within reports whether dir is d or below it.
func within(dir, d string) bool { return dir == d || strings.HasPrefix(dir, d+"/") }

// embeddedDir reports a directory a //go:embed pattern names (or one
// below it): the binary carries it.
func embeddedDir(embedded []string, dir string) bool {
	for _, pat := range embedded {
		if within(dir, strings.TrimSuffix(pat, "/")) || within(pat, dir) {
			return true
		}
	}
	return false
}

// namedDir is the project directory a string literal names as a relative
// path ("file://migrations", "./static", "templates/*.html",
// "db/migrations"): the longest existing directory it starts with, ""
// when it names none, names a Go package or is no path at all.
func namedDir(root *confine.Root, v string) string {
	v = strings.TrimPrefix(v, "file://")
	v = strings.TrimPrefix(v, "./")
	if v == "" || len(v) > 200 || v[0] == '/' || strings.ContainsAny(v, " \t\n:\\$%{}<>|\"'") {
		return ""
	}
	if i := strings.IndexAny(v, "*?["); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(strings.Trim(v, "/"), "/")
	if parts[0] == "" || parts[0] == "." || parts[0] == ".." || skipDir(parts[0]) {
		return ""
	}
	dir := ""
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if st, err := root.Stat(p); err != nil || !st.IsDir() {
			break
		}
		dir = p
	}
	if dir == "" || goPackage(root, dir) {
		return ""
	}
	return dir
}

// goPackage reports a directory holding Go files: source, not data.
func goPackage(root *confine.Root, dir string) bool {
	ents, err := root.ReadDir(dir)
	if err != nil {
		return true
	}
	return slices.ContainsFunc(ents, func(e fs.DirEntry) bool { return strings.HasSuffix(e.Name(), ".go") })
}

func isFile(root *confine.Root, name string) bool {
	st, err := root.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// readRunDirs reads the directories found, each as files named relative to
// the project; one too large or holding a link that leaves the project is
// not packed and is said in a warning instead.
func readRunDirs(root *confine.Root, dirs []runDir) (files []configFile, packed, warnings []string) {
	for _, r := range dirs {
		got, err := readConfigs(root, r.dir)
		size := 0
		for _, f := range got {
			size += len(f.data)
		}
		if err == nil && size > maxRunDir {
			err = fmt.Errorf("%d MiB is over the %d MiB bound; embed it (//go:embed) or serve it from elsewhere", (size+1<<20-1)>>20, maxRunDir>>20)
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s/ is read at run time (%s) but not packed into the image: %v", r.dir, r.why, err))
			continue
		}
		// The layer has no entry for db/ above db/migrations: unpacking
		// makes it, as every container runtime does.
		for _, f := range got {
			f.name = path.Join(r.dir, f.name)
			files = append(files, f)
		}
		packed = append(packed, r.dir+"/ ("+r.why+")")
	}
	return files, packed, warnings
}
