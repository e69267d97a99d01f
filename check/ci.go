package check

import (
	"strings"

	"github.com/ferrydev/ferry/project"
)

// Values the repository's CI deploy command sets (--set image.tag=${{
// github.sha }}) are filled in as the pipeline runs: a ${{ X }} or $VAR
// there is "set by CI", never an unreplaced placeholder. The mark is per
// values path, with the CI file:line that sets it.

// ciSets returns the values paths the environment's deploy command sets
// with --set/--set-string, each with where the command is
// ("…/deploy.yml:42"): whatever the values files hold there, CI
// replaces before Helm renders.
func ciSets(env *project.Environment) map[string]string {
	if env == nil || env.Deploy == nil || len(env.Set) == 0 {
		return nil
	}
	loc := env.Deploy.Loc()
	m := make(map[string]string, len(env.Set))
	for _, s := range env.Set {
		m[s.Path] = loc
	}
	return m
}

// setByCI reports whether the deploy command sets values path p, or a map
// above it, and where. Helm copies the parent's globals into every
// subchart, so a subchart's web.global.user is what --set global.user set.
func (e *Env) setByCI(p string) (string, bool) {
	if i := strings.Index(p, ".global."); i >= 0 {
		if loc, ok := e.setByCI(p[i+1:]); ok {
			return loc, true
		}
	}
	for p != "" {
		if loc, ok := e.SetByCI[p]; ok {
			return loc, true
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", false
}

// valuesPathOf finds the values path whose line set a configuration
// entry, "" when the entry did not come from a values file.
func (e *Env) valuesPathOf(file string, line int) string {
	if e.Result == nil || file == "" || line == 0 {
		return ""
	}
	best := ""
	for p, s := range e.Result.ValueSources {
		if s.File == file && s.Line == line && (best == "" || len(p) > len(best)) {
			best = p
		}
	}
	return best
}

// entrySetByCI reports whether CI sets the value of configuration key in e.
func (e *Env) entrySetByCI(key string) bool {
	if len(e.SetByCI) == 0 {
		// Without --set in CI, finding the entry's values path (a scan of
		// every values path, per entry) would be for nothing.
		return false
	}
	en, ok := e.entry(key)
	if !ok {
		return false
	}
	if p := e.valuesPathOf(en.Source.File, en.Source.Line); p != "" {
		if _, ok := e.setByCI(p); ok {
			return true
		}
	}
	return false
}
