package promote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
)

// Desired is an environment's configuration as the repository says,
// ready to run on its target: the effective config with what the target
// adds (the local target: ferry.yaml's env and the secrets file).
type Desired struct {
	Vars []platform.Var // values in the clear; secrets too
}

// Map returns key → value.
func (d *Desired) Map() map[string]string {
	m := make(map[string]string, len(d.Vars))
	for _, e := range d.Vars {
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

// snapshot returns the entries as stored: secrets as keyed hashes.
func (c *Config) snapshot(d *Desired) ([]state.Entry, error) {
	h, err := c.hasher()
	if err != nil {
		return nil, err
	}
	out := make([]state.Entry, len(d.Vars))
	for i, v := range d.Vars {
		// A secret by its name or by its value (a DSN with a password, a
		// token) is stored as its keyed hash, whatever the target said.
		sec := v.Secret || secret.Is(v.Key, v.Value)
		out[i] = state.Entry{Key: v.Key, Value: v.Value, Secret: sec, Source: v.Source}
		if sec {
			out[i].Value = h.Sum(v.Value)
		}
	}
	return out, nil
}

// sameSecret says whether the clear value v is the one stored as sum:
// an HMAC under the project's key, or a bare sha256 written by an older
// ferry.
func (c *Config) sameSecret(v, sum string) bool {
	if rest, ok := strings.CutPrefix(sum, "sha256:"); ok {
		s := sha256.Sum256([]byte(v))
		return hex.EncodeToString(s[:]) == rest
	}
	h, err := c.hasher()
	return err == nil && h.Sum(v) == sum
}

// desired computes env's configuration now.
func (c *Config) desired(ctx context.Context, env *project.Environment) (*Desired, error) {
	cfg, err := c.render(ctx, env.Name)
	if err != nil {
		return nil, fmt.Errorf("%w: rendering %q: %w", ErrInput, env.Name, err)
	}
	t, err := c.Target(env)
	if err != nil {
		return nil, err
	}
	vars, err := t.Desired(ctx, env, cfg)
	if err != nil {
		return nil, err
	}
	return &Desired{Vars: vars}, nil
}

// desiredForRead is desired for commands that only read (verify, drift,
// a dry run): without the environment's secrets file the keys it should
// supply are valued platform.MissingSecret(path), and missing says so.
func (c *Config) desiredForRead(ctx context.Context, env *project.Environment) (d *Desired, missing *platform.MissingSecretsError, err error) {
	d, err = c.desired(ctx, env)
	if errors.As(err, &missing) {
		return &Desired{Vars: missing.Vars}, missing, nil
	}
	return d, nil, err
}

// fromSnapshot rebuilds a revision's configuration: its stored values,
// and each secret from today's configuration (the repository, the
// secrets file), provided the value still hashes to what was stored.
func (c *Config) fromSnapshot(ctx context.Context, env *project.Environment, rev *state.Revision) (*Desired, error) {
	var now map[string]string
	d := &Desired{}
	for _, e := range rev.Config {
		v := platform.Var{Key: e.Key, Value: e.Value, Secret: e.Secret, Source: e.Source}
		if e.Secret {
			if now == nil {
				cur, err := c.desired(ctx, env)
				if err != nil {
					return nil, err
				}
				now = cur.Map()
			}
			if cv, ok := now[e.Key]; !ok || !c.sameSecret(cv, e.Value) {
				return nil, fmt.Errorf("%w: environment %q revision %d: secret %s has changed since (its value no longer matches the stored hash)", ErrInput, env.Name, rev.Number, e.Key)
			}
			v.Value = now[e.Key]
		}
		d.Vars = append(d.Vars, v)
	}
	return d, nil
}
