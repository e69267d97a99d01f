package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Service links: unless the pod sets enableServiceLinks: false, the
// kubelet gives every container variables for each Service in the pod's
// namespace (pkg/kubelet/envvars: FromServices), after the container's own
// env and envFrom, which win. A Service named redis therefore sets
// REDIS_PORT=tcp://10.0.0.7:6379, over configs/.env's REDIS_PORT=6379.
// Every one of them is a runtime value: the cluster IP is known only in
// the cluster, and none of them exists outside it (the local target must
// not pass them on).

// serviceLinks computes the variables of the Services in objs that a pod
// in namespace sees.
func serviceLinks(objs []manifest, namespace string) map[string]Entry {
	out := map[string]Entry{}
	var svcs []manifest
	for _, o := range objs {
		if str(o.body, "kind") != "Service" {
			continue
		}
		if o.ns != namespace {
			continue
		}
		spec := dig(o.body, "spec")
		if ip := scalar(spec["clusterIP"]); ip == "None" || scalar(spec["type"]) == "ExternalName" || len(list(spec["ports"])) == 0 {
			continue // headless and ExternalName Services get no variables
		}
		svcs = append(svcs, o)
	}
	// The kubelet lists Services by name; a later one wins a collision.
	sort.SliceStable(svcs, func(i, j int) bool {
		return str(svcs[i].body, "metadata", "name") < str(svcs[j].body, "metadata", "name")
	})
	for _, o := range svcs {
		name := str(o.body, "metadata", "name")
		prefix := linkName(name)
		src := Source{Kind: KindRuntime, File: o.template, Detail: "service link of Service " + name}
		ip := func(key string) {
			out[key] = Entry{Key: key, External: true, Source: Source{Kind: KindRuntime, File: o.template, Detail: "service link of Service " + name + " (its cluster IP)"}}
		}
		known := func(key, value string) {
			out[key] = Entry{Key: key, External: true, Source: Source{Kind: src.Kind, File: src.File, Detail: src.Detail + " (" + value + ")"}}
		}
		ports := list(dig(o.body, "spec")["ports"])
		ip(prefix + "_SERVICE_HOST")
		for i, p := range ports {
			pm, _ := p.(map[string]any)
			port := strconv.Itoa(toInt(pm["port"], 0))
			if i == 0 {
				known(prefix+"_SERVICE_PORT", port)
			}
			if pn := scalar(pm["name"]); pn != "" {
				known(prefix+"_SERVICE_PORT_"+linkName(pn), port)
			}
		}
		for i, p := range ports {
			pm, _ := p.(map[string]any)
			port := strconv.Itoa(toInt(pm["port"], 0))
			proto := strings.ToUpper(scalar(pm["protocol"]))
			if proto == "" {
				proto = "TCP"
			}
			if i == 0 {
				ip(prefix + "_PORT") // tcp://<cluster IP>:<port>
			}
			pp := fmt.Sprintf("%s_PORT_%s_%s", prefix, port, proto)
			ip(pp)
			known(pp+"_PROTO", strings.ToLower(proto))
			known(pp+"_PORT", port)
			ip(pp + "_ADDR")
		}
	}
	return out
}

// linkName is the kubelet's makeEnvVariableName.
func linkName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
