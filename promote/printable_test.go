package promote

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/state"
)

// tailTarget is the fake target whose deploys fail with a log tail the
// service wrote: escape sequences and all.
type tailTarget struct {
	*platformtest.Fake
	tail []string
}

func (t tailTarget) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	return nil, &platform.DeployError{Env: s.Env, Revision: s.Revision, Reason: "exited with status 2", LogTail: append([]string(nil), t.tail...)}
}

// TestFailedDeployLogTailPrintable: the log tail of a service that died
// reaches the error deploy returns (printed by the CLI) and the stored
// revision's reason (printed by history) without a terminal escape.
func TestFailedDeployLogTailPrintable(t *testing.T) {
	c, _, _ := fakeProject(t)
	tt := tailTarget{Fake: &platformtest.Fake{}, tail: []string{"\x1b]0;owned\x07panic: boom", "\x1b[2J\x1b[31mred\x1b[0m", "\x9b31mC1 CSI"}}
	c.Target = func(*project.Environment) (platform.Target, error) { return tt, nil }
	d := NewDeploy(c)
	d.Artifact = "1.0.0"
	_, err := d.Run(t.Context(), "staging")
	var de *platform.DeployError
	if !errors.As(err, &de) {
		t.Fatalf("deploy = %v, want a DeployError", err)
	}
	var reason string
	if err := c.State.View(func(tx state.Tx) error {
		revs, err := tx.List("staging")
		if len(revs) > 0 {
			reason = revs[len(revs)-1].Reason
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"error": err.Error(), "log tail": strings.Join(de.LogTail, "\n"), "stored reason": reason} {
		if strings.ContainsAny(s, "\x1b\x07\u009b") || strings.Contains(s, "owned") {
			t.Errorf("%s carries a terminal escape: %q", what, s)
		}
		if !strings.Contains(s, "panic: boom") || !strings.Contains(s, "red") {
			t.Errorf("%s lost the log's text: %q", what, s)
		}
	}
}
