package check

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/render"
)

// A Service sends each port's traffic to the targetPort of the pods it
// selects. A named targetPort that none of their containers declares
// resolves to nothing: the port has no endpoints and its connections are
// refused. A number no container declares may still be listened on
// (declaring ports is informational), so it is a warning, and only when
// the containers declare their ports at all, and not when a config file
// the pod mounts listens there: then the port is open, and declaring it
// would only document it (FERRY096 is about closed ports, so it stays
// silent rather than adding an info to every nginx chart built so).

func init() {
	register(Rule{
		ID: "FERRY096", Name: "unmatched-target-port", Severity: Error,
		Summary: "A Service's targetPort names a port no container of the pods it selects declares",
		Help: "A Service port's targetPort is resolved in each pod it selects: a name (targetPort: " +
			"https) must be a containers[].ports[].name of the pod, or the port gets no endpoints and " +
			"traffic to it goes nowhere (an error). A number (or no targetPort, which means the " +
			"Service's port) that no container declares while the containers declare others is a " +
			"warning: the process may listen there undeclared, but usually the Service points at the " +
			"wrong port. Name the container's port, or point targetPort at one it declares. Only " +
			"Services whose selector matches pods the chart renders are checked.",
		Check: checkTargetPort,
	})
	projectRules["FERRY096"] = true
}

// pod is a rendered pod template: its labels and its containers' ports.
type pod struct {
	workload string
	ns       string
	labels   map[string]string
	names    map[string]bool // declared port names
	numbers  map[int]bool    // declared container ports
	listens  map[int]bool    // ports its mounted config files listen on
}

// listenLine matches a config file's listening port: nginx's
// listen [::]:8880, Apache's Listen 8080, Spring's server.port=8081.
var listenLine = lazyre.New(`(?im)^\s*(?:listen\s+(?:\S*:)?|server\.port\s*[=:]\s*)(\d+)\b`)

// listenPorts lists the ports the ConfigMaps spec mounts listen on:
// nginx running `listen {{ .Values.service.port }}` from its mounted
// nginx.conf serves that port whether or not its container declares it.
func listenPorts(e *Env, ns string, spec map[string]any) map[int]bool {
	mounted := map[string]bool{}
	vols, _ := spec["volumes"].([]any)
	for _, v := range vols {
		vm, _ := v.(map[string]any)
		addVolume(vm, mounted)
	}
	out := map[int]bool{}
	for _, o := range e.Result.Objects {
		if o.Namespace != ns || !mounted[o.Kind+"/"+o.Name] {
			continue
		}
		for _, text := range digMap(o.Body, "data") {
			s, _ := text.(string)
			for _, m := range listenLine.Get().FindAllStringSubmatch(s, -1) {
				if n, err := strconv.Atoi(m[1]); err == nil {
					out[n] = true
				}
			}
		}
	}
	return out
}

// podsOf lists the pod templates e renders, helm hooks left out.
func podsOf(e *Env) []pod {
	var out []pod
	for _, o := range e.Result.Objects {
		pp := render.PodSpecPath(o.Kind)
		if pp == nil || hook(o.Body) {
			continue
		}
		spec := digMap(o.Body, pp...)
		meta := digMap(o.Body, append(slices.Clone(pp[:len(pp)-1]), "metadata")...)
		p := pod{workload: o.Kind + "/" + o.Name, ns: o.Namespace, labels: map[string]string{}, names: map[string]bool{}, numbers: map[int]bool{},
			listens: listenPorts(e, o.Namespace, spec)}
		for k, v := range digMap(meta, "labels") {
			p.labels[k] = scalarString(v)
		}
		for _, field := range []string{"containers", "initContainers"} {
			cs, _ := spec[field].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				// An init container serves ports only as a sidecar
				// (restartPolicy: Always).
				if field == "initContainers" && cm["restartPolicy"] != "Always" {
					continue
				}
				ports, _ := cm["ports"].([]any)
				for _, pt := range ports {
					pm, _ := pt.(map[string]any)
					if n, ok := pm["name"].(string); ok && n != "" {
						p.names[n] = true
					}
					if n, err := strconv.Atoi(scalarString(pm["containerPort"])); err == nil {
						p.numbers[n] = true
					}
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// selects reports whether selector picks labels.
func selects(selector map[string]any, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != scalarString(v) {
			return false
		}
	}
	return true
}

func checkTargetPort(in *Input) []Finding {
	var g envFindings
	podsIn := map[*Env][]pod{}
	eachObject(in, "Service", func(e *Env, o render.Object) {
		spec := digMap(o.Body, "spec")
		sel := digMap(spec, "selector")
		if len(sel) == 0 || spec["type"] == "ExternalName" {
			return
		}
		if _, ok := podsIn[e]; !ok {
			podsIn[e] = podsOf(e)
		}
		var picked []pod
		for _, p := range podsIn[e] {
			if p.ns == o.Namespace && selects(sel, p.labels) {
				picked = append(picked, p)
			}
		}
		if len(picked) == 0 {
			return
		}
		declares := false
		var workloads []string
		for _, p := range picked {
			declares = declares || len(p.numbers) > 0 || len(p.names) > 0
			workloads = append(workloads, p.workload)
		}
		ports, _ := spec["ports"].([]any)
		for _, pt := range ports {
			pm, _ := pt.(map[string]any)
			tp, written := pm["targetPort"]
			if !written || tp == nil {
				tp, written = pm["port"], false
			}
			target := scalarString(tp)
			if target == "" || strings.Contains(target, "{{") || strings.Contains(target, "$") {
				continue
			}
			portName := scalarString(pm["name"])
			if portName == "" {
				portName = scalarString(pm["port"])
			}
			n, numErr := strconv.Atoi(target)
			sev := Error
			var what, fix string
			switch {
			case numErr != nil:
				if slices.ContainsFunc(picked, func(p pod) bool { return p.names[target] }) {
					continue
				}
				what = fmt.Sprintf("targets the port named %q, which no container of %s declares (they declare %s): the port has no endpoints and its traffic goes nowhere", target, andList(workloads), declared(picked))
				fix = fmt.Sprintf("name the container's port %s, or point targetPort at a port it declares", target)
			case !declares || slices.ContainsFunc(picked, func(p pod) bool { return p.numbers[n] || p.listens[n] }):
				continue
			default:
				sev = Warning
				by := "targets port " + target
				if !written {
					by = "has no targetPort, so it targets its own port " + target
				}
				what = fmt.Sprintf("%s, which no container of %s declares (they declare %s): unless the process listens there undeclared, the Service sends its traffic to a closed port", by, andList(workloads), declared(picked))
				fix = "point targetPort at the port the container serves, or declare the port it listens on"
			}
			field := "targetPort"
			if !written {
				field = "port"
			}
			l := objectLoc(in, e, o, field, target, func(p string, v any) bool {
				return strings.Contains(strings.ToLower(leaf(p)), "port") && scalarString(v) == target
			})
			l.Key = "Service/" + o.Name + "/" + portName
			g.add(strings.Join([]string{o.Name, portName, target, l.Source}, "\x00"), e, l,
				Finding{Key: l.Key, Severity: sev, Workload: strings.Join(workloads, ", ")},
				fmt.Sprintf("Service %s port %s %s (set at %s); %s.", o.Name, portName, what, l.Source, fix))
		}
	})
	return g.findings()
}

// declared lists the ports the pods declare: "http (8080), 9090", or
// "no ports".
func declared(pods []pod) string {
	names := map[string]bool{}
	nums := map[int]bool{}
	for _, p := range pods {
		maps.Copy(names, p.names)
		maps.Copy(nums, p.numbers)
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(names)) {
		parts = append(parts, strconv.Quote(n))
	}
	for _, n := range slices.Sorted(maps.Keys(nums)) {
		parts = append(parts, strconv.Itoa(n))
	}
	if len(parts) == 0 {
		return "no ports"
	}
	return strings.Join(parts, ", ")
}
