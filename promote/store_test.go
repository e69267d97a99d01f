package promote

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// statefulFake is the fake target keeping its environments' whole record
// itself, as the kube target does in its cluster.
type statefulFake struct {
	*platformtest.Fake
	st state.Store
}

func (s statefulFake) Store(*project.Environment) (state.Store, error) { return s.st, nil }

// An environment's soak samples and log levels are kept where its
// revisions are: a target with its own store gets them, and the
// project's file gets none (else two people promoting one environment
// would see two soaks).
func TestSamplesAndLevelsKeptByTheEnvironmentsStore(t *testing.T) {
	c, f, clk := fakeProject(t)
	own := boltstore.New(filepath.Join(t.TempDir(), "target.db"))
	c.Target = func(*project.Environment) (platform.Target, error) { return statefulFake{f, own}, nil }
	staging, _ := c.Project.Env("staging")
	staging.SoakGates.MinRequests = 1 // a metrics soak: Run scrapes and stores
	rev := deploy(t, c, "staging", "1.0.0")
	clk.Advance(time.Minute)

	if _, err := NewSoak(c).Run(t.Context(), "staging", true); err != nil {
		t.Fatalf("soak: %v", err)
	}
	if _, err := SetLogLevel(c, "staging", "DEBUG", time.Hour); err != nil {
		t.Fatalf("loglevel: %v", err)
	}

	far := clk.Now().Add(time.Hour)
	for _, tt := range []struct {
		name            string
		st              state.Store
		samples, levels int
	}{
		{"the target's store", own, 1, 1},
		{"the project's file", c.State, 0, 0},
	} {
		smps, err := tt.st.Samples("staging", rev.Number, rev.At.Add(-time.Hour), far)
		if err != nil || len(smps) < tt.samples || (tt.samples == 0 && len(smps) > 0) {
			t.Errorf("%s: samples = %d, %v, want %d or more (0: none)", tt.name, len(smps), err, tt.samples)
		}
		lv, err := tt.st.LevelHistory("staging")
		if err != nil || len(lv) != tt.levels {
			t.Errorf("%s: log levels = %+v, %v, want %d", tt.name, lv, err, tt.levels)
		}
	}
	if cur, err := LogLevel(c, "staging"); err != nil || cur.Level != "DEBUG" {
		t.Errorf("LogLevel = %+v, %v, want DEBUG from the target's store", cur, err)
	}
}
