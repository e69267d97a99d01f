package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// constructorFile is the one file where a configuration value becomes
// printable: secret.Shown and the placeholder it prints.
const constructorFile = "secret/shown.go"

// byHand are the names that turn a value into text without
// secret.Shown: the placeholder itself, spelled through either package
// that has exported it.
var byHand = map[string]map[string]bool{
	"secret": {"Redacted": true, "Show": true, "RedactURL": true},
	"render": {"Redacted": true},
}

// TestOnePlaceMakesValuesPrintable: no non-test Go file of the module
// but constructorFile writes the placeholder or names secret.Redacted,
// render.Redacted (or the Show and RedactURL that went before Shown), so
// a value reaches an output only through secret.Shown, and "no secret
// printed" is the one table test over it (secret's
// TestShownPrintsNoSecret). Comments may name them; code may not.
func TestOnePlaceMakesValuesPrintable(t *testing.T) {
	root := "../.."
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "vendor", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || rel == constructorFile {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && byHand[x.Name][n.Sel.Name] {
					t.Errorf("%s: %s.%s makes a value printable by hand: call secret.Shown", fset.Position(n.Pos()), x.Name, n.Sel.Name)
				}
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil && strings.Contains(s, "<redacted>") {
					t.Errorf("%s: the placeholder spelled by hand: call secret.Shown", fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read %d Go files, want the whole module's", files)
	}
}
