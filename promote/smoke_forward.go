package promote

import (
	"context"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

// smokeBase is where env's smoke steps are sent: base when the revision
// has a URL; otherwise, on a target that can, a port-forward opened for
// the steps that will run and need one (an HTTP step with a path, or a
// command, which gets $FERRY_URL). It returns the close function (a
// no-op when nothing was opened) and, when the forward failed, why: the
// steps that needed it fail with that.
func (c *Config) smokeBase(ctx context.Context, env *project.Environment, base string, safeOnly bool) (string, func(), string) {
	nothing := func() {}
	if base != "" || !needsBase(env.Smoke, safeOnly) {
		return base, nothing, ""
	}
	t, err := c.Target(env)
	if err != nil {
		return "", nothing, err.Error()
	}
	pf, ok := t.(platform.PortForwarder)
	if !ok {
		return "", nothing, ""
	}
	u, stop, err := pf.PortForward(ctx, env)
	if err != nil {
		return "", nothing, "no URL for " + env.Name + " (set url: in ferry.yaml) and " + err.Error()
	}
	return u, stop, ""
}

// needsBase says whether a step that will run needs the base URL.
func needsBase(steps []project.SmokeStep, safeOnly bool) bool {
	for _, s := range steps {
		if (!safeOnly || s.Safe()) && stepNeedsBase(s) {
			return true
		}
	}
	return false
}

// stepNeedsBase says whether s is sent to the base URL: an HTTP step
// with a path (not a full URL), or a command, which gets $FERRY_URL.
func stepNeedsBase(s project.SmokeStep) bool {
	path := strings.TrimSpace(s.HTTP)
	if _, p, ok := strings.Cut(path, " "); ok {
		path = strings.TrimSpace(p)
	}
	return s.Run != "" || strings.HasPrefix(path, "/")
}
