package kube

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/soak"
)

// Two ferries on two machines — two checkouts of the project, two HOMEs,
// no file in common — working on one kube environment judge one soak
// and see one log-level history: both live in the cluster, beside the
// revisions, and neither machine's state file holds any of it.
func TestRecordSharedBetweenTwoMachines(t *testing.T) {
	ctx := context.Background()
	// minRequests makes the soak a metrics soak: samples are stored.
	kp, other := twoCheckouts(t, "{duration: 1s, minRequests: 1}")
	homeA, homeB := t.TempDir(), t.TempDir()
	on := func(home string, kp *kubeProject, user string) *promote.Config {
		t.Setenv("HOME", home)
		return kp.engine(t, user)
	}

	alice := on(homeA, kp, "alice@laptop")
	d := promote.NewDeploy(alice)
	d.Artifact = "1.0.0"
	rev, err := d.Run(ctx, "staging")
	if err != nil {
		t.Fatalf("deploy staging: %v", err)
	}
	// A scrape: kwok runs no container, so it fails, and a failed
	// scrape is a sample too (the soak then says why it cannot judge).
	if _, err := promote.NewSoak(alice).Run(ctx, "staging", true); err != nil {
		t.Fatalf("alice's soak: %v", err)
	}
	if _, err := promote.SetLogLevel(alice, "staging", "DEBUG", time.Hour); err != nil {
		t.Fatalf("alice's loglevel: %v", err)
	}

	bob := on(homeB, other, "bob@desk")
	levels, err := promote.LogLevels(bob, "staging")
	if err != nil || len(levels) != 1 || levels[0].By != "alice@laptop" || levels[0].Level != "DEBUG" {
		t.Fatalf("bob sees log levels %+v, %v, want alice's DEBUG", levels, err)
	}
	if cur, err := promote.LogLevel(bob, "staging"); err != nil || cur.Level != "DEBUG" {
		t.Errorf("bob's current level = %+v, %v, want DEBUG", cur, err)
	}
	bobSamples := samplesOf(t, bob, rev.Number)
	// The baseline taken as the revision went live, and alice's scrape.
	if len(bobSamples) != 2 || !bobSamples[0].Live || bobSamples[1].Err == "" {
		t.Fatalf("bob sees samples %+v, want alice's baseline and scrape", bobSamples)
	}
	bobVerdict, err := promote.NewSoak(bob).Run(ctx, "staging", false)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := promote.SetLogLevel(bob, "staging", "", 0); err != nil {
		t.Fatalf("bob's loglevel reset: %v", err)
	}
	t.Setenv("HOME", homeA)
	levels, err = promote.LogLevels(alice, "staging")
	if err != nil || len(levels) != 2 || levels[1].By != "bob@desk" || !levels[1].Reset {
		t.Errorf("alice sees log levels %+v, %v, want hers and bob's reset", levels, err)
	}
	aliceVerdict, err := promote.NewSoak(alice).Run(ctx, "staging", false)
	if err != nil {
		t.Fatal(err)
	}
	// One soak, judged at two instants (To is each judge's now).
	aliceVerdict.To, bobVerdict.To = time.Time{}, time.Time{}
	if fmt.Sprint(aliceVerdict) != fmt.Sprint(bobVerdict) || aliceVerdict.Scrapes != 2 {
		t.Errorf("two verdicts on one soak (want both of its 2 scrapes):\nalice %+v\nbob   %+v", aliceVerdict, bobVerdict)
	}

	for _, dir := range []string{kp.dir, other.dir} {
		local := boltstore.New(filepath.Join(dir, ".ferry", "state.db"))
		smps, err := local.Samples("staging", rev.Number, rev.At.Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil || len(smps) != 0 {
			t.Errorf("%s's state file keeps samples %+v, %v", dir, smps, err)
		}
		if lv, err := local.LevelHistory("staging"); err != nil || len(lv) != 0 {
			t.Errorf("%s's state file keeps log levels %+v, %v", dir, lv, err)
		}
	}
}

// samplesOf reads staging's samples of revision rev the way cfg's ferry
// does: through the store its target keeps them in.
func samplesOf(t *testing.T, cfg *promote.Config, rev int) []soak.Sample {
	t.Helper()
	env, err := cfg.Project.Env("staging")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := cfg.Target(env)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tg.(promote.Stateful).Store(env)
	if err != nil {
		t.Fatal(err)
	}
	smps, err := st.Samples("staging", rev, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return smps
}

func TestThinKeepsTheBaselineAndTheRecent(t *testing.T) {
	at := func(n int) []soak.Sample {
		out := make([]soak.Sample, n)
		for i := range out {
			out[i].At = time.Unix(int64(i), 0)
		}
		return out
	}
	for _, n := range []int{1, maxSamples, maxSamples + 1, 3 * maxSamples} {
		in := at(n)
		got := thin(in)
		if n > maxSamples && len(got) > n*3/4+1 {
			t.Errorf("thin(%d) kept %d, want a quarter dropped", n, len(got))
		}
		if n <= maxSamples && len(got) != n {
			t.Errorf("thin(%d) = %d samples, want all", n, len(got))
		}
		if !got[0].At.Equal(in[0].At) || !got[len(got)-1].At.Equal(in[n-1].At) {
			t.Errorf("thin(%d) lost the baseline or the newest: %v … %v", n, got[0].At, got[len(got)-1].At)
		}
		for i := 1; i < len(got); i++ {
			if !got[i-1].At.Before(got[i].At) {
				t.Fatalf("thin(%d) out of order at %d", n, i)
			}
		}
	}
}

func TestDropOldSamplesKeepsTheNewestRevisions(t *testing.T) {
	data := map[string]string{levelsKey: "[]"}
	for _, rev := range []int{1, 2, 10, 9, 3} {
		data[samplesKey(rev)] = "[]"
	}
	dropOldSamples(data)
	want := []string{levelsKey, samplesKey(3), samplesKey(9), samplesKey(10)}
	if len(data) != len(want) {
		t.Fatalf("kept %v, want %v", data, want)
	}
	for _, k := range want {
		if _, ok := data[k]; !ok {
			t.Errorf("dropped %s; kept %v", k, data)
		}
	}
}
