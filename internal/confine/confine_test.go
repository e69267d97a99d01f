package confine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// tree writes a project: a value starting with "->" makes a symbolic
// link to the rest; "{out}" in it stands for a directory outside the
// project, which holds a file "secret.txt" ferry must never show.
func tree(t testing.TB, files map[string]string) (dir, out string) {
	t.Helper()
	base := t.TempDir()
	dir, out = filepath.Join(base, "project"), filepath.Join(base, "outside")
	for _, d := range []string{dir, out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "secret.txt"), []byte("OUTSIDE-CANARY\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := strings.ReplaceAll(files[name], "{out}", out)
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, out
}

// project is a realistic chart repository with links a team might
// commit (a shared helpers file, a templates directory kept elsewhere in
// the repository) and links a hostile one would.
// openRoot opens dir as a Root until the test ends.
func openRoot(t testing.TB, dir string) *Root {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func project() map[string]string {
	return map[string]string{
		"ferry.yaml":                         "service: orders\n",
		"chart/Chart.yaml":                   "apiVersion: v2\nname: orders\nversion: 0.1.0\n",
		"chart/values.yaml":                  "replicaCount: 1\n",
		"chart/templates/deployment.yaml":    "kind: Deployment\n",
		"chart/templates/_helpers.tpl":       "->../../shared/_helpers.tpl",
		"shared/_helpers.tpl":                "{{- define \"name\" }}orders{{ end }}\n",
		"chart/files":                        "->../shared",
		"configs/.env":                       "APP_NAME=orders\n",
		"evil/passwd":                        "->../../outside/secret.txt",
		"evil/abs":                           "->{out}/secret.txt",
		"evil/dir":                           "->{out}",
		"evil/chain":                         "->passwd",
		"evil/self":                          "->self",
		"configs/.prod.env":                  "->../../outside/secret.txt",
		"chart/templates/leak.yaml":          "->/etc/hostname",
		"chart/templates/sub/inside-abs.txt": "plain\n",
	}
}

func TestRead(t *testing.T) {
	dir, _ := tree(t, project())
	r := openRoot(t, dir)
	tests := []struct {
		name string
		want string // content; "" when refused
		why  string // substring of the refusal
	}{
		{"chart/values.yaml", "replicaCount: 1\n", ""},
		{"chart/templates/_helpers.tpl", "{{- define \"name\" }}orders{{ end }}\n", ""},
		{"chart/files/_helpers.tpl", "{{- define \"name\" }}orders{{ end }}\n", ""},
		{"./chart//values.yaml", "replicaCount: 1\n", ""},
		{"evil/passwd", "", "evil/passwd is a symbolic link to ../../outside/secret.txt"},
		{"evil/abs", "", "evil/abs is a symbolic link to the absolute path"},
		{"evil/dir/secret.txt", "", "evil/dir is a symbolic link to the absolute path"},
		{"evil/chain", "", "evil/chain is a symbolic link to passwd"},
		{"configs/.prod.env", "", "configs/.prod.env is a symbolic link"},
		{"chart/templates/leak.yaml", "", "/etc/hostname"},
		{"../outside/secret.txt", "", `a path with ".."`},
		{"chart/../../outside/secret.txt", "", `a path with ".."`},
		{"chart/../ferry.yaml", "", `a path with ".."`},
		{"/etc/hostname", "", "an absolute path"},
		{"chart/\x00x", "", "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.ReadFile(tt.name)
			if tt.why == "" {
				if err != nil || string(got) != tt.want {
					t.Fatalf("ReadFile = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, ErrOutside) || !errors.Is(err, ErrRefused) {
				t.Fatalf("ReadFile = %q, %v; want a refusal", got, err)
			}
			if ce.Path != tt.name || !strings.Contains(err.Error(), tt.why) || !strings.HasPrefix(err.Error(), tt.name+": ") {
				t.Errorf("refusal = %q, want it to start with the path and say %q", err, tt.why)
			}
			if strings.Contains(err.Error(), "OUTSIDE-CANARY") || len(got) != 0 {
				t.Errorf("read outside: %q", got)
			}
			// Every other way in refuses the same path.
			if f, err := r.Open(tt.name); !errors.Is(err, ErrOutside) {
				f.Close()
				t.Errorf("Open = %v", err)
			}
			if _, err := r.Stat(tt.name); !errors.Is(err, ErrOutside) {
				t.Errorf("Stat = %v", err)
			}
			if _, err := fs.ReadFile(r.FS(), tt.name); !errors.Is(err, ErrOutside) {
				t.Errorf("FS ReadFile = %v", err)
			}
		})
	}
	// A link loop is an error of its own, never a hang.
	if _, err := r.ReadFile("evil/self"); err == nil {
		t.Error("link loop read")
	}
	// Lstat names a link that leaves without following it.
	if fi, err := r.Lstat("evil/abs"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(evil/abs) = %v, %v", fi, err)
	}
}

func TestWrite(t *testing.T) {
	dir, out := tree(t, map[string]string{
		"main.go":          "package main\n",
		".ferry/build":     "->{out}",
		"bin":              "->build-out",
		"build-out/.keep":  "",
		"to-main":          "->main.go",
		"locks/prod.lock":  "->../../outside/secret.txt",
		"locks/stage.lock": "->{out}/secret.txt",
	})
	r := openRoot(t, dir)
	for _, name := range []string{".ferry/build/orders", "locks/prod.lock", "locks/stage.lock", "../outside/x", "/tmp/x"} {
		if err := r.WriteFile(name, []byte("PLANTED"), 0o755); !errors.Is(err, ErrOutside) || !strings.HasPrefix(err.Error(), name+": write") {
			t.Errorf("WriteFile(%s) = %v, want a refusal naming it", name, err)
		}
	}
	if err := r.MkdirAll(".ferry/build/x", 0o700); !errors.Is(err, ErrOutside) {
		t.Errorf("MkdirAll through a link out = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "secret.txt")); string(b) != "OUTSIDE-CANARY\n" {
		t.Errorf("outside file changed: %q", b)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 {
		t.Errorf("files written outside: %v", ents)
	}
	// Links that stay inside are followed for writes too.
	if err := r.WriteFile("bin/orders", []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "build-out", "orders")); err != nil {
		t.Error(err)
	}
	if err := r.MkdirAll("a/b/c", 0o700); err != nil {
		t.Fatal(err)
	}
}

func TestWalkDir(t *testing.T) {
	dir, _ := tree(t, map[string]string{
		"chart/Chart.yaml":         "name: x\n",
		"chart/templates/cm.yaml":  "kind: ConfigMap\n",
		"chart/templates/shared":   "->../../shared",
		"shared/_helpers.tpl":      "x\n",
		"shared/loop":              "->../shared",
		"chart/templates/out.yaml": "->../../../outside/secret.txt",
		"chart/files/outdir":       "->{out}",
	})
	r := openRoot(t, dir)
	var files, refused []string
	err := r.WalkDir("chart", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, ErrOutside) || !strings.HasPrefix(err.Error(), p+":") {
				t.Errorf("walk error at %s = %v", p, err)
			}
			refused = append(refused, p)
			return nil
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"chart/Chart.yaml", "chart/templates/cm.yaml", "chart/templates/shared/_helpers.tpl"}
	if !slices.Equal(files, wantFiles) {
		t.Errorf("files = %v, want %v", files, wantFiles)
	}
	if want := []string{"chart/files/outdir", "chart/templates/out.yaml"}; !slices.Equal(refused, want) {
		t.Errorf("refused = %v, want %v", refused, want)
	}
	// Returning the refusal stops the walk with it, as a loader should.
	err = r.WalkDir("chart", func(p string, d fs.DirEntry, err error) error { return err })
	if !errors.Is(err, ErrOutside) || !strings.HasPrefix(err.Error(), "chart/files/outdir: ") {
		t.Errorf("WalkDir = %v", err)
	}
	if err := r.WalkDir("../outside", func(p string, d fs.DirEntry, err error) error { return err }); !errors.Is(err, ErrOutside) {
		t.Errorf("WalkDir(../outside) = %v", err)
	}
}

func TestFS(t *testing.T) {
	dir, _ := tree(t, map[string]string{
		"chart/Chart.yaml":        "name: x\n",
		"chart/templates/cm.yaml": "kind: ConfigMap\n",
		"chart/files/app.ini":     "[db]\nhost = db\n",
		"chart/files/leak":        "->../../../outside/secret.txt",
	})
	r := openRoot(t, dir)
	chart, err := fs.Sub(r.FS(), "chart")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(chart, "files/app.ini"); err != nil || !strings.Contains(string(b), "host = db") {
		t.Errorf("ReadFile(files/app.ini) = %q, %v", b, err)
	}
	for _, name := range []string{"files/leak", "../ferry.yaml", "/etc/hostname"} {
		if _, err := fs.ReadFile(chart, name); !errors.Is(err, ErrOutside) {
			t.Errorf("chart ReadFile(%s) = %v, want a refusal", name, err)
		}
	}
	if _, err := r.FS().(fs.SubFS).Sub("../outside"); !errors.Is(err, ErrOutside) {
		t.Errorf("Sub(../outside) = %v", err)
	}
	templates, err := fs.Sub(chart, "templates")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(templates, "cm.yaml"); err != nil {
		t.Error(err)
	}
}

func TestFerry(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		setup func(t *testing.T, dir string)
		want  string // substring of the refusal; "" for success
	}{
		{name: "created", files: map[string]string{"ferry.yaml": ""}},
		{name: "existing, tightened", files: map[string]string{".ferry/state.db": "x"}, setup: func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, ".ferry"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "symlink out", files: map[string]string{".ferry": "->{out}"}, want: ".ferry: is a symbolic link"},
		{name: "symlink inside", files: map[string]string{".ferry": "->state", "state/x": ""}, want: ".ferry: is a symbolic link"},
		{name: "plain file", files: map[string]string{".ferry": "planted\n"}, want: ".ferry: is a file, not the directory"},
		{name: "another user's", files: map[string]string{".ferry/x": ""}, setup: func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("chown to another user needs root") // CI runs as root in its container
			}
			if err := os.Chown(filepath.Join(dir, ".ferry"), 12345, 12345); err != nil {
				t.Fatal(err)
			}
		}, want: ".ferry: belongs to user 12345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out := tree(t, tt.files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			r := openRoot(t, dir)
			f, err := r.Ferry()
			if tt.want != "" {
				if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Ferry = %v, want %q", err, tt.want)
				}
				if ents, _ := os.ReadDir(out); len(ents) != 1 {
					t.Errorf("wrote outside: %v", ents)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, err := os.Lstat(filepath.Join(dir, ".ferry"))
			if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
				t.Errorf(".ferry = %v, %v; want a 0700 directory", fi, err)
			}
			if err := f.WriteFile("serve.token", []byte("t"), 0o600); err != nil {
				t.Fatal(err)
			}
			if f.Dir() != filepath.Join(dir, ".ferry") {
				t.Errorf("Dir = %s", f.Dir())
			}
		})
	}
}

// TestFerryLinks: inside .ferry/, a link that leaves .ferry is refused
// even when it points into the project: a committed lock file linked to
// main.go would otherwise be truncated by deploy.
func TestFerryLinks(t *testing.T) {
	dir, _ := tree(t, map[string]string{
		"main.go":                "package main\n",
		".ferry/locks/prod.lock": "->../../main.go",
		".ferry/build":           "->../bin",
		"bin/.keep":              "",
	})
	r := openRoot(t, dir)
	f, err := r.Ferry()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WriteFile("locks/prod.lock", nil, 0o600); !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), "locks/prod.lock is a symbolic link to ../../main.go") {
		t.Errorf("WriteFile(lock) = %v", err)
	}
	if err := f.MkdirAll("build", 0o700); !errors.Is(err, ErrOutside) {
		t.Errorf("MkdirAll(build) = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "main.go")); string(b) != "package main\n" {
		t.Errorf("main.go truncated: %q", b)
	}
}

func TestFiles(t *testing.T) {
	dir, _ := tree(t, map[string]string{
		"chart/Chart.yaml":                 "name: orders\n",
		"chart/templates/cm.yaml":          "kind: ConfigMap\n",
		"chart/templates/_helpers.tpl":     "->../../shared/_helpers.tpl",
		"shared/_helpers.tpl":              "{{ define \"x\" }}{{ end }}\n",
		"evil/chart/Chart.yaml":            "name: evil\n",
		"evil/chart/files/passwd":          "->{out}/secret.txt",
		"big/chart/values.yaml":            strings.Repeat("k: v\n", 300),
		"big/chart/charts/sub/values.yaml": strings.Repeat("k: v\n", 300),
	})
	r := openRoot(t, dir)
	files, err := r.Files("chart", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if want := []string{"Chart.yaml", "templates/_helpers.tpl", "templates/cm.yaml"}; !slices.Equal(names, want) {
		t.Errorf("Files = %v, want %v", names, want)
	}
	if string(files[1].Data) != "{{ define \"x\" }}{{ end }}\n" {
		t.Errorf("linked helper = %q", files[1].Data)
	}
	if _, err := r.Files("evil/chart", 1<<20); !errors.Is(err, ErrOutside) || !strings.HasPrefix(err.Error(), "evil/chart/files/passwd: ") {
		t.Errorf("Files(evil) = %v, want the link named", err)
	}
	// The bound covers the whole tree, subcharts included.
	if _, err := r.Files("big/chart", 2000); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Files(big, 2000 bytes) = %v, want the limit", err)
	}
	if err := syscallMkfifo(filepath.Join(dir, "chart", "templates", "fifo.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Files("chart", 1<<20); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "chart/templates/fifo.yaml: is not a regular file") {
		t.Errorf("Files with a FIFO = %v", err)
	}
}

// TestFIFONeverBlocks: a FIFO planted where a values file or a template
// is expected is refused at once, not waited on.
func TestFIFONeverBlocks(t *testing.T) {
	dir, _ := tree(t, map[string]string{"chart/Chart.yaml": "name: x\n", "values-prod.yaml": "->chart/fifo"})
	if err := syscallMkfifo(filepath.Join(dir, "chart", "fifo")); err != nil {
		t.Fatal(err)
	}
	r := openRoot(t, dir)
	done := make(chan error, 1)
	go func() {
		_, err := r.ReadFile("values-prod.yaml")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "values-prod.yaml: is not a regular file") {
			t.Errorf("ReadFile(FIFO) = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO")
	}
	// fs.Glob of "*/x.yaml" lists every match of "*", FIFOs included
	// (discovery's CI globs did, and hung on a FIFO go.mod).
	go func() {
		_, err := fs.Glob(r.FS(), "*/*.yaml")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Glob past a FIFO = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Glob blocked on a FIFO")
	}
}

// TestEntries: a directory's entries by name and type as the directory
// records them: links are links (in or out, never followed), sorted; a
// directory that leads out is refused like any path.
func TestEntries(t *testing.T) {
	dir, _ := tree(t, map[string]string{
		"chart/values.yaml":     "a: 1\n",
		"chart/templates/x.yml": "kind: x\n",
		"chart/charts/redis":    "->{out}",
		"chart/shared":          "->../shared",
		"shared/h.tpl":          "x\n",
		"linked":                "->{out}",
	})
	r := openRoot(t, dir)
	entries, err := r.Entries("chart")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name()+" "+e.Type().String())
	}
	if want := []string{"charts d---------", "shared L---------", "templates d---------", "values.yaml ----------"}; !slices.Equal(got, want) {
		t.Errorf("Entries(chart) = %q, want %q", got, want)
	}
	if sub, err := r.Entries("chart/charts"); err != nil || len(sub) != 1 || sub[0].Type()&fs.ModeSymlink == 0 {
		t.Errorf("Entries(chart/charts) = %v, %v: want the link redis, not followed", sub, err)
	}
	for _, name := range []string{"linked", "../outside", "chart/shared"} {
		_, err := r.Entries(name)
		if want := name != "chart/shared"; errors.Is(err, ErrOutside) != want {
			t.Errorf("Entries(%s) = %v, refused as outside: want %v", name, err, want)
		}
	}
}
