package envfile

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Config is a resolved set of variables with their provenance. The zero
// value is an empty configuration ready for use.
type Config struct {
	vars map[string]*Var

	// Files lists the files that were read, base first.
	Files []string
	// Warnings holds what GoFr would log at start but not fail on, such as
	// a missing configs/.env.
	Warnings []string
}

// OverlayName returns the overlay file GoFr reads for appEnv: ".<appEnv>.env",
// or ".local.env" when appEnv is empty.
func OverlayName(appEnv string) string {
	if appEnv == "" {
		appEnv = "local"
	}
	return "." + appEnv + ".env"
}

// LoadFiles reads the file layer alone: dir/.env overlaid by the overlay
// that appEnv selects. A missing .env is a warning and a missing overlay is
// ignored, as in GoFr; a file that does not parse is an error (*ParseError).
func LoadFiles(fsys fs.FS, dir, appEnv string) (*Config, error) {
	c := &Config{}
	base := path.Join(dir, ".env")
	vars, err := ReadFile(fsys, base)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Warnings = append(c.Warnings, "no "+base+": only the overlay and the process environment apply")
	case err != nil:
		return nil, err
	default:
		c.Files = append(c.Files, base)
		for _, v := range vars {
			c.Set(v.Key, v.Value, v.Source)
		}
	}

	overlay := path.Join(dir, OverlayName(appEnv))
	vars, err = ReadFile(fsys, overlay)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// GoFr ignores a missing overlay without a word.
	case err != nil:
		return nil, err
	default:
		c.Files = append(c.Files, overlay)
		for _, v := range vars {
			c.Set(v.Key, v.Value, v.Source)
		}
	}
	return c, nil
}

// Load reproduces GoFr's start-up: the overlay is chosen by APP_ENV in
// environ (never by a file), files are read from dir in fsys, and every
// variable of environ wins over the files, even when it is set to empty.
// environ has the form of os.Environ().
func Load(fsys fs.FS, dir string, environ []string) (*Config, error) {
	process := make(map[string]string, len(environ))
	keys := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if _, dup := process[k]; !dup {
			keys = append(keys, k)
		}
		process[k] = v
	}
	c, err := LoadFiles(fsys, dir, process["APP_ENV"])
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		c.Set(k, process[k], Source{})
	}
	return c, nil
}

// Set puts key=value from src on top of the configuration, keeping what it
// replaces in Shadows.
func (c *Config) Set(key, value string, src Source) {
	if c.vars == nil {
		c.vars = make(map[string]*Var)
	}
	nv := &Var{Key: key, Value: value, Source: src}
	if old, ok := c.vars[key]; ok {
		prev := *old
		prev.Shadows = nil
		nv.Shadows = append([]Var{prev}, old.Shadows...)
	}
	c.vars[key] = nv
}

// Delete removes key, as if no layer had set it.
func (c *Config) Delete(key string) { delete(c.vars, key) }

// Var returns the winning definition of key.
func (c *Config) Var(key string) (Var, bool) {
	v, ok := c.vars[key]
	if !ok {
		return Var{}, false
	}
	return *v, true
}

// Lookup returns the value of key and whether any layer set it. As with
// os.LookupEnv, a key set to empty is present.
func (c *Config) Lookup(key string) (string, bool) {
	v, ok := c.vars[key]
	if !ok {
		return "", false
	}
	return v.Value, true
}

// Get returns the value of key, "" when unset (GoFr's Config.Get).
func (c *Config) Get(key string) string {
	v, _ := c.Lookup(key)
	return v
}

// Keys returns every key, sorted.
func (c *Config) Keys() []string {
	keys := make([]string, 0, len(c.vars))
	for k := range c.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Vars returns every variable, sorted by key.
func (c *Config) Vars() []Var {
	out := make([]Var, 0, len(c.vars))
	for _, k := range c.Keys() {
		out = append(out, *c.vars[k])
	}
	return out
}

// Len returns the number of keys.
func (c *Config) Len() int { return len(c.vars) }
