package gitops

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Issue 21's overhead target, with the real engine: a ferry deploy
// (gates, render, pin, commit, push, wait for Flux, verify) against a raw
// `git commit && git push` of the same manifests followed by the same
// wait for Flux to report the commit applied and the pods on the digest.
// Each iteration switches between two builds, so each is a real change.
//
//	CI=true go test -run '^$' -bench Flux -benchtime 4x ./platform/gitops
func BenchmarkDeployThroughFlux(b *testing.B) {
	fe := startFlux(b)
	d := []string{fe.build(b, "1.0.0"), fe.build(b, "1.1.0")}
	tags := []string{"1.0.0", "1.1.0"}
	if _, err := fe.deploy(b, "staging", tags[1], "bench"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		rev, err := fe.deploy(b, "staging", tags[i%2], "bench")
		if err != nil || rev.Digest != d[i%2] {
			b.Fatal(rev, err)
		}
	}
}

func BenchmarkRawPushThroughFlux(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("no git on PATH")
	}
	fe := startFlux(b)
	ctx := context.Background()
	d := []string{fe.build(b, "1.0.0"), fe.build(b, "1.1.0")}
	tgt := New(mustProject(b, fe.dir), fe.c.Kubeconfig)
	env, _ := tgt.p.Env("staging")
	set, _, err := tgt.Settings("staging")
	if err != nil {
		b.Fatal(err)
	}
	var sets []Files
	for i, dg := range d {
		files, err := Manifests(ctx, tgt.p, env, "orders-api", Meta{Environment: "staging", Revision: i + 1, Digest: dg})
		if err != nil {
			b.Fatal(err)
		}
		sets = append(sets, files)
	}
	work, git := rawClone(b, fe.url)
	dir := filepath.Join(work, set.Directory)
	push := func(i int) string {
		rawCommitPush(b, git, dir, sets[i%2], "raw push")
		out, err := exec.Command("git", "-C", work, "rev-parse", "HEAD").Output()
		if err != nil {
			b.Fatal(err)
		}
		return string(out[:40])
	}
	wait := func(i int, commit string) {
		if _, err := tgt.await(ctx, env, set, sets[i%2], commit, d[i%2], 2*time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	wait(1, push(1))
	b.ResetTimer()
	for i := range b.N {
		wait(i, push(i))
	}
}
