package gitops

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"sigs.k8s.io/yaml"
)

func change(t testing.TB, env, digest string, rev int) Change {
	t.Helper()
	p := exampleProject(t, "unused")
	e, err := p.Env(env)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Manifests(context.Background(), p, e, "orders-api", Meta{Environment: env, Revision: rev, Action: "deploy", Digest: digest, Tag: "1.4.2", By: "alice@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	return Change{Dir: "clusters/" + env + "/orders-api", Files: files, Message: "deploy " + env,
		Author: object.Signature{Name: "ferry-bot", Email: "ferry-bot@example.com", When: time.Unix(1_800_000_000, 0)}}
}

func TestManifestsPinnedOneFilePerObject(t *testing.T) {
	ch := change(t, "staging", digestA, 3)
	want := []string{"configmap-orders-api-config.yaml", "deployment-orders-api.yaml", "ferry.json", "service-orders-api.yaml"}
	if got := ch.Files.Names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files = %v, want %v", got, want)
	}
	var dep struct {
		Metadata struct{ Namespace string }
		Spec     struct {
			Template struct {
				Spec struct{ Containers []struct{ Image string } }
			}
		}
	}
	if err := yaml.Unmarshal(ch.Files["deployment-orders-api.yaml"], &dep); err != nil {
		t.Fatal(err)
	}
	if img := dep.Spec.Template.Spec.Containers[0].Image; img != "orders-api@"+digestA {
		t.Errorf("image = %q, want it pinned to the digest", img)
	}
	if dep.Metadata.Namespace != "staging" {
		t.Errorf("namespace = %q, want the environment's", dep.Metadata.Namespace)
	}
	meta := string(ch.Files[MetaFile])
	for _, s := range []string{`"digest": "` + digestA, `"image": "orders-api@` + digestA, `"tag": "1.4.2"`, `"revision": 3`, `"by": "alice@laptop"`} {
		if !strings.Contains(meta, s) {
			t.Errorf("ferry.json lacks %s:\n%s", s, meta)
		}
	}
	if strings.Contains(meta, "20") && strings.Contains(meta, "T") && strings.Contains(meta, ":00Z") {
		t.Errorf("ferry.json has a timestamp:\n%s", meta)
	}
}

// Same inputs, same tree: two fresh repositories get the same directory
// hash, and writing it again makes no commit.
func TestWriteReproducibleAndIdempotent(t *testing.T) {
	ctx := context.Background()
	ch := change(t, "staging", digestA, 1)
	var trees []string
	for range 2 {
		r := &Repo{URL: bareRepo(t), Branch: "main"}
		c, err := r.Write(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Changed {
			t.Fatal("first write made no commit")
		}
		trees = append(trees, c.Tree)
		again, err := r.Write(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		if again.Changed || again.Hash != c.Hash {
			t.Errorf("second write = %+v, want no commit and head %s", again, c.Hash)
		}
		// A re-render of the same digest (a new revision number, someone
		// else) changes only ferry.json: still no commit.
		ch2 := change(t, "staging", digestA, 2)
		if c3, err := r.Write(ctx, ch2); err != nil || c3.Changed {
			t.Errorf("write with only ferry.json changed = %+v, %v; want no commit", c3, err)
		}
		log, err := r.Log(ctx, ch.Dir, 0)
		if err != nil || len(log) != 1 || log[0].Meta == nil || log[0].Meta.Digest != digestA {
			t.Errorf("log = %+v, %v; want one commit with ferry.json", log, err)
		}
	}
	if trees[0] != trees[1] {
		t.Errorf("same inputs gave trees %s and %s", trees[0], trees[1])
	}
	if other := change(t, "staging", digestB, 1); other.Files["deployment-orders-api.yaml"] == nil {
		t.Fatal("no deployment")
	} else if c, err := (&Repo{URL: bareRepo(t), Branch: "main"}).Write(ctx, other); err != nil || c.Tree == trees[0] {
		t.Errorf("another digest gave tree %v (%v), the same as the first", c, err)
	}
}

// Two ferries promote at once: the second push is rejected. Over a
// commit to another environment's directory it rebases once; over one
// to its own it refuses, naming the commit.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	url := bareRepo(t)
	staging := change(t, "staging", digestA, 1)
	prod := change(t, "prod", digestA, 1)
	if _, err := (&Repo{URL: url, Branch: "main"}).Write(ctx, staging); err != nil {
		t.Fatal(err)
	}

	// Another ferry pushes prod between our commit and our push.
	var otherCommit string
	r := &Repo{URL: url, Branch: "main", beforePush: func() {
		c, err := (&Repo{URL: url, Branch: "main"}).Write(ctx, prod)
		if err != nil {
			t.Fatal(err)
		}
		otherCommit = c.Hash
	}}
	c, err := r.Write(ctx, change(t, "staging", digestB, 2))
	if err != nil {
		t.Fatalf("write over another environment's commit: %v", err)
	}
	if c.Rebased != otherCommit {
		t.Errorf("rebased onto %q, want %q", c.Rebased, otherCommit)
	}
	for _, dir := range []string{staging.Dir, prod.Dir} {
		if log, err := (&Repo{URL: url, Branch: "main"}).Log(ctx, dir, 0); err != nil || len(log) == 0 {
			t.Errorf("%s lost its history after the rebase: %v %v", dir, log, err)
		}
	}

	// Now both write staging: the second refuses.
	prod2 := change(t, "staging", digestA, 3)
	prod2.Message = "hotfix staging"
	r = &Repo{URL: url, Branch: "main", beforePush: func() {
		c, err := (&Repo{URL: url, Branch: "main"}).Write(ctx, prod2)
		if err != nil {
			t.Fatal(err)
		}
		otherCommit = c.Hash
	}}
	_, err = r.Write(ctx, change(t, "staging", digestA, 4))
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Commit != otherCommit || !strings.Contains(err.Error(), "hotfix staging") {
		t.Fatalf("err = %v, want a conflict naming %s", err, otherCommit)
	}
	log, _ := (&Repo{URL: url, Branch: "main"}).Log(ctx, staging.Dir, 1)
	if len(log) != 1 || log[0].Commit != otherCommit {
		t.Errorf("staging head = %+v, want the other ferry's commit only", log)
	}
}

// With a signing key, the commit carries an OpenPGP signature that
// verifies against the public key.
func TestWriteSigned(t *testing.T) {
	ent, err := openpgp.NewEntity("ferry-bot", "", "ferry-bot@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := ent.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ch := change(t, "staging", digestA, 1)
	ch.SignKey = ent
	r := &Repo{URL: bareRepo(t), Branch: "main"}
	c, err := r.Write(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := r.clone(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(plumbing.NewHash(c.Hash))
	if err != nil {
		t.Fatal(err)
	}
	if commit.PGPSignature == "" {
		t.Fatal("the commit is not signed")
	}
	if _, err := commit.Verify(pub.String()); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}
