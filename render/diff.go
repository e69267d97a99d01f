package render

import (
	"fmt"
	"sort"
)

// Change is one key whose effective value differs between two
// environments.
type Change struct {
	Key    string
	Change string // "changed", "added" or "removed"
	From   *Entry // nil when added
	To     *Entry // nil when removed
}

// Diff lists the keys whose effective values differ from a to b, sorted by
// key. Secret values are compared like any other; callers print them only
// through Entry.Display.
func Diff(a, b *Config) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(a.Entries) || j < len(b.Entries) {
		switch {
		case j >= len(b.Entries) || (i < len(a.Entries) && a.Entries[i].Key < b.Entries[j].Key):
			e := a.Entries[i]
			out = append(out, Change{Key: e.Key, Change: "removed", From: &e})
			i++
		case i >= len(a.Entries) || b.Entries[j].Key < a.Entries[i].Key:
			e := b.Entries[j]
			out = append(out, Change{Key: e.Key, Change: "added", To: &e})
			j++
		default:
			ea, eb := a.Entries[i], b.Entries[j]
			if !sameValue(ea, eb) {
				out = append(out, Change{Key: ea.Key, Change: "changed", From: &ea, To: &eb})
			}
			i++
			j++
		}
	}
	return out
}

// sameValue compares two entries' values; two external values are the
// same when they name the same reference.
func sameValue(a, b Entry) bool {
	if a.External || b.External {
		return a.External == b.External && a.Source.Detail == b.Source.Detail
	}
	return a.Value == b.Value
}

// UnreadChanges lists the values keys whose value differs between a and
// b but that no template reads: a difference in the values files that
// never reaches a container. Each carries the line that sets it in b
// (or in a when only a sets it).
func UnreadChanges(a, b *Result) []Unread {
	seen := map[string]bool{}
	var out []Unread
	for _, side := range []struct{ own, other *Result }{{b, a}, {a, b}} {
		for _, u := range side.own.Unread {
			if seen[u.Path] {
				continue
			}
			va, okA := lookupPath(side.own.Values, u.Path)
			vb, okB := lookupPath(side.other.Values, u.Path)
			if okA == okB && fmt.Sprint(va) == fmt.Sprint(vb) {
				continue
			}
			seen[u.Path] = true
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
