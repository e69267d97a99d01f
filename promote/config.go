package promote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/internal/state"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/platform/local"
)

// Config holds what every operation shares.
type Config struct {
	Project *project.Project
	Images  *artifact.Store
	State   *state.Store
	// LockDir holds the per-environment lock files.
	LockDir string
	// Local is the local target New set up (nil otherwise), for callers
	// that tune it (progress on a terminal).
	Local *local.Local
	// Target returns the target of an environment.
	Target func(env *project.Environment) (target.Target, error)
	// Render returns an environment's effective configuration;
	// render.Render's by default.
	Render func(ctx context.Context, p *project.Project, env string) (*render.Config, error)
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// User names who acts, for the history; $USER@host by default.
	User string
	// Command describes the running command to other ferries that find
	// an environment locked.
	Command string
	// HTTPClient runs HTTP smoke steps; a 10s-timeout client by default.
	HTTPClient *http.Client
	// HealthTimeout bounds the wait for a new revision to become healthy.
	HealthTimeout time.Duration
	Logger        *slog.Logger
	// hook, in tests, is called at the named points of a change (to kill
	// ferry there).
	hook func(point string)
}

// New returns the Config of project p with its state under p.Dir/.ferry
// and every environment on the local target.
func New(p *project.Project) *Config {
	images := artifact.NewStore(p.Dir)
	loc := local.New(p.Dir, images)
	return &Config{
		Project: p,
		Images:  images,
		State:   state.New(filepath.Join(p.Dir, ".ferry", "state.db")),
		LockDir: filepath.Join(p.Dir, ".ferry", "locks"),
		Local:   loc,
		Target: func(env *project.Environment) (target.Target, error) {
			if env.Target != "local" {
				return nil, fmt.Errorf("%w: environment %q: target %q is not supported yet (only local)", ErrInput, env.Name, env.Target)
			}
			return loc, nil
		},
	}
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
	if c.hook != nil {
		c.hook(point)
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

// lock takes env's lock, then finishes whatever a killed ferry left.
func (c *Config) lock(ctx context.Context, env *project.Environment) (func(), error) {
	cmd := c.Command
	if cmd == "" {
		cmd = "ferry"
	}
	l, err := state.Acquire(c.LockDir, env.Name, state.Holder{Command: cmd, User: c.user()})
	if err != nil {
		return nil, err
	}
	release := func() { _ = l.Release() }
	if err := c.recover(ctx, env); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// Sentinels for the CLI's exit codes.
var (
	// ErrInput is bad input: a missing secrets file or key, an unknown
	// revision, an environment not on the path.
	ErrInput = errors.New("bad input")
	// ErrGate is a gate that is not met, or a check that failed.
	ErrGate = errors.New("gate not met")
)

// Desired is an environment's configuration as the repository says,
// ready to run: the effective config, ferry.yaml env overrides on top,
// and external secrets from the secrets file.
type Desired struct {
	Entries []state.Entry // values in the clear; secrets too
}

// Map returns key → value.
func (d *Desired) Map() map[string]string {
	m := make(map[string]string, len(d.Entries))
	for _, e := range d.Entries {
		m[e.Key] = e.Value
	}
	return m
}

// Port is the HTTP port the configuration serves on (GoFr's 8000 by
// default).
func (d *Desired) Port() int {
	n, err := strconv.Atoi(d.Map()["HTTP_PORT"])
	if err != nil {
		return 8000
	}
	return n
}

// Snapshot returns the entries as stored: secrets as hashes.
func (d *Desired) Snapshot() []state.Entry {
	out := make([]state.Entry, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = e
		if e.Secret {
			out[i].Value = Hash(e.Value)
		}
	}
	return out
}

// Vars returns the process environment.
func (d *Desired) Vars() []target.Var {
	out := make([]target.Var, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = target.Var{Key: e.Key, Value: e.Value, Secret: e.Secret}
	}
	return out
}

// Hash is how a secret is stored and compared: never the value itself.
func Hash(v string) string {
	s := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(s[:])
}

// desired computes env's configuration now.
func (c *Config) desired(ctx context.Context, env *project.Environment) (*Desired, error) {
	cfg, err := c.render(ctx, env.Name)
	if err != nil {
		return nil, fmt.Errorf("%w: rendering %q: %w", ErrInput, env.Name, err)
	}
	secrets, err := c.secrets(env)
	if err != nil {
		return nil, err
	}
	byKey := map[string]state.Entry{}
	for _, e := range cfg.Entries {
		se := state.Entry{Key: e.Key, Value: e.Value, Secret: e.Secret, Source: e.Source.String()}
		if e.External {
			if e.Source.Kind == render.KindRuntime {
				continue // a fieldRef has no meaning on this machine
			}
			if _, ok := env.Env[e.Key]; ok {
				continue // ferry.yaml's env sets it for this machine
			}
			v, ok := secrets[e.Key]
			if !ok {
				if secrets == nil {
					return nil, fmt.Errorf("%w: environment %q: %s needs a value (%s) and ferry.yaml sets no secretsFile for it", ErrInput, env.Name, e.Key, se.Source)
				}
				return nil, fmt.Errorf("%w: environment %q: secrets file %s has no %s (%s)", ErrInput, env.Name, env.SecretsFile, e.Key, se.Source)
			}
			se.Value, se.Source = v, "secretsFile "+env.SecretsFile
		}
		byKey[e.Key] = se
	}
	for k, v := range env.Env {
		if strings.Contains(v, dataVar) {
			// Each environment gets its own data directory on this
			// machine, for SQLite files and the like.
			dir := filepath.Join(c.Project.Dir, ".ferry", "data", env.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("environment %q: data directory: %w", env.Name, err)
			}
			v = strings.ReplaceAll(v, dataVar, dir)
		}
		old, had := byKey[k]
		byKey[k] = state.Entry{Key: k, Value: v, Secret: (had && old.Secret) || isSensitive(k), Source: project.FileName + " environments." + env.Name + ".env"}
	}
	d := &Desired{}
	for _, e := range byKey {
		d.Entries = append(d.Entries, e)
	}
	sort.Slice(d.Entries, func(i, j int) bool { return d.Entries[i].Key < d.Entries[j].Key })
	return d, nil
}

// dataVar, in a ferry.yaml env value, stands for the environment's data
// directory, <project>/.ferry/data/<env>.
const dataVar = "${FERRY_DATA}"

// secrets reads env's secrets file: nil when it names none.
func (c *Config) secrets(env *project.Environment) (map[string]string, error) {
	if env.SecretsFile == "" {
		return nil, nil
	}
	path := expandHome(env.SecretsFile)
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Project.Dir, path)
	}
	vars, err := envfile.ReadFile(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("%w: environment %q: secrets file: %w", ErrInput, env.Name, err)
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

// fromSnapshot rebuilds a revision's configuration: its stored values,
// and each secret from the secrets file or the repository, provided the
// value still hashes to what was stored.
func (c *Config) fromSnapshot(ctx context.Context, env *project.Environment, rev *state.Revision) (*Desired, error) {
	var secrets map[string]string
	var now map[string]string
	d := &Desired{}
	for _, e := range rev.Config {
		if e.Secret {
			if secrets == nil {
				s, err := c.secrets(env)
				if err != nil {
					return nil, err
				}
				secrets = s
				if secrets == nil {
					secrets = map[string]string{}
				}
				if cur, err := c.desired(ctx, env); err == nil {
					now = cur.Map()
				}
			}
			switch {
			case Hash(secrets[e.Key]) == e.Value:
				e.Value = secrets[e.Key]
			case now != nil && Hash(now[e.Key]) == e.Value:
				e.Value = now[e.Key]
			default:
				return nil, fmt.Errorf("%w: environment %q revision %d: secret %s has changed since (its value no longer matches the stored hash)", ErrInput, env.Name, rev.Number, e.Key)
			}
		}
		d.Entries = append(d.Entries, e)
	}
	return d, nil
}
