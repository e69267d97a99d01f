package check

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A value in a file every environment reads (the chart's values.yaml, a
// shared layer) is one mistake however many environments it reaches:
// reported once per environment it repeated at the same file:line and
// buried the findings that differ. mergeShared folds such findings into
// one naming every environment it affects.

// mergeShared folds the single-environment findings of one rule that
// point at the same file:line, about the same key and workloads, and say
// the same thing but for the environment's name. The folded finding is
// as severe as the worst of them (a placeholder is a warning in the
// first environment and an error after it), and each location keeps its
// first environment in Environment and lists them all in Environments.
func mergeShared(fs []Finding) []Finding {
	type group struct {
		at   int
		envs []string
	}
	var out []Finding
	groups := map[string]*group{}
	for _, f := range fs {
		if len(f.Environments) != 1 || f.File == "" || f.Accepted {
			out = append(out, f)
			continue
		}
		env := f.Environments[0]
		// Workloads may differ (a worker only prod runs; an environment
		// that did not render has none): the line is what is shared.
		id := strings.Join([]string{f.Rule, f.Key, fmt.Sprintf("%s:%d", f.File, f.Line), withoutEnv(f.Message, env), locationsWithoutEnv(f.Locations, env)}, "\x00")
		g, ok := groups[id]
		if !ok {
			groups[id] = &group{at: len(out), envs: []string{env}}
			out = append(out, f)
			continue
		}
		g.envs = append(g.envs, env)
		m := &out[g.at]
		m.addWorkloads(f.Workload)
		if f.Severity.rank() < m.Severity.rank() {
			m.Severity = f.Severity
		}
	}
	for _, g := range groups {
		if len(g.envs) < 2 {
			continue
		}
		f := &out[g.at]
		first := f.Environments[0]
		envs := slices.Clone(g.envs)
		slices.Sort(envs)
		f.Environments = envs
		f.Message = envWord(first).ReplaceAllString(f.Message, "${1}"+strings.ReplaceAll(andList(envs), "$", "$$")+"${2}")
		for i := range f.Locations {
			if f.Locations[i].Environment == first {
				f.Locations[i].Environments = envs
			}
		}
	}
	return out
}

// addWorkloads adds the workloads of list ("Deployment/a, CronJob/b")
// that f does not name yet.
func (f *Finding) addWorkloads(list string) {
	for _, w := range strings.Split(list, ", ") {
		if w != "" && !slices.Contains(strings.Split(f.Workload, ", "), w) {
			f.Workload = strings.TrimPrefix(f.Workload+", "+w, ", ")
		}
	}
}

// envWords caches envWord: a project has a handful of environments and a
// report many findings.
var envWords sync.Map

// envWord matches an environment's name as a word of a message.
func envWord(env string) *regexp.Regexp {
	if re, ok := envWords.Load(env); ok {
		return re.(*regexp.Regexp)
	}
	// A word of the sentence, not part of a host or a path
	// (shipping-db.prod.svc names a host; "prod:" and "prod's" name the
	// environment).
	re := regexp.MustCompile(`(^|[\s(\[,])` + regexp.QuoteMeta(env) + `($|[\s)\],;]|:\s|:$|'s\b)`)
	envWords.Store(env, re)
	return re
}

// withoutEnv is msg with env's name blanked out where it stands as a word.
func withoutEnv(msg, env string) string {
	return envWord(env).ReplaceAllString(msg, "${1}\x01${2}")
}

// locationsWithoutEnv describes locs for comparison, env's name left out:
// findings fold only when every value they cite is the same.
func locationsWithoutEnv(locs []Location, env string) string {
	var b strings.Builder
	for _, l := range locs {
		e := l.Environment
		if e == env {
			e = "\x01"
		}
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s:%d\x00", e, l.Key, l.Value, l.Source, l.File, l.Line)
	}
	return b.String()
}

// envs names the location's environments: "dev, staging" for a value
// every one of them reads.
func (l Location) envs() string {
	if len(l.Environments) > 1 {
		return strings.Join(l.Environments, ", ")
	}
	return l.Environment
}

// secretRules report a literal credential; one values line that several
// of them report (database.password feeding SPRING_DATASOURCE_PASSWORD
// and POSTGRES_PASSWORD; a Secret literal that also sits in a ConfigMap)
// is one thing to fix.
// FERRY042 folds the same way, apart from them: a credential two
// environments share is another mistake than one committed.
var secretRules = map[string]string{"FERRY040": "literal", "FERRY041": "literal", "FERRY042": "reused"}

// mergeSecretLines keeps one finding per values line among the secret
// rules' findings, naming the other keys and environments the line
// reaches: a workload that another environment names differently (a
// release called like the Deployment) splits them upstream.
func mergeSecretLines(fs []Finding) []Finding {
	var out []Finding
	at := map[string]int{}
	for _, f := range fs {
		if secretRules[f.Rule] == "" || f.File == "" || f.Line == 0 || f.Accepted {
			out = append(out, f)
			continue
		}
		id := fmt.Sprintf("%s|%s:%d", secretRules[f.Rule], f.File, f.Line)
		i, ok := at[id]
		if !ok {
			at[id] = len(out)
			out = append(out, f)
			continue
		}
		if f.Key != out[i].Key && !strings.Contains(out[i].Message, " also reaches "+f.Key) {
			out[i].Message = strings.TrimSuffix(out[i].Message, ".") + "; the same value also reaches " + f.Key + " (" + f.Rule + ")."
		}
		if old := andList(out[i].Environments); old != andList(f.Environments) {
			// A copy: its array may be another finding's.
			envs := append(out[i].Environments[:len(out[i].Environments):len(out[i].Environments)], f.Environments...)
			sort.Strings(envs)
			envs = slices.Compact(envs)
			out[i].Environments = envs
			if rest, ok := strings.CutPrefix(out[i].Message, old+":"); ok {
				out[i].Message = andList(out[i].Environments) + ":" + rest
			}
		}
		// The other environments' lines may differ (two lines of prod's
		// file holding the value dev sets once): each stays cited.
		for _, l := range f.Locations {
			if l.File != "" && !slices.ContainsFunc(out[i].Locations, func(o Location) bool {
				return o.Environment == l.Environment && o.File == l.File && o.Line == l.Line
			}) {
				out[i].Locations = append(out[i].Locations, l)
			}
		}
	}
	return out
}
