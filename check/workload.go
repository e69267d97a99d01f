package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// Rules see one container at a time: a chart with an API, a worker and a
// scheduler is three services as far as shared databases, images and
// literal secrets go. A view is one container slot (workload kind, name
// and container) across the environments that render it.

// projectRules look at the project or the whole rendered chart, not one
// container: they run once.
var projectRules = map[string]bool{
	"FERRY031": true, "FERRY032": true, "FERRY055": true, "FERRY060": true,
	"FERRY080": true, "FERRY081": true, "FERRY085": true, "FERRY086": true,
}

type view struct {
	in    *Input
	label string // "Deployment/ledger-worker", "CronJob/report (sender)"
	// service is set when the container runs the service's own image
	// (not a sidecar, a subchart's Redis or an init container): GoFr's
	// contract applies to it.
	service bool
	primary bool
	// labels are the slot's label in each environment, when the
	// workload's name differs between them (shop-dev, shop-prod).
	labels map[string]string
}

// labelFor names the workload as the environments of a finding know it.
func (v *view) labelFor(envs []string) string {
	if len(v.labels) == 0 {
		return v.label
	}
	var out []string
	for _, e := range envs {
		if l, ok := v.labels[e]; ok && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return v.label
	}
	return strings.Join(out, ", ")
}

// views splits in into one Input per container slot; nil when no
// environment renders a workload.
func (in *Input) views() []*view {
	type slot struct{ kind, name, container string }
	var order []slot
	byslot := map[slot]*view{}
	glued := gluedNames(in.Envs)
	name := func(e *Env, n string) string {
		if g, ok := glued[e.Name+"\x00"+n]; ok {
			return g
		}
		return slotName(e, n)
	}
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		pw := e.Result.PrimaryWorkload()
		repo := ""
		if pw != nil {
			repo = repoOf(e.Result.Image)
		}
		for wi := range e.Result.Workloads {
			w := &e.Result.Workloads[wi]
			for _, c := range w.Containers {
				s := slot{w.Kind, name(e, w.Name), name(e, c.Name)} // a container may be named per environment too
				v, ok := byslot[s]
				if !ok {
					v = &view{in: &Input{Project: in.Project, parent: in}, label: w.Label(&c)}
					byslot[s] = v
					order = append(order, s)
				}
				if l := w.Label(&c); l != v.label || len(v.labels) > 0 {
					if v.labels == nil {
						v.labels = map[string]string{}
						for _, prev := range v.in.Envs {
							v.labels[prev.Name] = v.label
						}
					}
					v.labels[e.Name] = l
				}
				if !c.Init && repoOf(c.Image) == repo {
					v.service = true
				}
				if c.Primary {
					v.primary = true
				}
				res := *e.Result
				res.Config, res.Image, res.Primary = c.Config, c.Image, 0
				one := *w
				one.Containers = []render.Container{c}
				res.Workloads = []render.Workload{one}
				v.in.Envs = append(v.in.Envs, &Env{Name: e.Name, Spec: e.Spec, Result: &res, SetByCI: e.SetByCI})
			}
		}
	}
	out := make([]*view, 0, len(order))
	for _, s := range order {
		out = append(out, byslot[s])
	}
	// The service's own container first, so that merged findings name it
	// first.
	slices.SortStableFunc(out, func(a, b *view) int {
		switch {
		case a.primary == b.primary:
			return 0
		case a.primary:
			return -1
		}
		return 1
	})
	return out
}

// slotName is a workload's name with its environment's own part left
// out: a chart names its objects after the release, and CI deploys
// shop-dev, shop-staging and shop-prod, whose Deployments shop-dev and
// shop-prod are one workload of the chart (else no view holds two
// environments, and every rule that compares them is silent).
func slotName(e *Env, name string) string {
	if e.Spec != nil && e.Spec.Release != "" && strings.Contains(name, e.Spec.Release) {
		name = strings.Replace(name, e.Spec.Release, "\x00", 1)
	}
	// orders-{{ .Values.environment }}, {{ .Values.env }}-{{ .Release.Name }}:
	// the environment's name as a dash-separated part too.
	parts := strings.Split(name, "-")
	for i, p := range parts {
		if p == e.Name && len(parts) > 1 {
			parts[i] = "\x01"
			return strings.Join(parts, "-")
		}
	}
	return name
}

// gluedNames maps an environment's workload and container names that
// glue the environment's name on without a dash (aiservicedev,
// aiservicestg: a fullnameOverride per environment, eval13
// Action-Agent-BE) to their slot name, keyed env+"\x00"+name; only when
// another environment glues its own name to the same stem, so a name
// that merely ends like one (backstage in stage) stays whole.
func gluedNames(envs []*Env) map[string]string {
	first := map[string]string{} // stem → the environment that glued it, "" once two have
	cut := map[string]string{}
	for _, e := range envs {
		if e.Result == nil || len(e.Name) < 2 {
			continue
		}
		for _, w := range e.Result.Workloads {
			for i := -1; i < len(w.Containers); i++ {
				n := w.Name
				if i >= 0 {
					n = w.Containers[i].Name
				}
				stem, ok := strings.CutSuffix(n, e.Name)
				if !ok || stem == "" || strings.HasSuffix(stem, "-") {
					continue
				}
				cut[e.Name+"\x00"+n] = stem
				if f, seen := first[stem]; !seen {
					first[stem] = e.Name
				} else if f != e.Name {
					first[stem] = ""
				}
			}
		}
	}
	for k, stem := range cut {
		if first[stem] != "" {
			delete(cut, k)
		} else {
			cut[k] = stem + "\x01"
		}
	}
	return cut
}

func repoOf(ref string) string {
	repo, _, _ := imageRef(ref)
	return repo
}

// runRule runs r over in: once for a project rule, else once per
// container slot (GoFr's contract only on the service's own containers).
func runRule(r Rule, in *Input, views []*view) []Finding {
	if projectRules[r.ID] || len(views) == 0 {
		return r.Check(in)
	}
	var out []Finding
	for _, v := range views {
		if gofrContract[r.ID] && !v.service {
			continue
		}
		for _, f := range r.Check(v.in) {
			f.Workload = v.labelFor(f.Environments)
			out = append(out, f)
		}
	}
	return out
}

// mergeWorkloads folds findings that are one fix for several workloads
// into one naming them all: a base-values line every container inherits
// (same rule, environments, key, line and message), and per rule a
// decision taken once for the chart (see foldID).
func mergeWorkloads(fs []Finding) []Finding {
	var out []Finding
	idx := map[string]int{}
	for _, f := range fs {
		id, loose := foldID(f)
		i, ok := idx[id]
		if !ok {
			idx[id] = len(out)
			out = append(out, f)
			continue
		}
		m := &out[i]
		m.addWorkloads(f.Workload)
		if !loose {
			continue
		}
		if _, name := registries(*m); f.Message != m.Message && name != "" {
			// said once, before m holds the others' locations
			m.Message = strings.ReplaceAll(m.Message, name, "/<image>")
		}
		m.addLocations(f.Locations)
	}
	return out
}

// addLocations adds the locations f does not list yet.
func (f *Finding) addLocations(ls []Location) {
	for _, l := range ls {
		if !slices.ContainsFunc(f.Locations, func(o Location) bool {
			return o.Environment == l.Environment && o.Key == l.Key && o.Value == l.Value && o.Source == l.Source
		}) {
			f.Locations = append(f.Locations, l)
		}
	}
}

// foldID is what makes findings one: loose when they may differ in their
// lines or in the workload names their messages hold.
func foldID(f Finding) (id string, loose bool) {
	at, msg := fmt.Sprintf("%s:%d", f.File, f.Line), f.Message
	switch {
	case f.Accepted:
	case f.Rule == "FERRY001":
		// One registry per environment (global.image.registry) gives every
		// service a different image: the same registries, each image's
		// own name after them.
		if regs, _ := registries(f); regs != "" {
			msg, loose = regs, true
		}
	case f.Rule == "FERRY101":
		// One tag scheme (tag: dev in dev, prod in prod) written on one
		// line per service.
		at, loose = "", true
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s", f.Rule, f.Severity, strings.Join(f.Environments, ","), f.Key, at, msg), loose
}

// registries splits the images of a FERRY001 finding's locations into
// what differs per environment and the image's own name after it:
// "dev=…/dev-images prod=…/prod-images" and "/orders" for
// …/dev-images/orders and …/prod-images/orders; "" when they share no
// trailing path segment.
func registries(f Finding) (regs, name string) {
	for i, l := range f.Locations {
		if i == 0 {
			name = l.Value
			continue
		}
		n := 0
		for n < len(name) && n < len(l.Value) && name[len(name)-1-n] == l.Value[len(l.Value)-1-n] {
			n++
		}
		name = name[len(name)-n:]
	}
	if i := strings.Index(name, "/"); i >= 0 && len(f.Locations) > 1 {
		name = name[i:]
	} else {
		return "", ""
	}
	for _, l := range f.Locations {
		regs += l.Environment + "=" + strings.TrimSuffix(l.Value, name) + " "
	}
	return regs, name
}

// pruneTestHooks drops the pods and Jobs of `helm test` hooks from the
// workloads: Helm creates them only when someone runs helm test, never on
// install or upgrade, so they are not part of what an environment runs.
func (in *Input) pruneTestHooks() {
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		hooks := map[string]bool{}
		for _, o := range e.Result.Objects {
			if testHook(o.Body) {
				hooks[o.Kind+"/"+o.Name] = true
			}
		}
		if len(hooks) == 0 {
			continue
		}
		res := *e.Result
		res.Workloads = nil
		res.Primary = -1
		for i, w := range e.Result.Workloads {
			if hooks[w.Kind+"/"+w.Name] {
				continue
			}
			if i == e.Result.Primary {
				res.Primary = len(res.Workloads)
			}
			res.Workloads = append(res.Workloads, w)
		}
		e.Result = &res
	}
}

// testHook reports an object annotated helm.sh/hook: test (or the Helm 2
// spellings test-success and test-failure).
func testHook(body map[string]any) bool {
	hook, _ := digMap(body, "metadata", "annotations")["helm.sh/hook"].(string)
	for _, h := range strings.Split(hook, ",") {
		switch strings.TrimSpace(h) {
		case "test", "test-success", "test-failure":
			return true
		}
	}
	return false
}
