package check

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// entry returns key's effective entry in env. An empty value counts as
// unset for GoFr's GetOrDefault, which is how every key below is read.
func (e *Env) entry(key string) (render.Entry, bool) {
	if e.Result == nil {
		return render.Entry{}, false
	}
	en, ok := e.Result.Config.Get(key)
	return en, ok
}

// value returns key's value in env when it is set to something known.
func (e *Env) value(key string) (string, bool) {
	en, ok := e.entry(key)
	if !ok || en.External || en.Value == "" {
		return "", false
	}
	return en.Value, true
}

// external reports whether key is set but its value is known only at run
// time (a Secret the chart does not render, a fieldRef).
func (e *Env) external(key string) bool {
	en, ok := e.entry(key)
	return ok && en.External
}

// loc is key's location in env; a key that is unset is located at def,
// the default GoFr fills in ("" when there is none).
func (e *Env) loc(key, def string) Location {
	en, ok := e.entry(key)
	if !ok || (en.Value == "" && !en.External) {
		l := Location{Environment: e.Name, Key: key, Source: "unset"}
		if def != "" {
			l.Value, l.Source = def, "GoFr default"
		}
		return l
	}
	return Location{
		Environment: e.Name, Key: key, Value: en.Display(),
		Source: en.Source.String(), File: en.Source.File, Line: en.Source.Line,
	}
}

// valuesLoc locates a chart values path ("image.tag") in env.
func (e *Env) valuesLoc(path, value string) Location {
	l := Location{Environment: e.Name, Key: path, Value: value, Source: "unknown"}
	if e.Result != nil {
		if s, ok := e.Result.ValueSources[path]; ok {
			l.Source, l.File, l.Line = s.String(), s.File, s.Line
		}
	}
	return l
}

// dir is the project directory files are read from; "" when there is
// no project.
func (in *Input) dir() string {
	if in.Project == nil {
		return ""
	}
	return in.Project.Dir
}

// primary returns env's primary workload, if the chart renders one.
func (e *Env) primary() *render.Workload {
	if e.Result == nil {
		return nil
	}
	return e.Result.PrimaryWorkload()
}

// renderContainer is a rendered container.
type renderContainer = render.Container

// names returns the environments' names.
func names(envs []*Env) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.Name
	}
	return out
}

// last returns the last environment of the promotion path.
func (in *Input) last() *Env {
	if in.Project == nil {
		return nil
	}
	name := in.Project.Last()
	for _, e := range in.Envs {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// normHost makes host names comparable: DNS is case-insensitive and a
// trailing dot names the same (fully qualified) host.
func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// normPort makes "05432" and "5432" the same port.
func normPort(p string) string {
	p = strings.TrimSpace(p)
	if n, ok := smallDecimal(p); ok {
		// What the Sscanf below makes of plain digits, without fmt's cost.
		if s := strconv.Itoa(n); s == strings.TrimLeft(p, "0") {
			return s
		}
		return p
	}
	var n int
	if _, err := fmt.Sscanf(p, "%d", &n); err == nil && fmt.Sprint(n) == strings.TrimLeft(p, "0") {
		return fmt.Sprint(n)
	}
	return p
}

// smallDecimal is p's value when p is 1 to 18 ASCII digits, which fit an
// int.
func smallDecimal(p string) (int, bool) {
	if p == "" || len(p) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// shared groups environments by an identity; ident returns ok=false for an
// environment that has no such identity (the datasource is off, or a part
// is known only at run time).
type shared struct {
	order []string
	envs  map[string][]*Env
}

func groupBy(envs []*Env, ident func(*Env) (string, bool)) *shared {
	s := &shared{envs: map[string][]*Env{}}
	for _, e := range envs {
		id, ok := ident(e)
		if !ok {
			continue
		}
		if _, seen := s.envs[id]; !seen {
			s.order = append(s.order, id)
		}
		s.envs[id] = append(s.envs[id], e)
	}
	return s
}

// groups returns the identities two or more environments share.
func (s *shared) groups() [][]*Env {
	var out [][]*Env
	for _, id := range s.order {
		if len(s.envs[id]) > 1 {
			out = append(out, s.envs[id])
		}
	}
	return out
}

// locs locates keys in each of envs.
func locs(envs []*Env, keys []string, defs map[string]string) []Location {
	var out []Location
	for _, e := range envs {
		for _, k := range keys {
			out = append(out, e.loc(k, defs[k]))
		}
	}
	return out
}

// andList joins names as "a, b and c".
func andList(items []string) string {
	items = slices.Clone(items)
	sort.Strings(items)
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// where formats a location for a message: "chart/values.yaml:12" or
// "GoFr default".
func where(l Location) string {
	return l.Source
}
