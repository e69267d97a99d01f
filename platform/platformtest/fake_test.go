package platformtest_test

import (
	"testing"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/platformtest"
	"github.com/ferrydev/ferry/platform/platformtest/targetsuite"
)

// TestFakeSharedSuite: the fake passes the suite every target passes,
// so what promote's own tests learn from it holds for a real target.
func TestFakeSharedSuite(t *testing.T) {
	f := &platformtest.Fake{}
	platformtest.Register(f)
	targetsuite.Run(t, targetsuite.Options{
		Target:    platformtest.Name,
		SetHealth: func(env string, h platform.Health) { f.SetHealth(env, h, "db down") },
	})
}
