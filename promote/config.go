package promote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"path"
	"sync"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/sentinel"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/sign"
	"github.com/ferrydev/ferry/state"
)

// Config holds what every operation shares.
type Config struct {
	Project *project.Project
	Images  *artifact.Store
	// State is the project's own store (bbolt under .ferry/); a target
	// that implements Stateful keeps its environments' state itself.
	State state.Store
	// Target returns the target of an environment; by default the one
	// platform.Open finds under the environment's `target:`, opened once.
	Target func(env *project.Environment) (platform.Target, error)
	// Render returns an environment's effective configuration;
	// render.Render's by default.
	Render func(ctx context.Context, p *project.Project, env string) (*render.Config, error)
	// Gates are checked by every promotion; DefaultGates() when nil.
	Gates []Gate
	// Hasher fingerprints secrets for the store; by default keyed with
	// the project's key beside the state (.ferry/secret.key, 0600).
	Hasher *secret.Hasher
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// User names who acts, for the history; $USER@host by default.
	User string
	// Command describes the running command to other ferries that find
	// an environment locked.
	Command string
	// HTTPClient runs HTTP smoke steps; a 10s-timeout client by default.
	HTTPClient *http.Client
	// ForceConflicts and MigrateApply are handed to the target with every
	// deploy (platform.Spec): --force-conflicts, --migrate-ssa.
	ForceConflicts, MigrateApply bool
	// HealthTimeout bounds the wait for a new revision to become healthy.
	HealthTimeout time.Duration
	Logger        *slog.Logger
	// Wait, when set, is told about long waits (progress on a TTY); it
	// is handed to targets when they are opened.
	Wait func(what string, elapsed time.Duration)
	// Hook, in tests, is called at the named points of a change (to kill
	// ferry there); exported for platform/kube's kill test.
	Hook func(point string)
	// Guard, when set, starts a process that outlives ferry when a
	// revision goes pending, and finishes the change if ferry dies
	// before it does (recover_guard.go).
	Guard GuardFunc

	mu      sync.Mutex
	guards  map[string]*os.File // per environment, the pipe to its guard
	targets map[string]platform.Target
	// trust is ferry.yaml's trust policy, loaded once.
	trust    *sign.Policy
	trustErr error
}

// Stateful is platform.StoreOwner, under the name promote gave it first.
type Stateful = platform.StoreOwner

// New returns the Config of project p with its state under p.Dir/.ferry
// and each environment on the target its ferry.yaml names. The state
// store and the secret key are reached through confine's .ferry; Open
// also opens the image store that way, refusing a .ferry/images a
// repository planted.
func New(p *project.Project) *Config {
	c := &Config{
		Project: p,
		Images:  artifact.NewStore(p.Dir),
		State:   boltstore.Project(p.Dir),
	}
	c.Target = c.openTarget
	return c
}

// Open is New with the image store opened through confine
// (artifact.OpenStore): a .ferry that is a link, a file or another
// user's, or a link in .ferry/images, is refused (exit 2) before any
// command reads or writes there.
func Open(p *project.Project) (*Config, error) {
	root, err := confine.Open(p.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	images, err := artifact.OpenStore(root)
	if err != nil {
		return nil, err
	}
	c := New(p)
	c.Images = images
	return c, nil
}

// openTarget opens env's target once per target name.
func (c *Config) openTarget(env *project.Environment) (platform.Target, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.targets[env.Target]; ok {
		return t, nil
	}
	t, err := platform.Open(env.Target, platform.Options{Project: c.Project, Images: c.Images, Logger: c.log(), Wait: c.Wait})
	if errors.Is(err, platform.ErrUnknownTarget) {
		return nil, fmt.Errorf("%w: environment %q: %w", ErrInput, env.Name, err)
	}
	if errors.Is(err, platform.ErrBadInput) {
		return nil, err // the target's settings: it names ferry.yaml:line
	}
	if err != nil {
		return nil, fmt.Errorf("environment %q: opening target %s: %w", env.Name, env.Target, err)
	}
	if c.targets == nil {
		c.targets = map[string]platform.Target{}
	}
	c.targets[env.Target] = t
	return t, nil
}

// store returns the state store that keeps env.
func (c *Config) store(env *project.Environment) (state.Store, error) {
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	if s, ok := t.(Stateful); ok {
		return s.Store(env)
	}
	return c.State, nil
}

// storeNamed returns the state store that keeps the environment named
// env.
func (c *Config) storeNamed(env string) (state.Store, error) {
	e, err := c.env(env)
	if err != nil {
		return nil, err
	}
	return c.store(e)
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Config) at(point string) {
	if c.Hook != nil {
		c.Hook(point)
	}
}

func (c *Config) user() string {
	if c.User != "" {
		return c.User
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && name == "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

func (c *Config) render(ctx context.Context, env string) (*render.Config, error) {
	if c.Render != nil {
		return c.Render(ctx, c.Project, env)
	}
	res, err := render.Render(ctx, c.Project, env)
	if err != nil {
		return nil, err
	}
	return res.Config, nil
}

// hasher returns the secret fingerprinter, loading the project's key.
func (c *Config) hasher() (*secret.Hasher, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Hasher != nil {
		return c.Hasher, nil
	}
	key, err := c.loadKey()
	if err != nil {
		return nil, err
	}
	c.Hasher = secret.NewHasher(key)
	return c.Hasher, nil
}

// loadKey reads (or makes) .ferry/secret.key through confine's .ferry.
func (c *Config) loadKey() ([]byte, error) {
	return inFerry(c.Project.Dir, func(fr *confine.Root) ([]byte, error) {
		return secret.LoadOrCreateKeyAt(fr, "secret.key", path.Join(confine.StateDir, "secret.key"))
	})
}

// inFerry runs f on project dir's .ferry, opened through confine.
func inFerry[T any](dir string, f func(fr *confine.Root) (T, error)) (T, error) {
	var zero T
	root, err := confine.Open(dir)
	if err != nil {
		return zero, err
	}
	defer root.Close()
	fr, err := root.Ferry()
	if err != nil {
		return zero, err
	}
	defer fr.Close()
	return f(fr)
}

// lock takes env's lock, then finishes whatever a killed ferry left.
func (c *Config) lock(ctx context.Context, env *project.Environment) (func(), error) {
	st, err := c.store(env)
	if err != nil {
		return nil, err
	}
	cmd := c.Command
	if cmd == "" {
		cmd = "ferry"
	}
	l, err := st.Lock(ctx, env.Name, state.Holder{Command: cmd, User: c.user()})
	if err != nil {
		return nil, err
	}
	release := func() { _ = l.Release(); c.unguard(env.Name) }
	if err := c.recover(ctx, env); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// current returns env's live revision, nil when none.
func (c *Config) current(env *project.Environment) (*state.Revision, error) {
	st, err := c.store(env)
	if err != nil {
		return nil, err
	}
	var cur *state.Revision
	err = st.View(func(tx state.Tx) error {
		cur, err = tx.CurrentRevision(env.Name)
		return err
	})
	return cur, err
}

// update runs fn in one transaction on env's store.
func (c *Config) update(env *project.Environment, fn func(state.Tx) error) error {
	st, err := c.store(env)
	if err != nil {
		return err
	}
	return st.Update(fn)
}

// view runs fn in a read transaction on env's store.
func (c *Config) view(env *project.Environment, fn func(state.Tx) error) error {
	st, err := c.store(env)
	if err != nil {
		return err
	}
	return st.View(fn)
}

// env returns the project's environment name, or ErrInput.
func (c *Config) env(name string) (*project.Environment, error) {
	env, err := c.Project.Env(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	return env, nil
}

// Sentinels for the CLI's exit codes.
var (
	// ErrInput is bad input: a missing secrets file or key, an unknown
	// revision, an environment not on the path. It is the platform's
	// ErrBadInput, so a target's bad input is the user's.
	ErrInput = platform.ErrBadInput
	// ErrGate is a gate that is not met, or a check that failed.
	ErrGate error = &sentinel.Error{Text: "gate not met"}
)
