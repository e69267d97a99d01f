// Package kubeletenv is an independent reference for render's process
// environment: from the manifest stream `helm template` prints, it
// computes each container's environment by the kubelet's rules
// (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables,
// pkg/kubelet/envvars, third_party/forked/golang/expansion). It is written
// separately from render, with its own simple code, so that one bug
// cannot hide in both; render's differential test compares the two key by
// key. It is not used outside tests.
package kubeletenv

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Value is one variable of a container's environment.
type Value struct {
	Value string
	// Runtime: known only in the cluster (a fieldRef, a service link, or
	// an expansion of one).
	Runtime bool
	// External: from a ConfigMap or Secret the manifests do not hold.
	External bool
	// Missing: a required key the object lacks; the pod does not start.
	Missing bool
}

// Container is one container's environment.
type Container struct {
	Kind, Workload, Name string
	Env                  map[string]Value
}

type object = map[string]any

var docSep = regexp.MustCompile(`(?m)^---`)

// Containers computes every container's environment in the manifest
// stream for a release in namespace (objects that name no namespace of
// their own are in it).
func Containers(stream, namespace string) ([]Container, error) {
	var objs []object
	for _, doc := range docSep.Split(stream, -1) {
		if i := strings.Index(doc, "\n"); i >= 0 && !strings.Contains(doc[:i], ":") {
			doc = doc[i+1:] // the rest of the separator line: " # comment"
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			return nil, err
		}
		if o == nil {
			continue
		}
		if o["kind"] == "List" {
			items, _ := o["items"].([]any)
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					objs = append(objs, m)
				}
			}
			continue
		}
		objs = append(objs, o)
	}
	// Each object lives in the namespace its manifest names, the release's
	// when it names none; a pod sees only its own namespace's ConfigMaps,
	// Secrets and Services, the last of each kind and name.
	type group struct {
		byID  map[string]object
		order []string
	}
	groups := map[string]*group{}
	var nsOrder []string
	for _, o := range objs {
		meta, _ := o["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		if ns == "" {
			ns = namespace
		}
		g := groups[ns]
		if g == nil {
			g = &group{byID: map[string]object{}}
			groups[ns] = g
			nsOrder = append(nsOrder, ns)
		}
		id := fmt.Sprint(o["kind"], "/", meta["name"])
		if _, ok := g.byID[id]; !ok {
			g.order = append(g.order, id)
		}
		g.byID[id] = o
	}
	var out []Container
	for _, ns := range nsOrder {
		out = append(out, namespaceContainers(groups[ns].byID, groups[ns].order)...)
	}
	return out, nil
}

// namespaceContainers computes the environment of every container of
// one namespace's objects.
func namespaceContainers(byID map[string]object, order []string) []Container {
	links := serviceEnv(byID, order)
	var out []Container
	for _, id := range order {
		o := byID[id]
		pod := podSpec(o)
		if pod == nil {
			continue
		}
		meta, _ := o["metadata"].(map[string]any)
		useLinks := true
		if v, ok := pod["enableServiceLinks"].(bool); ok {
			useLinks = v
		}
		for _, field := range []string{"initContainers", "containers"} {
			cs, _ := pod[field].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				svc := links
				if !useLinks {
					svc = nil
				}
				name, _ := cm["name"].(string)
				out = append(out, Container{Kind: fmt.Sprint(o["kind"]), Workload: fmt.Sprint(meta["name"]), Name: name, Env: containerEnv(cm, byID, svc)})
			}
		}
	}
	return out
}

func podSpec(o object) map[string]any {
	get := func(m map[string]any, k string) map[string]any { r, _ := m[k].(map[string]any); return r }
	spec := get(o, "spec")
	switch o["kind"] {
	case "Pod":
		return spec
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return get(get(spec, "template"), "spec")
	case "CronJob":
		return get(get(get(get(spec, "jobTemplate"), "spec"), "template"), "spec")
	}
	return nil
}

// data reads a ConfigMap's or Secret's data as the kubelet sees it.
func data(o object) map[string]string {
	out := map[string]string{}
	d, _ := o["data"].(map[string]any)
	for k, v := range d {
		s := fmt.Sprint(v)
		if v == nil { // the API server decodes null as an empty value
			s = ""
		}
		if o["kind"] == "Secret" {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				s = string(b)
			}
		} else if f, ok := v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		out[k] = s
	}
	if o["kind"] == "Secret" {
		sd, _ := o["stringData"].(map[string]any)
		for k, v := range sd {
			out[k] = fmt.Sprint(v)
			if v == nil {
				out[k] = ""
			}
		}
	}
	return out
}

func containerEnv(c map[string]any, objs map[string]object, links map[string]Value) map[string]Value {
	env := map[string]Value{}
	efs, _ := c["envFrom"].([]any)
	for _, ef := range efs {
		m, _ := ef.(map[string]any)
		prefix, _ := m["prefix"].(string)
		for kind, field := range map[string]string{"ConfigMap": "configMapRef", "Secret": "secretRef"} {
			ref, ok := m[field].(map[string]any)
			if !ok {
				continue
			}
			o, ok := objs[fmt.Sprint(kind, "/", ref["name"])]
			if !ok {
				continue // keys unknown until run time
			}
			for k, v := range data(o) {
				env[prefix+k] = Value{Value: v}
			}
		}
	}
	evs, _ := c["env"].([]any)
	for _, ev := range evs {
		m, _ := ev.(map[string]any)
		name, _ := m["name"].(string)
		vf, hasFrom := m["valueFrom"].(map[string]any)
		if !hasFrom {
			raw := ""
			if v, ok := m["value"]; ok && v != nil {
				raw = fmt.Sprint(v)
				if f, ok := v.(float64); ok {
					raw = strconv.FormatFloat(f, 'f', -1, 64)
				}
			}
			env[name] = expandVar(raw, env, links)
			continue
		}
		switch {
		case vf["configMapKeyRef"] != nil || vf["secretKeyRef"] != nil:
			kind, field := "ConfigMap", "configMapKeyRef"
			if vf["secretKeyRef"] != nil {
				kind, field = "Secret", "secretKeyRef"
			}
			ref, _ := vf[field].(map[string]any)
			key, _ := ref["key"].(string)
			optional, _ := ref["optional"].(bool)
			o, ok := objs[fmt.Sprint(kind, "/", ref["name"])]
			if !ok {
				env[name] = Value{External: true}
				continue
			}
			v, has := data(o)[key]
			switch {
			case has:
				env[name] = Value{Value: v}
			case !optional:
				env[name] = Value{Missing: true}
			}
		default: // fieldRef, resourceFieldRef
			env[name] = Value{Runtime: true}
		}
	}
	for k, v := range links {
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	return env
}

// expandVar is the kubelet's expansion: $$ → $, $(NAME) → its value when
// defined (container first, then service links), else left as written.
func expandVar(s string, env, links map[string]Value) Value {
	out := Value{}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '(' {
			if j := strings.IndexByte(s[i:], ')'); j > 2 {
				name := s[i+2 : i+j]
				v, ok := env[name]
				if !ok {
					v, ok = links[name]
				}
				if ok {
					if v.Runtime || v.External || v.Missing {
						out.Runtime = true
					}
					b.WriteString(v.Value)
					i += j
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	if out.Runtime {
		return out
	}
	out.Value = b.String()
	return out
}

// serviceEnv is the kubelet's FromServices for the namespace's Services.
func serviceEnv(objs map[string]object, order []string) map[string]Value {
	out := map[string]Value{}
	ids := append([]string(nil), order...)
	sort.Strings(ids)
	for _, id := range ids {
		o := objs[id]
		if o["kind"] != "Service" {
			continue
		}
		spec, _ := o["spec"].(map[string]any)
		ports, _ := spec["ports"].([]any)
		if spec["clusterIP"] == "None" || spec["type"] == "ExternalName" || len(ports) == 0 {
			continue
		}
		meta, _ := o["metadata"].(map[string]any)
		prefix := strings.ToUpper(strings.ReplaceAll(fmt.Sprint(meta["name"]), "-", "_"))
		rt := Value{Runtime: true}
		out[prefix+"_SERVICE_HOST"] = rt
		for i, p := range ports {
			pm, _ := p.(map[string]any)
			port := fmt.Sprint(pm["port"])
			proto := "TCP"
			if s, ok := pm["protocol"].(string); ok && s != "" {
				proto = s
			}
			if i == 0 {
				out[prefix+"_SERVICE_PORT"] = rt
				out[prefix+"_PORT"] = rt
			}
			if n, ok := pm["name"].(string); ok && n != "" {
				out[prefix+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(n, "-", "_"))] = rt
			}
			pp := prefix + "_PORT_" + port + "_" + strings.ToUpper(proto)
			out[pp], out[pp+"_PROTO"], out[pp+"_PORT"], out[pp+"_ADDR"] = rt, rt, rt, rt
		}
	}
	return out
}
