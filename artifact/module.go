package artifact

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferrydev/ferry/internal/confine"
)

// goModule finds the Go module that holds the main package: the nearest
// go.mod at or above main, inside the project. A repository that keeps its
// Go service in a subdirectory (go/, services/api/) beside the chart is
// built there, as go build run inside it would be, with pkg naming main
// relative to it. With a go.mod at the project's root, or none on main's
// path (a monorepo's module or a go.work above the project), it is "." and
// main unchanged: go build finds the module itself.
func goModule(root *confine.Root, main string) (dir, pkg string) {
	m := path.Clean(filepath.ToSlash(main))
	if filepath.IsAbs(main) || isFile(root, "go.mod") {
		return ".", main
	}
	for d := m; d != "." && d != "/"; d = path.Dir(d) {
		if isFile(root, path.Join(d, "go.mod")) {
			rel, _ := strings.CutPrefix(m, d)
			return d, "." + rel
		}
	}
	return ".", main
}

// moduleHint explains a go build that found no module: go says only that
// go.mod is missing (in a git checkout: that it cannot find the main
// module), while a repository that keeps its service in a subdirectory has
// one a level or two down. It names them and the setting that builds
// there, or is "" for another failure or when the project holds none.
func moduleHint(root *confine.Root, stderr string) string {
	if !strings.Contains(stderr, "go.mod file not found") && !strings.Contains(stderr, "cannot find main module") {
		return ""
	}
	var mods []string
	_ = root.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p != "." && (skipDir(d.Name()) || strings.Count(p, "/") >= 2):
			return fs.SkipDir
		case d.Name() == "go.mod":
			mods = append(mods, p)
		}
		return nil
	})
	if len(mods) == 0 {
		return ""
	}
	return fmt.Sprintf("the project's root has no go.mod, and main is not in a Go module; %s is one: name its main package in ferry.yaml (main: %s)",
		strings.Join(mods, ", "), path.Dir(mods[0]))
}
