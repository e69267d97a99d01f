package gitops

import (
	"context"
	"testing"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/state"
)

// TestRecordFromGit: a checkout that made none of an environment's
// revisions (a CI runner, a colleague's laptop) reads them from the
// commits' ferry.json — who, when, which digest, which one the branch
// deploys now and which a revert undid — and numbers its next revision
// after all of them, in a state file that stays sound.
func TestRecordFromGit(t *testing.T) {
	ctx := context.Background()
	url := bareRepo(t)
	repo := &Repo{URL: url, Branch: "main"}
	first := change(t, "staging", digestA, 1)
	second := change(t, "staging", digestB, 2)
	second.Files[MetaFile] = []byte(`{"environment":"staging","revision":2,"action":"deploy","image":"orders-api@` + digestB + `","digest":"` + digestB + `","tag":"1.5.0","by":"bob@ci"}`)
	for _, ch := range []Change{first, second, first} { // the third puts revision 1 back: 2 was reverted
		if c, err := repo.Write(ctx, ch); err != nil || !c.Changed {
			t.Fatalf("commit: %+v, %v", c, err)
		}
	}

	p := exampleProject(t, url) // a fresh checkout: no .ferry
	tgt := New(p, "")
	env, err := p.Env("staging")
	if err != nil {
		t.Fatal(err)
	}
	st, err := tgt.Store(env)
	if err != nil {
		t.Fatal(err)
	}
	var revs []state.Revision
	var cur *state.Revision
	err = st.View(func(tx state.Tx) error {
		var err error
		if revs, err = tx.List("staging"); err != nil {
			return err
		}
		cur, err = tx.CurrentRevision("staging")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		n       int
		digest  string
		by      string
		outcome state.Outcome
	}
	var got []seen
	for _, r := range revs {
		got = append(got, seen{r.Number, r.Digest, r.By, r.Outcome})
	}
	want := []seen{{1, digestA, "alice@laptop", state.Live}, {2, digestB, "bob@ci", state.Failed}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("history from git = %+v, want %+v", got, want)
	}
	if cur == nil || cur.Number != 1 || cur.Digest != digestA {
		t.Errorf("current = %+v, want revision 1 (%s), what the branch deploys", cur, digestA)
	}

	for _, want := range []int{3, 4} {
		var n int
		err := st.Update(func(tx state.Tx) error {
			var err error
			n, err = tx.Add(&state.Revision{Env: "staging", Digest: digestB, Action: "deploy", Outcome: state.Pending})
			return err
		})
		if err != nil || n != want {
			t.Errorf("Add = %d, %v; want %d, after every committed revision", n, err, want)
		}
	}
	rep, err := boltstore.Project(p.Dir).Check()
	if err != nil || !rep.OK || len(rep.Problems) > 0 {
		t.Errorf("state check after numbering past git = %+v, %v; want sound", rep, err)
	}
}
