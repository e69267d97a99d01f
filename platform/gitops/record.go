package gitops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

var _ platform.StoreOwner = (*Target)(nil)

// Store implements platform.StoreOwner. On the gitops target the audit
// trail is git: every revision ferry commits carries its ferry.json in
// the environment's directory. An environment's record is the project's
// own store (its lock, soak samples, log levels and what this checkout
// saw of each revision) with those committed revisions read into it, so
// that a checkout that made none of them (a CI runner, a colleague)
// lists them, knows which one the engine runs, and numbers the next
// revision after all of them.
func (t *Target) Store(env *project.Environment) (state.Store, error) {
	base := t.State
	if base == nil {
		base = boltstore.Project(t.p.Dir)
	}
	return &gitStore{Store: base, t: t}, nil
}

// gitStore is an environment's record on the gitops target.
type gitStore struct {
	state.Store
	t *Target
}

func (s *gitStore) View(fn func(state.Tx) error) error {
	return s.Store.View(func(tx state.Tx) error { return fn(&gitTx{Tx: tx, t: s.t}) })
}

func (s *gitStore) Update(fn func(state.Tx) error) error {
	return s.Store.Update(func(tx state.Tx) error { return fn(&gitTx{Tx: tx, t: s.t}) })
}

// gitTx reads the committed revisions under the project store's own:
// what this checkout recorded of a revision (its gates' details, its
// outcome) stands; a revision only git knows is read from its commit.
type gitTx struct {
	state.Tx
	t *Target
}

func (tx *gitTx) List(env string) ([]state.Revision, error) {
	own, err := tx.Tx.List(env)
	if err != nil {
		return nil, err
	}
	committed, err := tx.t.history(env)
	if err != nil {
		return nil, err
	}
	for _, r := range committed.revs {
		if !slices.ContainsFunc(own, func(o state.Revision) bool { return o.Number == r.Number }) {
			own = append(own, r)
		}
	}
	sort.Slice(own, func(i, j int) bool { return own[i].Number < own[j].Number })
	return own, nil
}

func (tx *gitTx) Get(env string, n int) (*state.Revision, error) {
	r, err := tx.Tx.Get(env, n)
	if !errors.Is(err, state.ErrNoRevision) {
		return r, err
	}
	committed, cerr := tx.t.history(env)
	if cerr != nil {
		return nil, cerr
	}
	for _, c := range committed.revs {
		if c.Number == n {
			return &c, nil
		}
	}
	return nil, err
}

// Current is this checkout's live revision, unless the branch's newest
// commit is a revision this checkout never made: then that one, which
// is what the engine applies.
func (tx *gitTx) Current(env string) (int, error) {
	n, err := tx.Tx.Current(env)
	if err != nil {
		return 0, err
	}
	committed, err := tx.t.history(env)
	if err != nil || committed.live == 0 || committed.live == n {
		return n, err
	}
	if _, err := tx.Tx.Get(env, committed.live); errors.Is(err, state.ErrNoRevision) {
		return committed.live, nil
	}
	return n, nil
}

func (tx *gitTx) CurrentRevision(env string) (*state.Revision, error) {
	n, err := tx.Current(env)
	if err != nil || n == 0 {
		return nil, err
	}
	return tx.Get(env, n)
}

// Add numbers r after every revision this checkout or the branch knows.
func (tx *gitTx) Add(r *state.Revision) (int, error) {
	revs, err := tx.List(r.Env)
	if err != nil {
		return 0, err
	}
	r.Number = 1
	if len(revs) > 0 {
		r.Number = revs[len(revs)-1].Number + 1
	}
	return r.Number, tx.Tx.Put(r)
}

// gitHistory is what an environment's commits say: its revisions, oldest
// first, and the one the branch's newest commit deploys (0: none).
type gitHistory struct {
	revs []state.Revision
	live int
}

// history reads env's history from its directory's commits, once per
// target: a command reads it at its start, and what it commits itself
// it also records in the project's store.
func (t *Target) history(env string) (gitHistory, error) {
	t.histMu.Lock()
	defer t.histMu.Unlock()
	if h, ok := t.hist[env]; ok {
		return h, nil
	}
	set, repo, err := t.Settings(env)
	if err != nil {
		return gitHistory{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	log, err := repo.Log(ctx, set.Directory, 0)
	if err != nil {
		return gitHistory{}, fmt.Errorf("environment %s: the history of %s in %s: %w", env, set.Directory, repo.URL, err)
	}
	h := historyOf(env, log)
	if t.hist == nil {
		t.hist = map[string]gitHistory{}
	}
	t.hist[env] = h
	return h, nil
}

// historyTimeout bounds reading an environment's history from git.
const historyTimeout = time.Minute

// historyOf turns a directory's commits (newest first) into revisions.
// A revision is dated and attributed by the commit that first deployed
// it; the newest commit's ferry.json is the live one (none after a
// ferry down, whose commit empties the directory); a revision a later
// commit reverted to an older one failed.
func historyOf(env string, log []Entry) gitHistory {
	var h gitHistory
	if len(log) > 0 && log[0].Meta != nil {
		h.live = log[0].Meta.Revision
	}
	seen := map[int]bool{}
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		m := e.Meta
		if m == nil || m.Revision <= 0 || seen[m.Revision] {
			continue
		}
		seen[m.Revision] = true
		by := m.By
		if by == "" {
			by = e.Author
		}
		r := state.Revision{
			Env: env, Number: m.Revision, Digest: m.Digest, Tag: m.Tag, By: by, At: e.When.UTC(),
			Action: m.Action, PromotedFrom: m.PromotedFrom, RollbackOf: m.RollbackOf,
			Outcome: state.Superseded, Reason: "read from commit " + short(e.Commit),
		}
		for _, g := range m.Gates {
			r.Gates = append(r.Gates, state.Gate{Name: g, Passed: true})
		}
		switch {
		case m.Revision == h.live:
			r.Outcome, r.Since = state.Live, r.At
		case h.live > 0 && m.Revision > h.live:
			r.Outcome = state.Failed // reverted to an older revision
		case h.live == 0 && len(log) > 0 && log[0].Meta == nil:
			r.Outcome = state.Stopped
		}
		h.revs = append(h.revs, r)
	}
	return h
}
