package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

func TestReviewBranch(t *testing.T) {
	tests := []struct {
		env    string
		rev    int
		digest string
		want   string
	}{
		{"prod", 7, digestA, "ferry/prod/revision-7-a3c1e04ab1a0"},
		{"eu-west-prod", 12, digestB, "ferry/eu-west-prod/revision-12-b7f02e9d4c1a"},
		// Another ferry's revision 7 of another digest: another branch.
		{"prod", 7, digestB, "ferry/prod/revision-7-b7f02e9d4c1a"},
	}
	for _, tt := range tests {
		if got := ReviewBranch(tt.env, tt.rev, tt.digest); got != tt.want {
			t.Errorf("ReviewBranch(%s, %d, %s) = %s, want %s", tt.env, tt.rev, short(tt.digest), got, tt.want)
		}
		if strings.ContainsAny(ReviewBranch(tt.env, tt.rev, tt.digest), " ~^:?*[\\") {
			t.Errorf("%s is no valid branch name", ReviewBranch(tt.env, tt.rev, tt.digest))
		}
	}
}

// reviewerMerge merges branch into base of the repository at url as a
// reviewer does on a forge, with go-git: a merge commit whose parents
// are base and branch, with branch's tree (base has not moved since the
// branch was cut, or the forge would not offer the merge), pushed to
// base; then the branch is deleted. It returns the merge commit.
func reviewerMerge(t testing.TB, url, base, branch string) string {
	t.Helper()
	repo := cloneAll(t, url, base)
	ref := func(b string) *object.Commit {
		r, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", b), true)
		if err != nil {
			t.Fatalf("branch %s: %v", b, err)
		}
		c, err := repo.CommitObject(r.Hash())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	into, from := ref(base), ref(branch)
	if ok, err := into.IsAncestor(from); err != nil || !ok {
		t.Fatalf("%s moved since %s was cut (%v): the forge would ask for a rebase", base, branch, err)
	}
	who := object.Signature{Name: "rita reviewer", Email: "rita@example.com", When: time.Now()}
	m := &object.Commit{Author: who, Committer: who, Message: fmt.Sprintf("Merge branch '%s'\n", branch),
		TreeHash: from.TreeHash, ParentHashes: []plumbing.Hash{into.Hash, from.Hash}}
	obj := repo.Storer.NewEncodedObject()
	if err := m.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(base), h)); err != nil {
		t.Fatal(err)
	}
	deleteBranch(t, repo, branch, config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", base, base)))
	return h.String()
}

// cloneAll clones every branch of url into memory, checking out none
// (the bare repository's HEAD names no branch ferry made).
func cloneAll(t testing.TB, url, head string) *git.Repository {
	t.Helper()
	repo, err := git.CloneContext(context.Background(), memory.NewStorage(), nil, &git.CloneOptions{URL: url, NoCheckout: true,
		ReferenceName: plumbing.NewBranchReferenceName(head)})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// deleteBranch pushes the deletion of branch (and specs) from repo's
// origin.
func deleteBranch(t testing.TB, repo *git.Repository, branch string, specs ...config.RefSpec) {
	t.Helper()
	specs = append(specs, config.RefSpec(":refs/heads/"+branch))
	if err := repo.PushContext(context.Background(), &git.PushOptions{RefSpecs: specs}); err != nil {
		t.Fatalf("push: %v", err)
	}
}

// Pull-request mode without the cluster: the deploy pushes a review
// branch and leaves main alone; resume says so until the merge; a branch
// deleted unmerged, or a merge overtaken by a later change of the same
// directory, fails the revision, naming why. (That a merged change is
// waited for, gated and recorded live runs against real Flux:
// TestPromoteThroughFluxReview.)
func TestPullRequestMode(t *testing.T) {
	ctx := context.Background()
	url := bareRepo(t)
	main := &Repo{URL: url, Branch: "main"}
	dir := exampleDir(t, url, map[string]string{"{name: orders-api-prod}": "{name: orders-api-prod}\n      pullRequest: true"})
	tg := New(mustProject(t, dir), "")
	prod, err := tg.p.Env("prod")
	if err != nil {
		t.Fatal(err)
	}
	// prod's earlier revision, committed before it was protected.
	first := change(t, "prod", digestA, 1)
	first.Dir = "clusters/prod/orders-api"
	if _, err := main.Write(ctx, first); err != nil {
		t.Fatal(err)
	}
	before, _ := main.heads(ctx)

	deployRev := func(rev int) *ReviewError {
		t.Helper()
		_, err := tg.Deploy(ctx, platform.Spec{Env: "prod", Environment: prod, Revision: rev, Digest: digestB, Tag: "1.1.0", Image: "orders-api@" + digestB})
		var re *ReviewError
		if !errors.As(err, &re) {
			t.Fatalf("deploy of a protected environment = %v, want a ReviewError", err)
		}
		return re
	}
	re := deployRev(2)
	heads, err := main.heads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "ferry/prod/revision-2-" + short(strings.TrimPrefix(digestB, "sha256:"))
	switch {
	case re.Branch != want || heads[want] != re.Commit:
		t.Errorf("review branch %s at %s, remote has %v; want %s", re.Branch, short(re.Commit), heads, want)
	case heads["main"] != before["main"]:
		t.Errorf("main moved from %s to %s: a protected branch was written", before["main"], heads["main"])
	case !strings.Contains(re.AwaitingReview(), "merge branch "+want) || !strings.Contains(re.AwaitingReview(), "clusters/prod/orders-api only") ||
		!strings.Contains(re.AwaitingReview(), "into main") || !strings.Contains(re.AwaitingReview(), "ferry promote --resume prod"):
		t.Errorf("the reviewer's instructions: %s", re.AwaitingReview())
	}
	files, err := (&Repo{URL: url, Branch: re.Branch}).Files(ctx, re.Commit, "clusters/prod/orders-api")
	if err != nil || !strings.Contains(string(files["deployment-orders-api.yaml"]), digestB) {
		t.Errorf("the review branch does not pin %s: %v", short(digestB), err)
	}

	spec := platform.Spec{Env: "prod", Environment: prod, Revision: 2, Digest: digestB, HealthTimeout: time.Second}
	if _, err := tg.Resume(ctx, spec); !errors.As(err, new(*ReviewError)) {
		t.Errorf("resume before the merge = %v, want the ReviewError again", err)
	}

	// The reviewer closes it without merging.
	deleteBranch(t, cloneAll(t, url, "main"), re.Branch)
	var de *platform.DeployError
	if _, err := tg.Resume(ctx, spec); !errors.As(err, &de) || !strings.Contains(err.Error(), "closed without merging") {
		t.Errorf("resume of a closed review = %v, want a DeployError saying so", err)
	}

	// Revision 3 is merged, then someone changes prod again before ferry
	// resumes it.
	re = deployRev(3)
	reviewerMerge(t, url, "main", re.Branch)
	later := change(t, "prod", digestA, 4)
	later.Dir, later.Message = "clusters/prod/orders-api", "hotfix prod by hand"
	if _, err := main.Write(ctx, later); err != nil {
		t.Fatal(err)
	}
	spec.Revision = 3
	if _, err := tg.Resume(ctx, spec); !errors.As(err, &de) || !strings.Contains(err.Error(), "hotfix prod by hand") {
		t.Errorf("resume of a merge overtaken by another change = %v, want a DeployError naming it", err)
	}
	log, _ := main.Log(ctx, "clusters/prod/orders-api", 0)
	if at := merged(log, 3, digestB); at != 1 {
		t.Errorf("revision 3's merge at %d in prod's log, want 1 (below the hotfix)", at)
	}
}
