package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Pull-request mode (gitops.pullRequest: true): a protected
// environment's branch only moves by review. A deploy commits onto the
// branch's head as usual but pushes the commit to a review branch of its
// own and stops; once a reviewer has merged it, Resume waits for the
// engine as a deploy would have.

// ReviewBranch is the branch a pull-request mode change of revision rev
// of env goes to. It names the environment, the revision and the digest,
// so a reviewer sees what it is, and two ferries that numbered their
// revisions alike (each keeps its own store) never share one.
func ReviewBranch(env string, rev int, digest string) string {
	return fmt.Sprintf("ferry/%s/revision-%d-%s", env, rev, short(strings.TrimPrefix(digest, "sha256:")))
}

// ReviewError is a change pushed for review instead of applied: no
// failure, the environment keeps what it runs until a reviewer merges
// Branch into Base. promote records the revision as awaiting review.
type ReviewError struct {
	Env      string
	Revision int
	// Repo is the repository's URL; Base the branch the engine applies;
	// Branch the review branch and Commit its head; Dir the only
	// directory the change touches.
	Repo, Base, Branch, Commit, Dir string
}

func (e *ReviewError) Error() string {
	return fmt.Sprintf("%s revision %d awaits review: %s", e.Env, e.Revision, e.AwaitingReview())
}

// AwaitingReview says what a reviewer must merge and what to run after.
func (e *ReviewError) AwaitingReview() string {
	return fmt.Sprintf("merge branch %s (commit %s, changes %s only) into %s of %s, then run ferry promote --resume %s",
		e.Branch, short(e.Commit), e.Dir, e.Base, e.Repo, e.Env)
}

// WriteBranch commits ch onto the head of r.Branch, as Write does, but
// pushes the commit to branch (which must not exist yet) and leaves
// r.Branch where it is. A change that leaves the manifests as they are
// pushes nothing and returns the head, unchanged.
func (r *Repo) WriteBranch(ctx context.Context, ch Change, branch string) (*Commit, error) {
	repo, err := r.clone(ctx)
	if err != nil {
		return nil, err
	}
	c, err := commitChange(repo, ch)
	if err != nil || !c.Changed {
		return c, err
	}
	spec := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", r.Branch, branch))
	if err := repo.PushContext(ctx, &git.PushOptions{Auth: r.Auth, RefSpecs: []config.RefSpec{spec}}); err != nil {
		return nil, fmt.Errorf("push %s branch %s: %w", r.URL, branch, err)
	}
	return c, nil
}

// heads returns the remote's branches and their commits.
func (r *Repo) heads(ctx context.Context) (map[string]string, error) {
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{r.URL}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: r.Auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", r.URL, err)
	}
	out := map[string]string{}
	for _, ref := range refs {
		if ref.Name().IsBranch() && ref.Type() == plumbing.HashReference {
			out[ref.Name().Short()] = ref.Hash().String()
		}
	}
	return out, nil
}

// Resume finishes a pull-request mode deploy of s.Revision once its
// review branch is merged: it finds the merged change on the branch the
// engine applies, waits (bounded like a deploy) until the engine has
// applied the branch's head with every pod ready on s.Digest, and
// returns what runs. Not merged yet, it returns the *ReviewError again;
// a review branch deleted unmerged, or a later change of the directory
// merged first, is a *platform.DeployError. Nothing is reverted on
// failure: the branch is protected, so the way back is a reviewed
// change too (ferry rollback).
func (t *Target) Resume(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	env := s.Environment
	if env == nil {
		e, err := t.envOf(platform.Query{Env: s.Env})
		if err != nil {
			return nil, err
		}
		env = e
	}
	set, repo, err := t.Settings(env.Name)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) error {
		return &platform.DeployError{Env: env.Name, Revision: s.Revision, Reason: fmt.Sprintf(format, a...)}
	}
	branch := ReviewBranch(env.Name, s.Revision, s.Digest)
	heads, err := repo.heads(ctx)
	if err != nil {
		return nil, err
	}
	log, err := repo.Log(ctx, set.Directory, 0)
	if err != nil {
		return nil, err
	}
	at := merged(log, s.Revision, s.Digest)
	switch {
	case at < 0 && heads[branch] != "":
		return nil, &ReviewError{Env: env.Name, Revision: s.Revision, Repo: repo.URL, Base: set.Branch, Branch: branch, Commit: heads[branch], Dir: set.Directory}
	case at < 0:
		return nil, fail("review branch %s is gone and its change is not in %s: the review was closed without merging", branch, set.Branch)
	case at > 0:
		return nil, fail("%s was changed again by commit %s (%q) after this revision was merged: it never ran alone",
			set.Directory, short(log[0].Commit), firstLine(log[0].Msg))
	}
	tip := heads[set.Branch]
	files, err := repo.Files(ctx, log[0].Commit, set.Directory)
	if err != nil {
		return nil, err
	}
	timeout, err := rolloutTimeout(s, env)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	live, err := t.await(ctx, env, set, files, tip, s.Digest, timeout)
	if err != nil {
		return nil, fail("%s (merged as %s; not reverted: %s is protected, so undo it with a reviewed ferry rollback %s)", err, short(log[0].Commit), set.Branch, env.Name)
	}
	return &platform.Rollout{Instances: live.Instances, Startup: time.Since(start)}, nil
}

// merged returns the index in log (newest first) of the newest commit
// whose ferry.json is revision rev of digest (a reviewer's merge commit
// or the review branch's commit itself, fast-forwarded), -1 when none.
func merged(log []Entry, rev int, digest string) int {
	for i, e := range log {
		if e.Meta != nil && e.Meta.Revision == rev && e.Meta.Digest == digest {
			return i
		}
	}
	return -1
}
