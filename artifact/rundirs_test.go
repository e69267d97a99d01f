package artifact

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestBuildPacksRunDirs builds a service that reads migrations/ (through
// golang-migrate's "file://migrations"), templates/mail/*.tmpl, ./db/seed
// and http.Dir("public") at start-up, and runs the image's binary in the
// image's working directory as a container would: it must find them all.
// Not packed: the embedded static/, the Go package db/ around the seeds,
// the chart deploy/chart (named in a log line), docs-src/ (a bare word
// outside a call that opens files) and a path to nothing (docs/schema).
func TestBuildPacksRunDirs(t *testing.T) {
	p := migrator(t)
	dir := p.Dir
	s := NewStore(p.Dir)
	img, err := Build(t.Context(), p, s, BuildOptions{Revision: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`db/seed/ (main.go:36 "./db/seed")`, `migrations/ (main.go:23 "file://migrations")`, `public/ (main.go:44 "public")`, `templates/mail/ (main.go:31 "templates/mail/*.tmpl")`}
	if !slices.Equal(img.Packed, want) {
		t.Errorf("packed %q, want %q", img.Packed, want)
	}
	if len(img.Warnings) != 0 {
		t.Errorf("warnings %q", img.Warnings)
	}
	root, err := s.Unpack(img.Digest, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, "app")
	for _, f := range []string{"migrations/0002_currency.up.sql", "templates/mail/receipt.tmpl", "db/seed/accounts.csv", "public/index.html", "configs/.env"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("the image lacks %s: %v", f, err)
		}
	}
	for _, f := range []string{"static", "db/db.go", "docs-src", "deploy", "main.go"} {
		if _, err := os.Stat(filepath.Join(work, f)); err == nil {
			t.Errorf("the image carries %s", f)
		}
	}
	cmd := exec.CommandContext(t.Context(), filepath.Join(work, "migrator"))
	cmd.Dir = work
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "migrations 2, templates 1, seeds 1, css 34 bytes") {
		t.Errorf("the image's service: %v\n%s", err, out)
	}
	// A new migration is a new image; an unchanged tree the same one.
	again, err := Build(t.Context(), p, s, BuildOptions{Revision: "r1"})
	if err != nil || again.Digest != img.Digest || !slices.Equal(again.Packed, want) {
		t.Errorf("rebuild: %v, %s, packed %q; want %s", err, again.Digest, again.Packed, img.Digest)
	}
	os.WriteFile(filepath.Join(dir, "migrations", "0003_index.up.sql"), []byte("CREATE INDEX ON accounts (owner);\n"), 0o644)
	next, err := Build(t.Context(), p, s, BuildOptions{Revision: "r1"})
	if err != nil || next.Digest == img.Digest {
		t.Errorf("a new migration kept the digest %s (%v)", img.Digest, err)
	}
}

// TestRunDirTooLarge: a directory over the bound is not packed, and the
// build says why and what to do.
func TestRunDirTooLarge(t *testing.T) {
	p := migrator(t)
	big := make([]byte, maxRunDir+1)
	if err := os.WriteFile(filepath.Join(p.Dir, "db", "seed", "ledger.csv"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Build(t.Context(), p, NewStore(p.Dir), BuildOptions{Revision: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Warnings) != 1 || !strings.Contains(img.Warnings[0], `db/seed/ is read at run time (main.go:36 "./db/seed") but not packed into the image: 33 MiB is over the 32 MiB bound`) {
		t.Errorf("warnings %q", img.Warnings)
	}
	if slices.ContainsFunc(img.Packed, func(s string) bool { return strings.HasPrefix(s, "db/seed/") }) || len(img.Packed) != 3 {
		t.Errorf("packed %q", img.Packed)
	}
}

// migrator copies testdata/migrator, a service that reads directories at
// run time, into a temp dir: builds write .ferry/ into it.
func migrator(t *testing.T) *project.Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/migrator")); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
