package gitops

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"go.yaml.in/yaml/v3"
)

// envSettings are the gitops target's own keys of an environment's
// ferry.yaml section: the cluster it reads status and pods from
// (context:, timeout:) and the `gitops:` block.
type envSettings struct {
	platform.Cluster `yaml:",inline"`
	// Block is the `gitops:` block as written; GitOps is it decoded.
	Block  yaml.Node `yaml:"gitops"`
	GitOps Settings  `yaml:"-"`
}

// decodeEnv is the gitops target's platform.Decoder.
func decodeEnv(_ *project.Project, e *project.Environment) (any, error) {
	s := &envSettings{}
	if err := e.DecodeSettings("gitops", s); err != nil {
		return nil, err
	}
	if err := s.Check(e); err != nil {
		return nil, err
	}
	var block *yaml.Node
	if s.Block.Kind != 0 {
		block = &s.Block
	}
	var err error
	if s.GitOps, err = Decode(e.Name, block); err != nil {
		return nil, err
	}
	return s, nil
}

// settingsOf returns e's gitops settings, decoding them when nothing has
// (an environment built by hand).
func settingsOf(e *project.Environment) (*envSettings, error) {
	if s, ok := e.Settings.(*envSettings); ok {
		return s, nil
	}
	s, err := decodeEnv(nil, e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", platform.ErrBadInput, err)
	}
	e.Settings = s
	return s.(*envSettings), nil
}

// Engines are the GitOps engines ferry reads status from.
const (
	Flux   = "flux"
	ArgoCD = "argocd"
)

// Settings are one environment's `gitops:` block.
type Settings struct {
	// Repository is the git repository the rendered manifests go to: a
	// URL or a path (relative to the project directory). Empty means the
	// project's own repository (its origin remote).
	Repository string `yaml:"repository"`
	// Branch is the branch to commit to; "main" when empty.
	Branch string `yaml:"branch"`
	// Directory is the environment's directory in the branch;
	// "deploy/<environment>" when empty.
	Directory string `yaml:"directory"`
	// Engine is "flux" (default) or "argocd".
	Engine string `yaml:"engine"`
	// Object is the engine object to watch: a Flux Kustomization or an
	// Argo CD Application. Its name defaults to the environment's name,
	// its namespace to flux-system or argocd.
	Object ObjectRef `yaml:"object"`
	// Author signs the commits; "ferry <ferry@localhost>" when empty.
	Author Author `yaml:"author"`
	// SigningKey is an armored OpenPGP private key (a path relative to
	// the project directory; not passphrase-protected) that signs every
	// commit; unsigned when empty.
	SigningKey string `yaml:"signingKey"`
	// PullRequest, for a protected environment, pushes each change to a
	// new branch (ReviewBranch) instead of Branch and stops: a reviewer
	// merges it, then `ferry promote --resume` waits for the engine and
	// runs the after-deploy gates.
	PullRequest bool `yaml:"pullRequest"`

	line int
}

// ObjectRef names an engine object.
type ObjectRef struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

// Author is a commit's author.
type Author struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

// Decode reads environment env's `gitops:` block (nil: all defaults),
// rejecting unknown keys and bad values with ferry.yaml:line.
func Decode(env string, n *yaml.Node) (Settings, error) {
	var s Settings
	if n != nil {
		s.line = n.Line
		if err := known(n, env, "gitops", "repository", "branch", "directory", "engine", "object", "author", "signingKey", "pullRequest"); err != nil {
			return s, err
		}
		for _, sub := range []struct {
			key  string
			keys []string
		}{
			{"object", []string{"name", "namespace"}},
			{"author", []string{"name", "email"}},
		} {
			if v := value(n, sub.key); v != nil {
				if err := known(v, env, "gitops."+sub.key, sub.keys...); err != nil {
					return s, err
				}
			}
		}
		if v := value(n, "pullRequest"); v != nil && v.ShortTag() != "!!bool" {
			return s, fmt.Errorf("%s:%d: environment %q: gitops.pullRequest: %q is neither true nor false", project.FileName, v.Line, env, v.Value)
		}
		if err := n.Decode(&s); err != nil {
			return s, fmt.Errorf("%s:%d: environment %q: gitops: %s", project.FileName, n.Line, env, strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	s.defaults(env)
	bad := func(key, msg string) error {
		line := s.line
		if n != nil {
			if v := value(n, key); v != nil {
				line = v.Line
			}
		}
		return fmt.Errorf("%s:%d: environment %q: gitops.%s: %s", project.FileName, line, env, key, msg)
	}
	if !slices.Contains([]string{Flux, ArgoCD}, s.Engine) {
		return s, bad("engine", fmt.Sprintf("%q is neither flux nor argocd", s.Engine))
	}
	clean := path.Clean(s.Directory)
	if path.IsAbs(s.Directory) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return s, bad("directory", fmt.Sprintf("%q must be a directory inside the repository", s.Directory))
	}
	s.Directory = clean
	if strings.ContainsAny(s.Branch, " ~^:?*[\\") || strings.HasPrefix(s.Branch, "-") {
		return s, bad("branch", fmt.Sprintf("%q is not a branch name", s.Branch))
	}
	return s, nil
}

func (s *Settings) defaults(env string) {
	if s.Branch == "" {
		s.Branch = "main"
	}
	if s.Directory == "" {
		s.Directory = "deploy/" + env
	}
	if s.Engine == "" {
		s.Engine = Flux
	}
	if s.Object.Name == "" {
		s.Object.Name = env
	}
	if s.Object.Namespace == "" {
		s.Object.Namespace = "flux-system"
		if s.Engine == ArgoCD {
			s.Object.Namespace = "argocd"
		}
	}
	if s.Author.Name == "" {
		s.Author.Name = "ferry"
	}
	if s.Author.Email == "" {
		s.Author.Email = "ferry@localhost"
	}
}

// known fails on the first key of mapping n not in keys.
func known(n *yaml.Node, env, where string, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: environment %q: %s must be a mapping", project.FileName, n.Line, env, where)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(keys, k.Value) {
			return fmt.Errorf("%s:%d: environment %q: %s: unknown field %q (known: %s)", project.FileName, k.Line, env, where, k.Value, strings.Join(keys, ", "))
		}
	}
	return nil
}

func value(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
