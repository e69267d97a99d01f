package view

import (
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// NoWorkloadError is a workload or container name an environment does
// not render, and the workloads it does.
type NoWorkloadError struct {
	Env, Name string
	Has       []string
}

func (e *NoWorkloadError) Error() string {
	return fmt.Sprintf("%s renders no workload or container %q (it has: %s)", e.Env, e.Name, strings.Join(e.Has, ", "))
}

// Slot is one container of a rendered workload.
type Slot struct {
	W *render.Workload
	C *render.Container
}

// ID identifies a slot across environments: kind, workload and container.
func (s Slot) ID() string { return s.W.Kind + "/" + s.W.Name + "/" + s.C.Name }

// Containers lists res's containers, the service's own first; with name
// set, only those of the workload called name (or kind/name), or the
// container called name. An unknown name is a *NoWorkloadError.
func Containers(res *render.Result, name string) ([]Slot, error) {
	var out []Slot
	for wi := range res.Workloads {
		w := &res.Workloads[wi]
		for ci := range w.Containers {
			c := &w.Containers[ci]
			if name != "" && name != w.Name && name != w.Kind+"/"+w.Name && name != c.Name && name != w.Name+"/"+c.Name {
				continue
			}
			if c.Primary {
				out = append([]Slot{{w, c}}, out...)
			} else {
				out = append(out, Slot{w, c})
			}
		}
	}
	if name != "" && len(out) == 0 {
		var names []string
		for _, w := range res.Workloads {
			names = append(names, w.Kind+"/"+w.Name)
		}
		return nil, &NoWorkloadError{Env: res.Environment, Name: name, Has: names}
	}
	return out, nil
}

// SlotPair is one container compared across two environments: Slot is
// its side in the first, else in the second; Presence is "" when both
// render it, else "removed" (only the first) or "added" (only the
// second).
type SlotPair struct {
	Slot
	Presence string
	Changes  []render.Change
}

// View is the pair as shown.
func (p SlotPair) View() WorkloadDiff {
	return WorkloadDiff{Kind: p.W.Kind, Name: p.W.Name, Container: p.C.Name, Change: p.Presence, Changes: NewChanges(p.Changes)}
}

// PairSlots matches the containers as with bs by kind, workload and
// container name, as's order first.
func PairSlots(as, bs []Slot) []SlotPair {
	byID := map[string]Slot{}
	for _, s := range bs {
		byID[s.ID()] = s
	}
	var out []SlotPair
	seen := map[string]bool{}
	empty := render.NewConfig(nil)
	for _, s := range as {
		pr := SlotPair{Slot: s}
		if o, ok := byID[s.ID()]; ok {
			pr.Changes = render.Diff(s.C.Config, o.C.Config)
		} else {
			pr.Presence, pr.Changes = "removed", render.Diff(s.C.Config, empty)
		}
		seen[s.ID()] = true
		out = append(out, pr)
	}
	for _, s := range bs {
		if !seen[s.ID()] {
			out = append(out, SlotPair{Slot: s, Presence: "added", Changes: render.Diff(empty, s.C.Config)})
		}
	}
	return out
}

// NewDiff is what differs from a to b as shown: the service's container's
// keys, and every container's.
func NewDiff(a, b *render.Result) *ConfigDiff {
	out := NewConfigDiff(a.Environment, b.Environment, render.Diff(a.Config, b.Config))
	as, _ := Containers(a, "")
	bs, _ := Containers(b, "")
	for _, pr := range PairSlots(as, bs) {
		out.Workloads = append(out.Workloads, pr.View())
	}
	out.NeverArrive = NewUnread(render.UnreadChanges(a, b))
	return out
}
