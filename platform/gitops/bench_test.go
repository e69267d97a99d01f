package gitops

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// The cost of a promotion's git side (render, pin, write, commit, push
// from a fresh in-memory clone) against a raw `git commit && git push`
// of the same files from a checkout that already exists. Each iteration
// alternates two digests so every one is a real commit. The engine's
// apply time, the other term of issue 21's ratio, is the engine's own
// and the same either way.
//
//	go test -run '^$' -bench . -benchtime 20x ./platform/gitops
func BenchmarkPromoteCommit(b *testing.B) {
	ctx := context.Background()
	p := exampleProject(b, "unused")
	env, _ := p.Env("prod")
	r := &Repo{URL: bareRepo(b), Branch: "main"}
	digests := []string{digestA, digestB}
	b.ResetTimer()
	for i := range b.N {
		files, err := Manifests(ctx, p, env, "orders-api", Meta{Environment: "prod", Revision: i + 1, Digest: digests[i%2]})
		if err != nil {
			b.Fatal(err)
		}
		c, err := r.Write(ctx, Change{Dir: "clusters/prod/orders-api", Files: files, Message: "promote",
			Author: object.Signature{Name: "ferry", Email: "ferry@localhost", When: time.Now()}})
		if err != nil || !c.Changed {
			b.Fatal(c, err)
		}
	}
}

func BenchmarkRawGitCommitPush(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("no git on PATH")
	}
	ctx := context.Background()
	p := exampleProject(b, "unused")
	env, _ := p.Env("prod")
	work, git := rawClone(b, bareRepo(b))
	// The same files ferry writes, rendered once outside the timing.
	var sets []Files
	for i, d := range []string{digestA, digestB} {
		files, err := Manifests(ctx, p, env, "orders-api", Meta{Environment: "prod", Revision: i + 1, Digest: d})
		if err != nil {
			b.Fatal(err)
		}
		sets = append(sets, files)
	}
	dir := filepath.Join(work, "clusters", "prod", "orders-api")
	b.ResetTimer()
	for i := range b.N {
		rawCommitPush(b, git, dir, sets[i%2], fmt.Sprintf("promote %d", i))
	}
}

// rawClone makes a git checkout whose origin is remote, as a CI job
// has, and returns it with a function that runs git in it.
func rawClone(b *testing.B, remote string) (string, func(...string)) {
	b.Helper()
	work := filepath.Join(b.TempDir(), "work")
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", work, "-c", "user.name=ci", "-c", "user.email=ci@localhost"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if out, err := exec.Command("git", "init", "-q", "-b", "main", work).CombinedOutput(); err != nil {
		b.Fatalf("git init: %v\n%s", err, out)
	}
	git("remote", "add", "origin", remote)
	return work, git
}

// rawCommitPush replaces dir with files and runs git add, commit, push.
func rawCommitPush(b *testing.B, git func(...string), dir string, files Files, msg string) {
	b.Helper()
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for n, data := range files {
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git("add", "-A")
	git("commit", "-q", "-m", msg)
	git("push", "-q", "origin", "main")
}
