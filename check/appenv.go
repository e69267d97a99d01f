package check

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferrydev/ferry/envfile"
)

// App-env rules: APP_ENV names the environment and selects GoFr's
// overlay file; nothing else. Behaviour that differs between environments
// comes from configuration, never from code branching on the name.

func init() {
	register(
		Rule{
			ID: "FERRY030", Name: "app-env-mismatch", Severity: Warning,
			Summary: "APP_ENV is missing or not the environment's name",
			Help: "GoFr selects the overlay configs/.<APP_ENV>.env from the process's APP_ENV; " +
				"when it is missing, or names another environment, the process loads another " +
				"environment's overlay (or .local.env). Set APP_ENV to the environment's name in its " +
				"values file.",
			Check: checkAppEnvMismatch,
		},
		Rule{
			ID: "FERRY031", Name: "app-env-branch", Severity: Error,
			Summary: "The service's Go code compares or switches on APP_ENV",
			Help: "Code that behaves differently by environment name makes the artifact that passed " +
				"staging a different program in prod. Reading or logging APP_ENV is fine. Move the " +
				"difference into a configuration key that each environment sets.",
			Check: checkAppEnvBranch,
		},
		Rule{
			ID: "FERRY032", Name: "app-env-in-file", Severity: Warning,
			Summary: "APP_ENV set in configs/.env, or in an overlay to another name",
			Help: "GoFr reads APP_ENV with os.Getenv before it loads any file " +
				"(pkg/gofr/config/godotenv.go), so only the process environment selects the overlay: " +
				"an APP_ENV line in configs/.env, or one in configs/.<name>.env naming another " +
				"environment, selects nothing, yet Config.Get(\"APP_ENV\") returns it afterwards and " +
				"misleads. Delete the line and set APP_ENV in the environment's values.",
			Check: checkAppEnvInFile,
		},
	)
}

func checkAppEnvMismatch(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.external("APP_ENV") {
			continue
		}
		v, ok := e.value("APP_ENV")
		l := e.loc("APP_ENV", "")
		switch {
		case !ok:
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "APP_ENV", Locations: []Location{l},
				File: valuesFileOf(e),
				Message: fmt.Sprintf("%s: APP_ENV is not set, so GoFr loads configs/.local.env instead of configs/.%s.env: set APP_ENV: %s in the environment's values.",
					e.Name, e.Name, e.Name),
			})
		case v != e.Name:
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "APP_ENV", Locations: []Location{l},
				Message: fmt.Sprintf("%s: APP_ENV=%q (set at %s) names another environment, so GoFr loads configs/.%s.env: set APP_ENV: %s.",
					e.Name, v, where(l), v, e.Name),
			})
		}
	}
	return out
}

// valuesFileOf is the environment's own values file, where a missing key
// should be added.
func valuesFileOf(e *Env) string {
	if e.Spec != nil && len(e.Spec.Values) > 0 {
		return e.Spec.Values[len(e.Spec.Values)-1]
	}
	return ""
}

func checkAppEnvBranch(in *Input) []Finding {
	var out []Finding
	for _, b := range in.source().branches {
		out = append(out, Finding{
			Environments: names(in.Envs), Key: "APP_ENV",
			File: b.File, Line: b.Line,
			Locations: []Location{{Key: "APP_ENV", Source: fmt.Sprintf("%s:%d", b.File, b.Line), File: b.File, Line: b.Line}},
			Message: fmt.Sprintf("%s:%d %s: move the difference into a configuration key each environment sets.",
				b.File, b.Line, b.What),
		})
	}
	return out
}

func checkAppEnvInFile(in *Input) []Finding {
	if in.Project == nil || in.Project.Configs == "" {
		return nil
	}
	dir := in.Project.Configs
	files := in.files()
	fsys := files.FS()
	entries, err := files.ReadDir(filepath.Join(in.Project.Dir, dir))
	if err != nil {
		return nil
	}
	var out []Finding
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".env") {
			continue
		}
		file := path.Join(dir, name)
		vars, err := envfile.ReadFile(fsys, file)
		if err != nil {
			continue // render reports files GoFr cannot parse
		}
		overlay := strings.TrimSuffix(strings.TrimPrefix(name, "."), ".env")
		for _, v := range vars {
			if v.Key != "APP_ENV" {
				continue
			}
			l := Location{Key: "APP_ENV", Value: v.Value, Source: v.Source.String(), File: file, Line: v.Source.Line}
			switch {
			case name == ".env":
				out = append(out, Finding{
					Environments: names(in.Envs), Key: "APP_ENV", Locations: []Location{l},
					Message: fmt.Sprintf("%s sets APP_ENV=%q, but GoFr picks the overlay from the process environment only, so this line selects nothing: delete it and set APP_ENV in each environment's values.",
						l.Source, v.Value),
				})
			case v.Value != overlay:
				envs := []string{overlay}
				if !hasEnv(in, overlay) {
					envs = names(in.Envs)
				}
				out = append(out, Finding{
					Environments: envs, Key: "APP_ENV", Locations: []Location{l},
					Message: fmt.Sprintf("%s sets APP_ENV=%q in the %s overlay, which GoFr loads only when APP_ENV is already %q: delete the line.",
						l.Source, v.Value, overlay, overlay),
				})
			}
		}
	}
	return out
}

func hasEnv(in *Input, name string) bool {
	for _, e := range in.Envs {
		if e.Name == name {
			return true
		}
	}
	return false
}
