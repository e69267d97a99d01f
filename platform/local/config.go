package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Desired implements platform.Target: the effective configuration, with
// what only this machine needs on top — ferry.yaml's env: (ports, SQLite
// paths; ${FERRY_DATA} is the environment's own data directory) and, for
// the Secrets the chart references but does not render, the values of
// the environment's secretsFile. A runtime value (fieldRef) has no
// meaning here and is left out.
//
// A secrets file that does not exist is a *platform.MissingSecretsError
// that carries the configuration with the keys it should supply shown as
// platform.MissingSecret: read commands go on with it.
func (l *Local) Desired(_ context.Context, env *project.Environment, eff *render.Config) ([]platform.Var, error) {
	own := Of(env)
	secrets, err := l.secrets(env)
	var missing *platform.MissingSecretsError
	if errors.As(err, &missing) {
		secrets = map[string]string{}
	} else if err != nil {
		return nil, err
	}
	byKey := map[string]platform.Var{}
	for _, e := range eff.Entries {
		v := platform.Var{Key: e.Key, Value: e.Value, Secret: e.Secret, Source: e.Source.String()}
		if e.External {
			if e.Source.Kind == render.KindRuntime {
				continue
			}
			if _, ok := own.Env[e.Key]; ok {
				continue // ferry.yaml's env sets it for this machine
			}
			val, ok := secrets[e.Key]
			if missing != nil {
				missing.Keys = append(missing.Keys, e.Key)
				val, ok = platform.MissingSecret(missing.Path), true
			}
			if !ok {
				if secrets == nil {
					return nil, fmt.Errorf("%w: environment %q: %s needs a value (%s) and ferry.yaml sets no secretsFile for it", platform.ErrBadInput, env.Name, e.Key, v.Source)
				}
				return nil, fmt.Errorf("%w: environment %q: secrets file %s has no %s (%s)", platform.ErrBadInput, env.Name, own.SecretsFile, e.Key, v.Source)
			}
			v.Value, v.Source = val, "secretsFile "+own.SecretsFile
		}
		byKey[e.Key] = v
	}
	if err := fromUnrendered(byKey, eff.Unrendered, secrets, missing, env.Name, own.SecretsFile); err != nil {
		return nil, err
	}
	for k, val := range own.Env {
		if strings.Contains(val, DataVar) {
			dir, err := dataDir(l.ProjectDir, env.Name)
			if err != nil {
				return nil, fmt.Errorf("environment %q: data directory: %w", env.Name, err)
			}
			val = strings.ReplaceAll(val, DataVar, dir)
		}
		old, had := byKey[k]
		byKey[k] = platform.Var{Key: k, Value: val, Secret: (had && old.Secret) || secret.Is(k, val),
			Source: project.FileName + " environments." + env.Name + ".env"}
	}
	out := make([]platform.Var, 0, len(byKey))
	for _, v := range byKey {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if missing != nil && len(missing.Keys) > 0 {
		// A file no key needs is not missed.
		sort.Strings(missing.Keys)
		missing.Vars = out
		return nil, missing
	}
	return out, nil
}

// fromUnrendered supplies the keys of the Secrets a container takes
// whole (envFrom) that the chart does not render — made by kubectl or an
// ExternalSecret operator in the cluster — from the secrets file, which
// stands for them on this machine: every key of the file that the
// container does not set itself, with the source's prefix. Without a
// secrets file a required one is bad input; with a missing one, the
// error names the Secret the file stands for.
func fromUnrendered(byKey map[string]platform.Var, srcs []render.EnvFrom, secrets map[string]string, missing *platform.MissingSecretsError, env, file string) error {
	for _, src := range srcs {
		if src.Kind != "Secret" {
			continue
		}
		switch {
		case missing != nil:
			if !src.Optional {
				missing.Keys = append(missing.Keys, "the keys of Secret "+src.Name)
			}
		case secrets == nil && !src.Optional:
			return fmt.Errorf("%w: environment %q: envFrom Secret %s (%s) is not rendered by the chart and ferry.yaml sets no secretsFile to supply its keys here", platform.ErrBadInput, env, src.Name, src.Template)
		}
		for k, val := range secrets {
			if _, set := byKey[src.Prefix+k]; !set {
				byKey[src.Prefix+k] = platform.Var{Key: src.Prefix + k, Value: val, Secret: true,
					Source: "secretsFile " + file + " (Secret " + src.Name + ")"}
			}
		}
	}
	return nil
}

// DataVar, in a ferry.yaml env value, stands for the environment's data
// directory on this machine, <project>/.ferry/data/<env>.
const DataVar = "${FERRY_DATA}"

// secrets reads env's secrets file: nil when it names none.
func (l *Local) secrets(env *project.Environment) (map[string]string, error) {
	own := Of(env)
	if own.SecretsFile == "" {
		return nil, nil
	}
	name := expandHome(own.SecretsFile)
	vars, err := l.readSecretsFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(l.ProjectDir, name)
		}
		return nil, &platform.MissingSecretsError{Env: env.Name, Path: name, Line: own.SecretsFileLine}
	}
	if err != nil {
		where := project.FileName
		if own.SecretsFileLine > 0 {
			where = fmt.Sprintf("%s:%d", where, own.SecretsFileLine)
		}
		return nil, fmt.Errorf("%w: %s: environment %q: secretsFile: %w", platform.ErrBadInput, where, env.Name, err)
	}
	out := map[string]string{}
	for _, v := range vars {
		out[v.Key] = v.Value
	}
	return out, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return os.ExpandEnv(p)
}

// dataDir makes <project>/.ferry/data/<env> through confine and returns
// its path: the service is handed the path and writes its database
// there, so .ferry (see confine.Root.Ferry), .ferry/data and the
// environment's directory must each be a directory of its own, not a
// link a repository committed to send those writes elsewhere.
func dataDir(projectDir, env string) (string, error) {
	if err := project.ValidName(env); err != nil {
		return "", &confine.Error{Op: "mkdir", Path: path.Join(confine.StateDir, "data", env), Why: err.Error()}
	}
	root, err := confine.Open(projectDir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	fr, err := root.Ferry()
	if err != nil {
		return "", err
	}
	defer fr.Close()
	if err := ownDirs(fr, "data", path.Join("data", env)); err != nil {
		return "", err
	}
	return filepath.Join(fr.Dir(), "data", env), nil
}
