package artifact

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferrydev/ferry/project"
)

// svcProject copies the stand-in service into a temp dir: builds write
// .ferry/ into the project directory.
func svcProject(t *testing.T) *project.Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildIsReproducible(t *testing.T) {
	p := svcProject(t)
	s := NewStore(p.Dir)
	ctx := t.Context()
	first, err := Build(ctx, p, s, BuildOptions{Revision: "abc123"})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	// Touch every file: mtimes must not reach the digest.
	_ = filepath.Walk(p.Dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			now := info.ModTime().Add(3600e9)
			_ = os.Chtimes(path, now, now)
		}
		return nil
	})
	second, err := Build(ctx, p, NewStore(t.TempDir()), BuildOptions{Revision: "abc123"})
	if err != nil {
		t.Fatalf("second Build: %v", err)
	}
	if first.Digest != second.Digest || first.BinaryDigest != second.BinaryDigest {
		t.Errorf("same source built twice: %s then %s, want equal digests", first.Digest, second.Digest)
	}
	if !strings.HasPrefix(first.Digest, "sha256:") || len(first.Digest) != 71 {
		t.Errorf("digest %q is not a sha256 digest", first.Digest)
	}
	// A change of source changes the digest.
	src := filepath.Join(p.Dir, "main.go")
	data, _ := os.ReadFile(src)
	os.WriteFile(src, []byte(strings.Replace(string(data), `version = "1"`, `version = "2"`, 1)), 0o644)
	third, err := Build(ctx, p, s, BuildOptions{Revision: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	if third.Digest == first.Digest {
		t.Errorf("changed source kept digest %s", first.Digest)
	}
	// The last build resolves by default; an earlier one by digest prefix.
	got, err := s.Resolve("")
	if err != nil || got.Digest != third.Digest {
		t.Errorf("Resolve(\"\") = %v, %v, want %s", got, err, third.Digest)
	}
	got, err = s.Resolve(first.Digest[:19])
	if err != nil || got.Digest != first.Digest || got.Revision != "abc123" {
		t.Errorf("Resolve(prefix) = %+v, %v, want %s revision abc123", got, err, first.Digest)
	}
	if _, err := s.Resolve("nope"); !errors.Is(err, ErrUnknownArtifact) {
		t.Errorf("Resolve(nope) = %v, want ErrUnknownArtifact", err)
	}
}

func TestTagsAndUnpack(t *testing.T) {
	p := svcProject(t)
	s := NewStore(p.Dir)
	ctx := t.Context()
	a, err := Build(ctx, p, s, BuildOptions{Tag: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	// Same digest, same tag: fine.
	if _, err := Build(ctx, p, s, BuildOptions{Tag: "1.0.0"}); err != nil {
		t.Errorf("rebuild with same tag: %v", err)
	}
	os.WriteFile(filepath.Join(p.Dir, "configs", ".env"), []byte("APP_NAME=other\n"), 0o644)
	if _, err := Build(ctx, p, s, BuildOptions{Tag: "1.0.0"}); !errors.Is(err, ErrTagMoved) {
		t.Fatalf("tag to another digest = %v, want ErrTagMoved", err)
	}
	b, err := Build(ctx, p, s, BuildOptions{Tag: "1.0.0", Force: true})
	if err != nil {
		t.Fatalf("--force: %v", err)
	}
	got, err := s.Resolve("1.0.0")
	if err != nil || got.Digest != b.Digest || got.Digest == a.Digest {
		t.Errorf("Resolve(1.0.0) after --force = %v, %v, want %s", got, err, b.Digest)
	}
	// The image the tag left is still there, by digest: an environment
	// may run it and roll back to it.
	if old, err := s.Resolve(a.Digest); err != nil || old.Digest != a.Digest {
		t.Errorf("Resolve(%s) after the tag moved = %v, %v", a.Digest, old, err)
	}
	// index.json was replaced, never left beside a temp file.
	if tmps, _ := filepath.Glob(filepath.Join(s.Dir, ".index.json-*")); len(tmps) != 0 {
		t.Errorf("temp index files left: %v", tmps)
	}
	root, err := s.Unpack(b.Digest, t.TempDir())
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	env, err := os.ReadFile(filepath.Join(root, "app", "configs", ".env"))
	if err != nil || string(env) != "APP_NAME=other\n" {
		t.Errorf("unpacked configs/.env = %q, %v", env, err)
	}
	d, err := FileDigest(filepath.Join(root, "app", "svc"))
	if err != nil || d != b.BinaryDigest {
		t.Errorf("unpacked binary digest %s, want %s", d, b.BinaryDigest)
	}
}

func TestPush(t *testing.T) {
	p := svcProject(t)
	s := NewStore(p.Dir)
	ctx := context.Background()
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	a, err := Build(ctx, p, s, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/orders-api:1.0.0"
	if err := s.Push(ctx, a.Digest, ref, false); err != nil {
		t.Fatalf("Push: %v", err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil || desc.Digest.String() != a.Digest {
		t.Fatalf("registry has %v, %v, want %s", desc, err, a.Digest)
	}
	os.WriteFile(filepath.Join(p.Dir, "configs", ".env"), []byte("APP_NAME=other\n"), 0o644)
	b, err := Build(ctx, p, s, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx, b.Digest, ref, false); !errors.Is(err, ErrTagMoved) {
		t.Errorf("Push over another digest = %v, want ErrTagMoved", err)
	}
	if err := s.Push(ctx, b.Digest, ref, true); err != nil {
		t.Errorf("Push --force: %v", err)
	}
	desc, _ = remote.Head(r)
	if desc == nil || desc.Digest.String() != b.Digest {
		t.Errorf("after --force the registry has %v, want %s", desc, b.Digest)
	}
}

// TestNoOpBuild: a build with nothing changed reuses the stored image
// (go build leaves the binary untouched) and still records its tag;
// a changed config file, a pruned image or a new revision packages anew.
func TestNoOpBuild(t *testing.T) {
	p := svcProject(t)
	s := NewStore(p.Dir)
	ctx := t.Context()
	first, err := Build(ctx, p, s, BuildOptions{Revision: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(p.Dir, ".ferry", "build", "svc")
	if _, err := os.Stat(bin + ".stamp"); err != nil {
		t.Fatalf("no stamp: %v", err)
	}
	want, err := exec.Command("go", "tool", "buildid", bin).Output()
	if id, err2 := buildID(bin); err != nil || err2 != nil || id != strings.TrimSpace(string(want)) {
		t.Errorf("build ID %q (%v), go tool buildid says %q (%v)", id, err2, want, err)
	}
	again, err := Build(ctx, p, s, BuildOptions{Revision: "r1", Tag: "1.0.0"})
	if err != nil || again.Digest != first.Digest || again.BinaryDigest != first.BinaryDigest || again.Tag != "1.0.0" {
		t.Fatalf("no-op build = %+v, %v, want %s tagged 1.0.0", again, err, first.Digest)
	}
	if got, err := s.Resolve("1.0.0"); err != nil || got.Digest != first.Digest {
		t.Errorf("tag of a no-op build: %v, %v", got, err)
	}
	// Stored says whether there is anything new to prune: the first
	// build and the tag are; a repeat with the same tag is not.
	if !first.Stored || !again.Stored {
		t.Errorf("Stored: first build %v, new tag %v; want both true", first.Stored, again.Stored)
	}
	if same, err := Build(ctx, p, s, BuildOptions{Revision: "r1", Tag: "1.0.0"}); err != nil || same.Stored || same.Digest != first.Digest {
		t.Errorf("repeated no-op build = %+v, %v; want %s, not Stored", same, err, first.Digest)
	}

	env := filepath.Join(p.Dir, "configs", ".env")
	orig, _ := os.ReadFile(env)
	os.WriteFile(env, []byte("APP_NAME=other\n"), 0o644)
	changed, err := Build(ctx, p, s, BuildOptions{Revision: "r1"})
	if err != nil || changed.Digest == first.Digest || !changed.Stored {
		t.Fatalf("changed configs: %+v, %v, want a new digest, Stored", changed, err)
	}
	if rev, err := Build(ctx, p, s, BuildOptions{Revision: "r2"}); err != nil || rev.Digest == changed.Digest {
		t.Errorf("new revision: %+v, %v, want a new digest", rev, err)
	}

	// The image is taken from the stamp: one naming another stored image
	// (which only a bug could write) is believed, one naming a pruned
	// image is not.
	os.WriteFile(env, orig, 0o644)
	forged, _ := os.ReadFile(bin + ".stamp")
	if _, err := Build(ctx, p, s, BuildOptions{Revision: "r1"}); err != nil {
		t.Fatal(err)
	}
	stamp, _ := os.ReadFile(bin + ".stamp")
	os.WriteFile(bin+".stamp", []byte(strings.Replace(string(stamp), first.Digest, changed.Digest, 1)), 0o644)
	if got, err := Build(ctx, p, s, BuildOptions{Revision: "r1"}); err != nil || got.Digest != changed.Digest {
		t.Errorf("the stamp was not read: %+v, %v", got, err)
	}
	os.WriteFile(bin+".stamp", forged, 0o644)
	if _, err := s.Prune(PruneOptions{Keep: 0}); err != nil {
		t.Fatal(err)
	}
	back, err := Build(ctx, p, s, BuildOptions{Revision: "r1"})
	if err != nil || back.Digest != first.Digest {
		t.Fatalf("rebuild after prune = %+v, %v, want %s", back, err, first.Digest)
	}
	if _, err := s.Unpack(back.Digest, t.TempDir()); err != nil {
		t.Errorf("rebuilt image: %v", err)
	}
}

// TestBuildModuleInSubdirectory: a repository that keeps its Go module in
// go/ beside the rest builds with main: go, from inside the module; with
// the default main (the root, which has no go.mod) the error names the
// module and the setting rather than only go's "go.mod file not found".
func TestBuildModuleInSubdirectory(t *testing.T) {
	dir := t.TempDir()
	svc := filepath.Join(dir, "go")
	if err := os.CopyFS(svc, os.DirFS("../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(svc, "configs"), filepath.Join(dir, "configs")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(svc, "ferry.yaml"))
	write := func(main string) *project.Project {
		t.Helper()
		y := "service: svc\nmain: " + main + "\n"
		if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := project.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// In a git checkout go words it differently; the hint is the same.
	for _, git := range []bool{false, true} {
		if git {
			if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, ".git", "config"), nil, 0o644)
		}
		_, err := Build(t.Context(), write("."), NewStore(dir), BuildOptions{Revision: "abc123"})
		if err == nil || !strings.Contains(err.Error(), "go/go.mod is one") || !strings.Contains(err.Error(), "(main: go)") {
			t.Fatalf("Build with main . (git %v) = %v, want the error to name go/go.mod and main: go", git, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("the error is not one line: %q", err)
		}
	}

	img, err := Build(t.Context(), write("go"), NewStore(dir), BuildOptions{Revision: "abc123"})
	if err != nil {
		t.Fatalf("Build with main go: %v", err)
	}
	if !strings.HasPrefix(img.Digest, "sha256:") {
		t.Errorf("digest %q", img.Digest)
	}
}
