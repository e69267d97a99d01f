package confine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfine builds a tree of files and symbolic links from spec — one
// entry a line, "path" for a file or "path -> target" for a link, where
// "{out}" in a target is a directory outside the project — and reads,
// stats and writes name through the Root. Whatever the tree and the
// name, nothing outside is read or written, and a name that climbs with
// ".." or is absolute is refused before the tree is looked at. The seeds
// in testdata/fuzz/FuzzConfine run with every `go test`.
func FuzzConfine(f *testing.F) {
	f.Add("chart/values.yaml\nchart/templates/x.yaml -> ../values.yaml", "chart/templates/x.yaml")
	f.Add("configs -> {out}", "configs/secret.txt")
	f.Add("a -> b\nb -> a", "a")
	f.Add("a/b -> ../../outside/secret.txt", "a/b")
	f.Add("d -> .\nd2 -> d/d/d/..", "d2/secret.txt")
	f.Add(".ferry/locks/prod.lock -> {out}/secret.txt", ".ferry/locks/prod.lock")
	f.Add("x", "../outside/secret.txt")
	f.Add("x", "/etc/hostname")
	f.Fuzz(func(t *testing.T, spec, name string) {
		base := t.TempDir()
		dir, out := filepath.Join(base, "project"), filepath.Join(base, "outside")
		canary := []byte("OUTSIDE-CANARY")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, "secret.txt"), canary, 0o644); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(spec, "\n") {
			if i >= 12 {
				break
			}
			p, target, isLink := strings.Cut(line, " -> ")
			p = strings.TrimSpace(p)
			if p == "" || !filepath.IsLocal(p) || strings.ContainsRune(p+target, 0) {
				continue
			}
			full := filepath.Join(dir, p)
			if os.MkdirAll(filepath.Dir(full), 0o755) != nil {
				continue
			}
			if isLink {
				_ = os.Symlink(strings.ReplaceAll(target, "{out}", out), full)
			} else {
				_ = os.WriteFile(full, []byte("inside"), 0o644)
			}
		}
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()

		climbs := filepath.IsAbs(name) || strings.HasPrefix(name, "/")
		for _, el := range strings.Split(filepath.ToSlash(name), "/") {
			climbs = climbs || el == ".."
		}
		b, err := r.ReadFile(name)
		if err == nil && bytes.Contains(b, canary) {
			t.Fatalf("ReadFile(%q) read outside the project", name)
		}
		if climbs && err == nil {
			t.Fatalf("ReadFile(%q) was not refused", name)
		}
		if _, err := r.Stat(name); climbs && err == nil {
			t.Fatalf("Stat(%q) was not refused", name)
		}
		_ = r.WriteFile(name, []byte("PLANTED"), 0o644)
		_ = r.MkdirAll(name+"-dir", 0o755)
		_ = r.WalkDir(".", func(string, os.DirEntry, error) error { return nil })
		ents, err := os.ReadDir(out)
		if err != nil || len(ents) != 1 {
			t.Fatalf("the outside directory changed: %v %v", ents, err)
		}
		if got, _ := os.ReadFile(filepath.Join(out, "secret.txt")); !bytes.Equal(got, canary) {
			t.Fatalf("WriteFile(%q) wrote outside the project", name)
		}
	})
}
