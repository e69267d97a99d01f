package gitops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/state"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func init() {
	platform.Register("gitops", platform.Registration{Decode: decodeEnv, Open: func(o platform.Options) (platform.Target, error) {
		return &Target{p: o.Project, log: o.Logger, wait: o.Wait}, nil
	}})
}

// Target is the gitops platform.Target: ferry.yaml's `target: gitops`.
// It writes git and reads the cluster; it never writes the cluster.
type Target struct {
	p    *project.Project
	log  *slog.Logger
	wait func(string, time.Duration)
	// Kubeconfig, when set, overrides the kubeconfig loading rules
	// (tests).
	Kubeconfig string
	// Poll is how often the engine's status is read; 1s when zero.
	Poll time.Duration
	// State is where promote keeps the revisions (who, gates) that go
	// into ferry.json; the project's .ferry/state.db when nil.
	State state.Store

	histMu sync.Mutex
	hist   map[string]gitHistory // each environment's commits, read once
}

// New returns the gitops target of project p.
func New(p *project.Project, kubeconfig string) *Target {
	return &Target{p: p, Kubeconfig: kubeconfig}
}

// Name implements platform.Target.
func (t *Target) Name() string { return "gitops" }

// Settings returns environment env's decoded `gitops:` block and its
// repository.
func (t *Target) Settings(env string) (Settings, *Repo, error) {
	e, err := t.p.Env(env)
	if err != nil {
		return Settings{}, nil, fmt.Errorf("%w: %w", platform.ErrBadInput, err)
	}
	own, err := settingsOf(e)
	if err != nil {
		return Settings{}, nil, err
	}
	s := own.GitOps
	url := s.Repository
	switch {
	case url == "":
		if url, err = originOf(t.p.Dir); err != nil {
			return s, nil, fmt.Errorf("%w: environment %q: gitops.repository is not set and %w", platform.ErrBadInput, env, err)
		}
	case !strings.Contains(url, "://") && !strings.Contains(url, "@") && !filepath.IsAbs(url):
		url = filepath.Join(t.p.Dir, url)
	}
	return s, &Repo{URL: url, Branch: s.Branch}, nil
}

// originOf returns the URL of the origin remote of the repository that
// holds dir.
func originOf(dir string) (string, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", fmt.Errorf("the project is not in a git repository")
	}
	o, err := r.Remote("origin")
	if err != nil || len(o.Config().URLs) == 0 {
		return "", fmt.Errorf("the project's repository has no origin remote")
	}
	return o.Config().URLs[0], nil
}

// sourceCommit returns the project repository's HEAD, "" outside git.
func sourceCommit(dir string) string {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	h, err := r.Head()
	if err != nil {
		return ""
	}
	return h.Hash().String()
}

func (t *Target) envOf(q platform.Query) (*project.Environment, error) {
	if q.Environment != nil {
		return q.Environment, nil
	}
	e, err := t.p.Env(q.Env)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", platform.ErrBadInput, err)
	}
	return e, nil
}

// clients returns read clients for env's cluster.
func (t *Target) clients(env *project.Environment) (kubeReader, dynamic.Interface, error) {
	own, err := settingsOf(env)
	if err != nil {
		return nil, nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if t.Kubeconfig != "" {
		rules.ExplicitPath = t.Kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: own.Context}).ClientConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: environment %s: kubeconfig: %w", platform.ErrBadInput, env.Name, err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	kc, err := newKubeReader(cfg)
	if err != nil {
		return nil, nil, err
	}
	dc, err := dynamic.NewForConfig(cfg)
	return kc, dc, err
}

// Desired implements platform.Target: the configuration that reaches
// the container through its pod spec. Keys only the image's config
// files set are left out; a Secret or ConfigMap the chart references but
// does not render is read from the cluster (read-only).
func (t *Target) Desired(ctx context.Context, e *project.Environment, eff *render.Config) ([]platform.Var, error) {
	var objs *objects
	var out []platform.Var
	for _, en := range eff.Entries {
		v := platform.Var{Key: en.Key, Value: en.Value, Secret: en.Secret, Source: en.Source.String()}
		switch en.Source.Kind {
		case render.KindFile, render.KindRuntime:
			continue
		case render.KindExternal:
			if objs == nil {
				kc, _, err := t.clients(e)
				if err != nil {
					return nil, err
				}
				objs = newObjects(ctx, kc, namespaceOf(e))
			}
			kind, ref, _ := strings.Cut(en.Source.Detail, " ")
			name, key, _ := strings.Cut(ref, "/")
			v.Value = objs.get(kind, name)[key]
		}
		out = append(out, v)
	}
	return out, nil
}

func namespaceOf(e *project.Environment) string {
	if e.Namespace != "" {
		return e.Namespace
	}
	return e.Name
}

// revision returns what promote recorded about revision n of env (who,
// why, which gates), nil when the store has nothing.
func (t *Target) revision(env string, n int) *state.Revision {
	st := t.State
	if st == nil {
		st = boltstore.Project(t.p.Dir)
	}
	var out *state.Revision
	_ = st.View(func(tx state.Tx) error {
		r, err := tx.Get(env, n)
		out = r
		return err
	})
	return out
}

// Deploy implements platform.Target: commit the environment's rendered
// manifests (or, for a rollback, the earlier revision's), push, and wait
// until the engine has applied that commit and the pods run the digest.
// When the engine refuses the commit or the wait runs out, a commit
// restoring the previous manifests is pushed (never a force-push) and a
// *platform.DeployError carries the engine's message. In pull-request
// mode a change goes to a review branch and Deploy returns a
// *ReviewError at once (Resume takes it from there).
func (t *Target) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	env := s.Environment
	set, repo, err := t.Settings(env.Name)
	if err != nil {
		return nil, err
	}
	m := Meta{Environment: env.Name, Revision: s.Revision, Action: "deploy", Digest: s.Digest, Tag: s.Tag, SourceCommit: sourceCommit(t.p.Dir)}
	if r := t.revision(env.Name, s.Revision); r != nil {
		m.Action, m.PromotedFrom, m.RollbackOf, m.By = r.Action, r.PromotedFrom, r.RollbackOf, r.By
		for _, g := range r.Gates {
			if g.Passed {
				m.Gates = append(m.Gates, g.Name)
			}
		}
	}
	start := time.Now()
	files, err := t.files(ctx, env, set, repo, m)
	if err != nil {
		return nil, err
	}
	key, err := t.signKey(set)
	if err != nil {
		return nil, err
	}
	ch := Change{Dir: set.Directory, Files: files, Message: message(m), Author: signature(set), SignKey: key}
	var c *Commit
	if set.PullRequest {
		branch := ReviewBranch(env.Name, s.Revision, s.Digest)
		if c, err = repo.WriteBranch(ctx, ch, branch); err != nil {
			return nil, fmt.Errorf("environment %s: %w", env.Name, err)
		}
		if c.Changed {
			return nil, &ReviewError{Env: env.Name, Revision: s.Revision, Repo: repo.URL, Base: set.Branch, Branch: branch, Commit: c.Hash, Dir: set.Directory}
		}
		// Nothing to review: the branch already holds these manifests.
	} else if c, err = repo.Write(ctx, ch); err != nil {
		return nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	timeout, err := rolloutTimeout(s, env)
	if err != nil {
		return nil, err
	}
	live, err := t.await(ctx, env, set, files, c.Hash, s.Digest, timeout)
	if err != nil {
		de := &platform.DeployError{Env: env.Name, Revision: s.Revision, Reason: err.Error()}
		if c.Changed {
			de.Restored = t.revert(ctx, repo, set, c.Hash) == nil
		}
		return nil, de
	}
	return &platform.Rollout{Instances: live.Instances, Startup: time.Since(start)}, nil
}

// files returns what the deploy commits: the rendered manifests, or for
// a rollback the manifests of the commit that deployed the revision
// rolled back to, with a new ferry.json.
func (t *Target) files(ctx context.Context, env *project.Environment, set Settings, repo *Repo, m Meta) (Files, error) {
	if m.RollbackOf == 0 {
		return Manifests(ctx, t.p, env, t.repoName(), m)
	}
	log, err := repo.Log(ctx, set.Directory, 0)
	if err != nil {
		return nil, err
	}
	for _, e := range log {
		if e.Meta != nil && e.Meta.Revision == m.RollbackOf {
			files, err := repo.Files(ctx, e.Commit, set.Directory)
			if err != nil {
				return nil, err
			}
			m.Image = e.Meta.Image
			b, err := metaJSON(m)
			files[MetaFile] = b
			return files, err
		}
	}
	// The revision was never committed here (made before the environment
	// moved to gitops): render it again.
	return Manifests(ctx, t.p, env, t.repoName(), m)
}

func (t *Target) repoName() string {
	if t.p.Image != "" {
		return t.p.Image
	}
	return t.p.Service
}

// signKey reads the environment's signing key, nil when none is set.
func (t *Target) signKey(set Settings) (*openpgp.Entity, error) {
	if set.SigningKey == "" {
		return nil, nil
	}
	f := set.SigningKey
	if !filepath.IsAbs(f) {
		f = filepath.Join(t.p.Dir, f)
	}
	r, err := os.Open(f)
	if err != nil {
		return nil, fmt.Errorf("%w: gitops.signingKey: %w", platform.ErrBadInput, err)
	}
	defer r.Close()
	ring, err := openpgp.ReadArmoredKeyRing(r)
	if err != nil || len(ring) == 0 || ring[0].PrivateKey == nil {
		return nil, fmt.Errorf("%w: gitops.signingKey %s: not an armored OpenPGP private key (%v)", platform.ErrBadInput, set.SigningKey, err)
	}
	if ring[0].PrivateKey.Encrypted {
		return nil, fmt.Errorf("%w: gitops.signingKey %s is passphrase-protected; ferry needs a key it can use unattended", platform.ErrBadInput, set.SigningKey)
	}
	return ring[0], nil
}

func signature(s Settings) object.Signature {
	return object.Signature{Name: s.Author.Name, Email: s.Author.Email, When: time.Now()}
}

// message is the commit message: what, where from, who, which gates.
func message(m Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: revision %d, %s", m.Action, m.Environment, m.Revision, short(strings.TrimPrefix(m.Digest, "sha256:")))
	if m.Tag != "" {
		fmt.Fprintf(&b, " (%s)", m.Tag)
	}
	switch {
	case m.PromotedFrom != "":
		fmt.Fprintf(&b, " from %s", m.PromotedFrom)
	case m.RollbackOf > 0:
		fmt.Fprintf(&b, " restoring revision %d", m.RollbackOf)
	}
	b.WriteString("\n\n")
	if m.By != "" {
		fmt.Fprintf(&b, "By: %s\n", m.By)
	}
	if m.SourceCommit != "" {
		fmt.Fprintf(&b, "Source-Commit: %s\n", m.SourceCommit)
	}
	for _, g := range m.Gates {
		fmt.Fprintf(&b, "Gate-Passed: %s\n", g)
	}
	return b.String()
}

// revert pushes a commit that puts back the manifests commit replaced.
func (t *Target) revert(ctx context.Context, repo *Repo, set Settings, commit string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	log, err := repo.Log(ctx, set.Directory, 2)
	if err != nil {
		return err
	}
	if len(log) == 0 || log[0].Commit != commit {
		return fmt.Errorf("%s moved on since %s: not reverting", set.Directory, short(commit))
	}
	files := Files{}
	if len(log) > 1 {
		if files, err = repo.Files(ctx, log[1].Commit, set.Directory); err != nil {
			return err
		}
	}
	_, err = repo.Write(ctx, Change{Dir: set.Directory, Files: files,
		Message: fmt.Sprintf("revert %s: the engine did not apply it healthy", short(commit)), Author: signature(set)})
	return err
}

// await polls the engine until it reports commit applied and healthy and
// the workloads' pods all run digest, ready; it stops at timeout, or
// early when the engine refuses the commit.
func (t *Target) await(ctx context.Context, env *project.Environment, set Settings, files Files, commit, digest string, timeout time.Duration) (*platform.Live, error) {
	kc, dc, err := t.clients(env)
	if err != nil {
		return nil, err
	}
	poll := t.Poll
	if poll == 0 {
		poll = time.Second
	}
	start := time.Now()
	last := ""
	for {
		st, err := ReadStatus(ctx, dc, set)
		switch {
		case err != nil:
			last = err.Error()
		case st.FailedAt(commit):
			return nil, fmt.Errorf("%s %s/%s refused commit %s: %s", engineName(set), set.Object.Namespace, set.Object.Name, short(commit), st.Message)
		case st.Done(commit):
			l, err := t.live(ctx, kc, env, files)
			switch {
			case err != nil:
				last = err.Error()
			case l.Digest == digest && allReady(l):
				return l, nil
			default:
				last = fmt.Sprintf("applied; pods: %s", podSummary(l, digest))
			}
		default:
			last = st.String()
		}
		elapsed := time.Since(start)
		if t.wait != nil {
			t.wait(fmt.Sprintf("%s: %s applying %s (%s)", env.Name, engineName(set), short(commit), last), elapsed)
		}
		if elapsed >= timeout {
			return nil, fmt.Errorf("%s %s/%s did not apply commit %s with every pod ready on the digest within %s; last: %s",
				engineName(set), set.Object.Namespace, set.Object.Name, short(commit), timeout, last)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(poll, timeout-elapsed)):
		}
	}
}

func engineName(s Settings) string {
	if s.Engine == ArgoCD {
		return "Argo CD Application"
	}
	return "Flux Kustomization"
}

func allReady(l *platform.Live) bool {
	for _, in := range l.Instances {
		if !in.Ready {
			return false
		}
	}
	return len(l.Instances) > 0
}

func podSummary(l *platform.Live, digest string) string {
	ready, on := 0, 0
	for _, in := range l.Instances {
		if in.Ready {
			ready++
		}
		if in.Digest == digest {
			on++
		}
	}
	return fmt.Sprintf("%d pods, %d ready, %d on %s", len(l.Instances), ready, on, short(strings.TrimPrefix(digest, "sha256:")))
}

// committed returns the environment's manifests at the branch's head and
// the commit, nil when nothing was committed.
func (t *Target) committed(ctx context.Context, env string) (Settings, Files, *Entry, error) {
	set, repo, err := t.Settings(env)
	if err != nil {
		return set, nil, nil, err
	}
	log, err := repo.Log(ctx, set.Directory, 1)
	if err != nil || len(log) == 0 {
		return set, nil, nil, err
	}
	files, err := repo.Files(ctx, log[0].Commit, set.Directory)
	return set, files, &log[0], err
}

// Live implements platform.Target: the pods of the workloads committed
// for the environment, and health with the committed and applied
// revisions side by side.
func (t *Target) Live(ctx context.Context, q platform.Query) (*platform.Live, error) {
	env, err := t.envOf(q)
	if err != nil {
		return nil, err
	}
	set, files, head, err := t.committed(ctx, env.Name)
	if err != nil {
		return nil, err
	}
	if head == nil || len(files) == 0 {
		return nil, fmt.Errorf("%w: nothing is committed for %s in %s", platform.ErrNotRunning, env.Name, set.Directory)
	}
	kc, dc, err := t.clients(env)
	if err != nil {
		return nil, err
	}
	l, err := t.live(ctx, kc, env, files)
	if err != nil {
		return nil, err
	}
	if len(l.Instances) == 0 {
		return nil, fmt.Errorf("%w: no pods of %s's committed workloads", platform.ErrNotRunning, env.Name)
	}
	l.Health, l.HealthDetail = t.health(ctx, env, set, dc, l, head)
	return l, nil
}

// Health implements platform.Target.
func (t *Target) Health(ctx context.Context, q platform.Query) (platform.Health, string) {
	l, err := t.Live(ctx, q)
	if err != nil {
		return platform.HealthDown, err.Error()
	}
	return l.Health, l.HealthDetail
}

func (t *Target) health(ctx context.Context, env *project.Environment, set Settings, dc dynamic.Interface, l *platform.Live, head *Entry) (platform.Health, string) {
	side := "committed " + short(head.Commit)
	st, err := ReadStatus(ctx, dc, set)
	if err != nil {
		return platform.HealthUnknown, side + "; " + err.Error()
	}
	side += fmt.Sprintf(", %s %s", engineName(set), st)
	var notReady []string
	for _, in := range l.Instances {
		if !in.Ready {
			notReady = append(notReady, in.Name)
		}
	}
	switch {
	case len(notReady) > 0:
		return platform.HealthDown, "pods not ready: " + strings.Join(notReady, ", ") + "; " + side
	case st.Failed:
		return platform.HealthDegraded, side
	case strings.HasPrefix(env.Health, "http://") || strings.HasPrefix(env.Health, "https://"):
		h, why := platform.CheckHTTP(ctx, nil, env.Health)
		return h, why + "; " + side
	}
	return platform.HealthUp, side
}

// Revisions implements platform.Target: the ferry revision the
// environment's pods run.
func (t *Target) Revisions(ctx context.Context, env string) ([]int, error) {
	l, err := t.Live(ctx, platform.Query{Env: env})
	if errors.Is(err, platform.ErrNotRunning) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.Revision == 0 {
		return nil, nil
	}
	return []int{l.Revision}, nil
}

// Stop implements platform.Target. Older revisions are the engine's to
// retire, so only keep == 0 (ferry down) does anything: a commit that
// removes the environment's manifests, which the engine prunes.
func (t *Target) Stop(ctx context.Context, env string, keep int) error {
	if keep != 0 {
		return nil
	}
	set, repo, err := t.Settings(env)
	if err != nil {
		return err
	}
	_, err = repo.Write(ctx, Change{Dir: set.Directory, Files: Files{}, Message: "down " + env + ": remove its manifests", Author: signature(set)})
	return err
}

// rolloutTimeout bounds the wait for the engine: the spec's health
// timeout, else the environment's timeout:, else 5 minutes.
func rolloutTimeout(s platform.Spec, env *project.Environment) (time.Duration, error) {
	if s.HealthTimeout != 0 {
		return s.HealthTimeout, nil
	}
	own, err := settingsOf(env)
	if err != nil {
		return 0, err
	}
	return own.RolloutTimeout(5 * time.Minute), nil
}
