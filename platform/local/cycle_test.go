package local

import (
	"strconv"
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
)

// TestManyCycles deploys and rolls back (redeploys the previous
// configuration as a new revision) many times on one port, as a user's
// deploy/rollback cycles do, with services that share their port and
// with services that cannot: every revision must start, none may die
// with "bind: address already in use", and each cycle ends with one
// live process.
func TestManyCycles(t *testing.T) {
	for _, tt := range []struct {
		name  string
		extra []platform.Var
	}{
		{"shared port", nil},
		{"no SO_REUSEPORT: the old revision stops first", []platform.Var{{Key: "NO_REUSEPORT", Value: "1"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, img := setup(t)
			l.Settle = 50 * time.Millisecond
			port := freePort(t)
			for rev := 1; rev <= 24; rev++ {
				s := spec(img, rev, port, append(tt.extra, platform.Var{Key: "X", Value: strconv.Itoa(rev % 2)})...)
				if _, err := l.Deploy(t.Context(), s); err != nil {
					t.Fatalf("cycle %d: %v", rev, err)
				}
				if revs, _ := l.Revisions(t.Context(), "staging"); len(revs) != 1 || revs[0] != rev {
					t.Fatalf("cycle %d: running revisions %v, want only %d", rev, revs, rev)
				}
			}
		})
	}
}
