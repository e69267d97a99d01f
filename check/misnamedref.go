package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// A pod that reads a ConfigMap or Secret the chart does not render, while
// the chart renders one of that kind whose name is the same but for the
// release's prefix ({{ .Release.Name }}-rds-snapshot-script against
// rds-snapshot-script), almost surely means the one it renders: the
// template forgot the prefix, and the pod never starts. FERRY086 keeps the
// references with no such near name, which may well be made elsewhere.

func init() {
	register(Rule{
		ID: "FERRY099", Name: "misnamed-reference", Severity: Warning,
		Summary: "A pod reads a ConfigMap or Secret the chart does not render, but renders one by almost that name",
		Help: "A pod's envFrom, valueFrom or volume names a ConfigMap or Secret that nothing in the " +
			"repository makes, and the chart renders one of the same kind whose name ends with " +
			"-<that name> or differs from it only by the release name's prefix " +
			"(court-case-service-rds-snapshot-script against rds-snapshot-script): the template that " +
			"reads it almost surely forgot the prefix. A volume of it leaves the pod in " +
			"ContainerCreating (FailedMount); an env reference, in CreateContainerConfigError. Name " +
			"the rendered object, e.g. {{ .Release.Name }}-<name> or the chart's fullname helper.",
		Check: checkMisnamedReference,
	})
	projectRules["FERRY099"] = true
}

// nearName is the one object of r's kind that e renders in r's
// namespace under a name that is r's but for a prefix: one ending with
// -<name>, or the same once the release's name and a dash are taken off
// the front of each. "" when none or several are.
func nearName(e *Env, r render.Reference) string {
	if e.Result == nil || r.Name == "" {
		return ""
	}
	release := ""
	if e.Spec != nil {
		release = e.Spec.Release
	}
	strip := func(n string) string {
		if release != "" {
			return strings.TrimPrefix(n, release+"-")
		}
		return n
	}
	var found []string
	for _, o := range e.Result.Objects {
		if o.Kind != r.Kind || o.Namespace != r.Namespace || o.Name == r.Name || hook(o.Body) {
			continue
		}
		if strings.HasSuffix(o.Name, "-"+r.Name) || (release != "" && strip(o.Name) == strip(r.Name)) {
			if !slices.Contains(found, o.Name) {
				found = append(found, o.Name)
			}
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// volumeOnly reports whether the pod of r reads r's object only as a
// volume (configMap, secret or a projected source), not through env.
func volumeOnly(e *Env, r render.Reference) bool {
	kind, name, _ := strings.Cut(r.Workload, "/")
	if r.Key != "" {
		return false
	}
	for _, o := range e.Result.Objects {
		pp := render.PodSpecPath(o.Kind)
		if pp == nil || o.Kind != kind || o.Name != name || o.Namespace != r.Namespace {
			continue
		}
		spec := digMap(o.Body, pp...)
		vols := map[string]bool{}
		vl, _ := spec["volumes"].([]any)
		for _, v := range vl {
			vm, _ := v.(map[string]any)
			addVolume(vm, vols)
		}
		if !vols[r.Kind+"/"+r.Name] {
			return false
		}
		for _, field := range []string{"containers", "initContainers"} {
			cs, _ := spec[field].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				ef, _ := cm["envFrom"].([]any)
				for _, f := range ef {
					fm, _ := f.(map[string]any)
					ref := "configMapRef"
					if r.Kind == "Secret" {
						ref = "secretRef"
					}
					if scalarString(digMap(fm, ref)["name"]) == r.Name {
						return false
					}
				}
			}
		}
		return true
	}
	return false
}

// stuck says how a pod waits for an object it cannot read.
func stuck(volume bool) string {
	if volume {
		return "the pod waits in ContainerCreating (FailedMount)"
	}
	return "the pod waits in CreateContainerConfigError"
}

func checkMisnamedReference(in *Input) []Finding {
	var out []Finding
	var wls [][]string
	var tails []string
	at := map[string]int{}
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, r := range e.Result.Unprovided {
			if r.Optional {
				continue
			}
			near := nearName(e, r)
			if near == "" {
				continue
			}
			obj := r.Kind + "/" + r.Name
			l := Location{Environment: e.Name, Key: obj, Value: near, File: r.Template, Line: referenceLine(in.files(), in.dir(), r)}
			l.Source = "template " + l.File
			if l.Line > 0 {
				l.Source += ":" + strconv.Itoa(l.Line)
			}
			id := obj + "\x00" + near + "\x00" + l.Source
			if i, ok := at[id]; ok {
				f := &out[i]
				if !slices.Contains(f.Environments, e.Name) {
					f.Environments = append(f.Environments, e.Name)
					f.Locations = append(f.Locations, l)
				}
				if !slices.Contains(wls[i], r.Workload) {
					wls[i] = append(wls[i], r.Workload)
				}
				continue
			}
			at[id] = len(out)
			wls = append(wls, []string{r.Workload})
			out = append(out, Finding{Environments: []string{e.Name}, Key: obj, Locations: []Location{l}})
			tails = append(tails, fmt.Sprintf(" reads %s %s (%s), which nothing in the repository makes, but the chart renders %s %s: did you mean %s? As it is, %s.",
				r.Kind, r.Name, l.Source, r.Kind, near, near, stuck(volumeOnly(e, r))))
		}
	}
	for i := range out {
		out[i].Workload = strings.Join(wls[i], ", ")
		out[i].Message = out[i].Workload + tails[i]
	}
	return out
}

// misnamed reports whether FERRY099 reports r in e (FERRY086 then does
// not).
func misnamed(e *Env, r render.Reference) bool { return nearName(e, r) != "" }
