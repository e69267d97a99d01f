package check

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
)

// The repository's own deploy commands, checked as CI will run them.

func init() {
	register(Rule{
		ID: "FERRY091", Name: "missing-values-file", Severity: Error,
		Summary: "A CI deploy command, Makefile or script names a values file that does not exist",
		Help: "helm install/upgrade/template -f values-qa.yaml stops with \"no such file\" when the file " +
			"is not in the repository: the job fails before it deploys, or (with || true) deploys " +
			"without the environment's values. Add the file, or correct the name in the command.",
		Check: checkMissingValuesFile,
	})
	projectRules["FERRY091"] = true
}

func checkMissingValuesFile(in *Input) []Finding {
	p := in.Project
	if p == nil || p.Chart == "" {
		return nil
	}
	var out []Finding
	var missing []missingFile
	byFile := map[string]int{}
	seen := map[string]bool{}
	for _, d := range p.Deploys {
		if !p.OwnChart(d) {
			continue
		}
		for _, f := range d.MissingValues(p.Dir) {
			at := fmt.Sprintf("%s|%s", d.Loc(), f)
			if seen[at] || knownElsewhere(in, f) || written(in, d.File, f) {
				continue
			}
			seen[at] = true
			envs := []string{}
			what := "a test of the chart in its own cluster"
			if !d.Throwaway {
				what = "the deploy"
				if d.Env != "" {
					what += " of " + d.Env
				}
				if env := deployedEnv(in, d, f); env != "" {
					envs, what = []string{env}, "the deploy of "+env
				}
			}
			l := Location{Key: "-f", Value: f, Source: d.Loc(), File: d.File, Line: d.Line}
			if i, ok := byFile[f]; ok {
				// One missing file, one finding: every command that names
				// it is cited.
				m := &missing[i]
				m.f.Locations = append(m.f.Locations, l)
				for _, env := range envs {
					if !slices.Contains(m.f.Environments, env) {
						m.f.Environments = append(m.f.Environments, env)
					}
				}
				if !slices.Contains(m.whats, what) {
					m.whats = append(m.whats, what)
				}
				continue
			}
			byFile[f] = len(missing)
			near := nearby(in.files(), p.Dir, f)
			missing = append(missing, missingFile{f: Finding{
				Environments: envs, Key: f, File: d.File, Line: d.Line, Locations: []Location{l},
				Message: fmt.Sprintf("%s runs helm %s -f %s, which does not exist%s: %s fails there; add the file or correct the name.",
					d.Loc(), d.Command, f, near, what),
			}, whats: []string{what}, near: near})
		}
	}
	for _, m := range missing {
		if len(m.f.Locations) > 1 {
			ls := m.f.Locations
			sort.SliceStable(ls, func(i, j int) bool {
				return ls[i].File < ls[j].File || ls[i].File == ls[j].File && ls[i].Line < ls[j].Line
			})
			m.f.File, m.f.Line = m.f.Locations[0].File, m.f.Locations[0].Line
			var at []string
			for _, l := range m.f.Locations {
				at = append(at, l.Source)
			}
			if len(m.whats) > 1 {
				// "the deploy of develop" says more than "the deploy".
				m.whats = slices.DeleteFunc(m.whats, func(w string) bool { return w == "the deploy" })
			}
			verb := "fails"
			if len(m.whats) > 1 {
				verb = "fail"
			}
			cited := strings.Join(at[:len(at)-1], ", ") + " and " + at[len(at)-1] // in file order
			m.f.Message = fmt.Sprintf("%s run helm with -f %s, which does not exist%s: %s %s there; add the file or correct the name.",
				cited, m.f.Key, m.near, andList(m.whats), verb)
		}
		out = append(out, m.f)
	}
	return out
}

// missingFile is FERRY091's finding for one missing values file, with
// what fails for each command that names it.
type missingFile struct {
	f     Finding
	whats []string
	near  string
}

// knownElsewhere reports a missing file whose name an environment reads
// from another directory, or the chart holds: the command runs from a
// directory ferry could not tell (cd chart && helm … -f values-prod.yaml),
// not with a missing file.
func knownElsewhere(in *Input, f string) bool {
	base := path.Base(f)
	for _, e := range in.Project.Environments {
		for _, v := range e.Values {
			if path.Base(v) == base {
				return true
			}
		}
	}
	_, err := in.files().ReadFile(filepath.Join(in.Project.Dir, filepath.FromSlash(in.Project.Chart), base))
	return err == nil
}

// writes matches a shell line that makes a file: a redirection, cp, mv,
// tee, an --output or -o flag, a decrypting tool. The tools count only
// as commands (at the line's start or after a space, ;, |, & or "("),
// not as a path's part: $(pipeline.workspace)/install/values.yaml
// makes nothing.
var writes = lazyre.New(`>|(^|[\s;|&(])(cp|mv|tee|install|envsubst|base64|sops|gpg|helm-secrets|ln)(\s|$)|--output|\s-o\s`)

// written reports a values file the CI file itself makes before helm
// reads it (sops -d … > secrets-prod.yaml, echo "$VALUES" | base64 -d >
// …), or one .gitignore keeps out of the repository: it exists while the
// job runs.
func written(in *Input, ciFile, f string) bool {
	base := path.Base(f)
	data, err := in.files().ReadFile(filepath.Join(in.Project.Dir, filepath.FromSlash(ciFile)))
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if i := strings.Index(l, base); i >= 0 && !strings.Contains(l, "helm ") && writes.Get().MatchString(l) && !strings.Contains(l[:i], "-f ") {
				return true
			}
		}
	}
	for _, dir := range []string{"", path.Dir(f)} {
		ign, err := in.files().ReadFile(filepath.Join(in.Project.Dir, filepath.FromSlash(dir), ".gitignore"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(ign), "\n") {
			if pat := strings.TrimPrefix(strings.TrimSpace(l), "/"); pat != "" && !strings.HasPrefix(pat, "#") {
				if ok, _ := path.Match(pat, base); ok {
					return true
				}
				if ok, _ := path.Match(pat, f); ok {
					return true
				}
			}
		}
	}
	return false
}

// deployedEnv is the environment whose definition is the command at
// file:line naming f (several callers of one reusable workflow or
// template run one line), "" when none is.
func deployedEnv(in *Input, d project.Deploy, f string) string {
	env := ""
	for _, e := range in.Project.Environments {
		if e.Deploy == nil || e.Deploy.File != d.File || e.Deploy.Line != d.Line {
			continue
		}
		if slices.Contains(e.Deploy.Values, f) {
			return e.Name // one line several callers run: the one naming f
		}
		if env == "" {
			env = e.Name
		}
	}
	return env
}

// nearby names the values files beside a missing one, so that a typo
// shows: " (charts/catalog has values-staging.yaml, values-production.yaml)".
func nearby(t *tree, dir, f string) string {
	var names []string
	ents, _ := t.ReadDir(filepath.Join(dir, filepath.FromSlash(path.Dir(f))))
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasPrefix(n, "values") && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s has %s)", path.Dir(f), strings.Join(names, ", "))
}
