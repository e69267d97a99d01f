package check

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/secret"
)

// A dotenv file that sets one key twice keeps the last silently, like a
// values file; two keys that differ only in case are two variables to the
// process, and the code reads one of them.

func init() {
	register(Rule{
		ID: "FERRY084", Name: "env-file-key-repeated", Severity: Warning,
		Summary: "A .env file sets a key twice, or two keys that differ only in case",
		Help: "godotenv keeps the last of two equal keys without a word, so the first line looks " +
			"effective and is not; KEY4 and key4 are two variables, and the code reads only one. " +
			"This holds for GoFr's configs/.env and its overlays and for .env files a ConfigMap or " +
			"Secret carries. Delete the repeated line, or spell the key one way.",
		Check: checkEnvFileKeys,
	})
	projectRules["FERRY084"] = true
}

func checkEnvFileKeys(in *Input) []Finding {
	var out []Finding
	if in.Project != nil && in.Project.Configs != "" {
		files := in.files()
		entries, _ := files.ReadDir(filepath.Join(in.Project.Dir, in.Project.Configs))
		for _, de := range entries {
			if de.IsDir() || configFileKind(de.Name()) != "env" {
				continue
			}
			file := path.Join(in.Project.Configs, de.Name())
			data, err := files.ReadFile(filepath.Join(in.Project.Dir, file))
			if err != nil {
				continue
			}
			envs := names(in.Envs)
			// An overlay (.staging.env) is its environment's alone.
			if overlay := strings.TrimSuffix(strings.TrimPrefix(de.Name(), "."), ".env"); hasEnv(in, overlay) {
				envs = []string{overlay}
			}
			out = append(out, repeatedKeys(envs, file, file, string(data))...)
		}
	}
	seen := map[string]int{}
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, o := range e.Result.Objects {
			if o.Kind != "ConfigMap" && o.Kind != "Secret" {
				continue
			}
			data := dataOf(e, o)
			keys := make([]string, 0, len(data))
			for k := range data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if configFileKind(k) != "env" {
					continue
				}
				label := fmt.Sprintf("%s/%s %s", o.Kind, o.Name, k)
				for _, f := range repeatedKeys([]string{e.Name}, label, o.Template, data[k]) {
					id := f.Key + "|" + f.Message
					if i, ok := seen[id]; ok {
						out[i].Environments = append(out[i].Environments, e.Name)
						continue
					}
					seen[id] = len(out)
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// repeatedKeys reports the keys text sets twice and the keys that differ
// only in case. label names the file in messages; file and line locate it
// for findings (line 0 when the text is inside a rendered object).
func repeatedKeys(envs []string, label, file, text string) []Finding {
	var out []Finding
	first := map[string]envLine{}
	folded := map[string]envLine{}
	for _, l := range dotenvLines(text) {
		if p, ok := first[l.key]; ok {
			out = append(out, Finding{
				Environments: envs, Key: l.key, File: file, Line: lineIn(file, label, l.line),
				Locations: []Location{envLoc(label, file, p), envLoc(label, file, l)},
				Message: fmt.Sprintf("%s sets %s at line %d and again at line %d; the last wins silently: delete one.",
					label, l.key, p.line, l.line),
			})
			continue
		}
		first[l.key] = l
		low := strings.ToLower(l.key)
		if p, ok := folded[low]; ok && p.key != l.key {
			out = append(out, Finding{
				Environments: envs, Key: l.key, File: file, Line: lineIn(file, label, l.line),
				Locations: []Location{envLoc(label, file, p), envLoc(label, file, l)},
				Message: fmt.Sprintf("%s sets %s (line %d) and %s (line %d), two variables that differ only in case: spell the key one way.",
					label, p.key, p.line, l.key, l.line),
			})
			continue
		}
		folded[low] = l
	}
	return out
}

// lineIn is the line to cite: the file's own line when the file is in
// the repository, none when it is text inside a template.
func lineIn(file, label string, line int) int {
	if file == label {
		return line
	}
	return 0
}

func envLoc(label, file string, l envLine) Location {
	loc := Location{Key: l.key, Source: fmt.Sprintf("%s:%d", label, l.line), File: file, Line: lineIn(file, label, l.line)}
	if !sensitive(l.key) {
		loc.Value = l.value
	} else {
		loc.Value = secret.Shown(l.key, l.value, secret.Whole)
	}
	return loc
}
