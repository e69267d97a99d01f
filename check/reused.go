package check

import (
	"fmt"
	"iter"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// One credential in two environments: a password copied from dev's
// values file into prod's is known to everyone who can reach dev.

func init() {
	register(Rule{
		ID: "FERRY042", Name: "reused-secret", Severity: Error,
		Summary: "Two environments' own files set the same credential",
		Help: "A password, token or key that two environments' own values files set to the same " +
			"value (prod's database password copied from dev's) lets anyone with access to the " +
			"lesser environment into the greater one, and rotating one rotates neither. Give each " +
			"environment its own credential, delivered from its own Secret.",
		Check: checkReusedSecret,
	})
	// Workloads named after the release differ between environments: the
	// rule compares every container of each environment at once.
	projectRules["FERRY042"] = true
}

// allEntries are the configuration entries of every container e renders,
// the primary container's alone when it renders no workload. They are
// yielded in place rather than copied into one slice: a chart of many
// workloads has thousands.
func allEntries(e *Env) iter.Seq[render.Entry] {
	return func(yield func(render.Entry) bool) {
		if len(e.Result.Workloads) == 0 {
			for _, en := range e.Result.Config.Entries {
				if !yield(en) {
					return
				}
			}
			return
		}
		for _, w := range e.Result.Workloads {
			for _, c := range w.Containers {
				if c.Config == nil {
					continue
				}
				for _, en := range c.Config.Entries {
					if !yield(en) {
						return
					}
				}
			}
		}
	}
}

func checkReusedSecret(in *Input) []Finding {
	type set struct {
		envs []*Env
		srcs []render.Source
	}
	var out []Finding
	keys := map[string]map[string]*set{} // key → value → environments
	var order []string
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		seen := map[string]bool{}
		for en := range allEntries(e) {
			// Cheap tests first: this walks every container of the chart.
			if en.External || !committedSource(en.Source) || baseLayer(e, en.Source.File) {
				continue
			}
			id := en.Key + "\x00" + en.Value
			if seen[id] {
				continue
			}
			seen[id] = true
			if !sensitive(en.Key) || placeholder(en.Value) || isPlaceholder(en.Value) || boolish(en.Value) || filePath(en.Value) || encrypted(en.Value) {
				continue
			}
			byValue, ok := keys[en.Key]
			if !ok {
				byValue = map[string]*set{}
				keys[en.Key] = byValue
				order = append(order, en.Key)
			}
			s, ok := byValue[en.Value]
			if !ok {
				s = &set{}
				byValue[en.Value] = s
			}
			s.envs = append(s.envs, e)
			s.srcs = append(s.srcs, en.Source)
		}
	}
	for _, k := range order {
		var groups []*set
		for _, s := range keys[k] {
			if len(s.envs) > 1 && distinctFiles(s.srcs) {
				groups = append(groups, s)
			}
		}
		sort.Slice(groups, func(i, j int) bool { return groups[i].envs[0].Name < groups[j].envs[0].Name })
		for _, s := range groups {
			var locs []Location
			var where []string
			for i, e := range s.envs {
				l := Location{Environment: e.Name, Key: k, Value: secret.Shown(k, "", secret.Whole), Source: s.srcs[i].String(), File: s.srcs[i].File, Line: s.srcs[i].Line}
				locs = append(locs, l)
				where = append(where, fmt.Sprintf("%s at %s", e.Name, l.Source))
			}
			own := "files"
			if s.srcs[0].Kind == render.KindCI {
				own = "deploy commands"
			}
			out = append(out, Finding{
				Environments: names(s.envs), Key: k, Locations: locs,
				Message: fmt.Sprintf("%s set %s to the same credential in their own %s (%s): give each environment its own, from its own Secret.",
					andList(names(s.envs)), k, own, strings.Join(where, "; ")),
			})
		}
	}
	return out
}

// distinctFiles reports whether the sources are in more than one file:
// one line every environment inherits is not a copy.
func distinctFiles(srcs []render.Source) bool {
	for _, s := range srcs[1:] {
		if s.File != srcs[0].File || s.Kind == render.KindCI && s.Line != srcs[0].Line { // each deploy command's own --set
			return true
		}
	}
	return false
}
