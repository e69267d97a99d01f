package render

import (
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// Values that never arrive: keys an environment's values files set that
// no template reads, and references to ConfigMaps and Secrets that
// nothing provides. Both are invisible in the rendered configuration:
// the first changes nothing, the second leaves the pod waiting.

// valuesReads is what the chart's templates read of .Values, as values
// paths from the top chart (a subchart's .Values.x is <subchart>.x).
type valuesReads struct {
	paths map[string]bool
	// whole is set when a template reads .Values as a whole (toYaml
	// .Values, a variable bound to it): then no key can be called unread.
	whole bool
}

var (
	valuesRefAll = regexp.MustCompile(`\.Values((?:\.[A-Za-z0-9_-]+)*)`)
	indexValues  = regexp.MustCompile(`index\s+\$?\.Values((?:\s+"[^"]+")+)`)
	quotedWord   = regexp.MustCompile(`"([^"]+)"`)
)

// chartReads collects the .Values paths every template of c and of its
// subcharts names, and the conditions and tags of its dependencies.
// global counts as read only where there are subcharts, to which Helm
// hands it whole: a chart without any reads of global what its
// templates name.
func chartReads(c *chart.Chart) *valuesReads {
	vr := &valuesReads{paths: map[string]bool{}}
	if len(c.Dependencies()) > 0 {
		vr.paths["global"] = true
	}
	vr.collect(c, "")
	return vr
}

func (vr *valuesReads) collect(c *chart.Chart, prefix string) {
	join := func(p string) string {
		p = strings.TrimPrefix(p, ".")
		if prefix == "" {
			return p
		}
		if p == "" {
			return prefix
		}
		return prefix + "." + p
	}
	for _, t := range c.Templates {
		text := string(t.Data)
		for _, m := range indexValues.FindAllStringSubmatch(text, -1) {
			var parts []string
			for _, q := range quotedWord.FindAllStringSubmatch(m[1], -1) {
				parts = append(parts, q[1])
			}
			vr.paths[join(strings.Join(parts, "."))] = true
		}
		text = indexValues.ReplaceAllString(text, "")
		for _, m := range valuesRefAll.FindAllStringSubmatchIndex(text, -1) {
			p := text[m[2]:m[3]]
			if p == "" && !strings.HasPrefix(text[m[1]:], ".") {
				vr.whole = true
				continue
			}
			vr.paths[join(p)] = true
		}
	}
	aliases := map[string]string{}
	if c.Metadata != nil {
		for _, d := range c.Metadata.Dependencies {
			for _, cond := range strings.Split(d.Condition, ",") {
				if cond = strings.TrimSpace(cond); cond != "" {
					vr.paths[join(cond)] = true
				}
			}
			for _, tag := range d.Tags {
				vr.paths[join("tags."+tag)] = true
			}
			if d.Alias != "" {
				aliases[d.Name] = d.Alias
			}
		}
	}
	for _, sub := range c.Dependencies() {
		name := sub.Name()
		if a, ok := aliases[name]; ok {
			name = a
		}
		vr.collect(sub, join(name))
	}
}

// read reports whether a template reads p, a part of it or something
// under it.
func (vr *valuesReads) read(p string) bool {
	if vr.paths[p] {
		return true
	}
	for q := p; ; {
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
		if vr.paths[q] {
			return true
		}
	}
	for r := range vr.paths {
		if strings.HasPrefix(r, p+".") || strings.HasPrefix(r, p+"[") {
			return true
		}
	}
	return false
}

// unread lists the keys of files (an environment's values files, the
// deploy command's --set) that no template reads, each as high up as
// nothing under it is read. Values that hold a template (for tpl) count
// as templates.
func unread(vr *valuesReads, sources map[string]Source, values map[string]any, files []string) []Unread {
	if vr == nil || vr.whole {
		return nil
	}
	reads := vr
	if extra := tplReads(values); len(extra) > 0 {
		reads = &valuesReads{paths: make(map[string]bool, len(vr.paths)+len(extra))}
		for p := range vr.paths {
			reads.paths[p] = true
		}
		for _, p := range extra {
			reads.paths[p] = true
		}
	}
	top := map[string]bool{}
	for p, src := range sources {
		if strings.Contains(p, "[") || (src.Kind != KindValues && src.Kind != KindCI) {
			continue
		}
		if src.Kind == KindValues && !slices.Contains(files, src.File) {
			continue
		}
		if v, ok := lookupPath(values, p); ok {
			if _, isMap := v.(map[string]any); isMap || emptyValue(v) {
				continue // its leaves speak for it; an empty value holds nothing to ignore
			}
		}
		if reads.read(p) {
			continue
		}
		// Climb while nothing under the parent is read either.
		for {
			i := strings.LastIndex(p, ".")
			if i < 0 {
				break
			}
			parent := p[:i]
			if _, ok := sources[parent]; !ok || reads.read(parent) {
				break
			}
			p = parent
		}
		top[p] = true
	}
	out := make([]Unread, 0, len(top))
	for p := range top {
		out = append(out, Unread{Path: p, Source: sources[p]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// UnreadValues lists the keys env's own values files (and deploy
// command) set that no template reads, for a Result that ValuesOnly made
// because the chart did not render: what the templates read of .Values
// is known whenever the chart loads, so these keys can still be judged.
// Nil when the chart does not load.
func (r *Renderer) UnreadValues(env string, res *Result) []Unread {
	if res == nil || r.load() != nil || r.reads == nil {
		return nil
	}
	e, err := r.p.Env(env)
	if err != nil {
		return nil
	}
	return unread(r.reads, res.ValueSources, res.Values, envFiles(r.p.Chart, e.Values))
}

// emptyValue reports whether v holds nothing: an empty list, "" or null
// (FERRY080 skips the same keys, so check and render agree).
func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// tplReads are the .Values paths named inside values that hold template
// text (rendered by tpl).
func tplReads(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			out = append(out, tplReads(c)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, tplReads(c)...)
		}
	case string:
		if strings.Contains(x, "{{") {
			for _, m := range valuesRefAll.FindAllStringSubmatch(x, -1) {
				out = append(out, strings.TrimPrefix(m[1], "."))
			}
		}
	}
	return out
}

// podReferences lists the ConfigMaps and Secrets a pod reads (envFrom,
// valueFrom, volumes) that the chart does not render in the pod's
// namespace. Optional references are left out: the pod starts without
// them.
func (r *resolver) podReferences(o manifest, pod map[string]any, label string) []Reference {
	var out []Reference
	add := func(kind, name, key string, opt bool) {
		if name == "" || opt {
			return
		}
		if _, ok := r.find(kind, name, o.ns); ok {
			return
		}
		out = append(out, Reference{Kind: kind, Name: name, Namespace: o.ns, Key: key, Workload: label, Template: o.template})
	}
	for _, field := range []string{"initContainers", "containers"} {
		for _, ci := range list(pod[field]) {
			cm, _ := ci.(map[string]any)
			for _, ef := range list(cm["envFrom"]) {
				efm, _ := ef.(map[string]any)
				if efm["configMapRef"] != nil {
					add("ConfigMap", str(efm, "configMapRef", "name"), "", optional(efm, "configMapRef"))
				}
				if efm["secretRef"] != nil {
					add("Secret", str(efm, "secretRef", "name"), "", optional(efm, "secretRef"))
				}
			}
			for _, ev := range list(cm["env"]) {
				evm, _ := ev.(map[string]any)
				vf, _ := evm["valueFrom"].(map[string]any)
				if vf["secretKeyRef"] != nil {
					add("Secret", str(vf, "secretKeyRef", "name"), str(vf, "secretKeyRef", "key"), optional(vf, "secretKeyRef"))
				}
				if vf["configMapKeyRef"] != nil {
					add("ConfigMap", str(vf, "configMapKeyRef", "name"), str(vf, "configMapKeyRef", "key"), optional(vf, "configMapKeyRef"))
				}
			}
		}
	}
	for _, v := range list(pod["volumes"]) {
		vm, _ := v.(map[string]any)
		if vm["secret"] != nil {
			add("Secret", str(vm, "secret", "secretName"), "", optional(vm, "secret"))
		}
		if vm["configMap"] != nil {
			add("ConfigMap", str(vm, "configMap", "name"), "", optional(vm, "configMap"))
		}
	}
	return out
}

// provided names the Secrets and ConfigMaps that objects the chart
// renders create at run time: an ExternalSecret's target, a SealedSecret,
// a cert-manager Certificate's secretName, a CSI SecretProviderClass's
// synced Secrets.
func provided(objs []manifest) map[string]string {
	out := map[string]string{}
	var by string
	add := func(kind, ns, name string) {
		if name != "" {
			out[kind+"/"+ns+"/"+name] = by
		}
	}
	for _, o := range objs {
		kind := str(o.body, "kind")
		by = kind + " " + str(o.body, "metadata", "name")
		switch kind {
		case "ExternalSecret", "ClusterExternalSecret":
			name := str(o.body, "spec", "target", "name")
			if name == "" {
				name = str(o.body, "metadata", "name")
			}
			add("Secret", o.ns, name)
		case "SealedSecret":
			name := str(o.body, "spec", "template", "metadata", "name")
			if name == "" {
				name = str(o.body, "metadata", "name")
			}
			add("Secret", o.ns, name)
		case "Certificate":
			add("Secret", o.ns, str(o.body, "spec", "secretName"))
		case "SecretProviderClass":
			for _, so := range list(dig(o.body, "spec")["secretObjects"]) {
				m, _ := so.(map[string]any)
				add("Secret", o.ns, str(m, "secretName"))
			}
		case "VaultStaticSecret", "VaultDynamicSecret", "OnePasswordItem", "InfisicalSecret", "AzureKeyVaultSecret":
			name := str(o.body, "spec", "destination", "name")
			if name == "" {
				name = str(o.body, "metadata", "name")
			}
			add("Secret", o.ns, name)
		}
	}
	return out
}

// envFiles are the files an environment's values come from, for unread.
func envFiles(chartDir string, values []string) []string {
	out := []string{path.Join(chartDir, "values.yaml")}
	for _, v := range values {
		out = append(out, path.Clean(v))
	}
	return out
}

// markProviders says, on each entry read from a Secret or ConfigMap the
// chart does not render, what makes it at run time (an ExternalSecret)
// or that nothing in the repository does.
func markProviders(ws []Workload, made map[string]string, missing []Reference) {
	none := map[string]bool{}
	for _, r := range missing {
		none[r.Kind+"/"+r.Namespace+"/"+r.Name] = true
	}
	for i := range ws {
		for j := range ws[i].Containers {
			c := &ws[i].Containers[j]
			for k := range c.env {
				src := &c.env[k].Source
				if src.Kind != KindExternal {
					continue
				}
				kind, rest, _ := strings.Cut(src.Detail, " ")
				name, _, _ := strings.Cut(rest, "/")
				id := kind + "/" + ws[i].Namespace + "/" + name
				switch {
				case made[id] != "":
					src.Provider = made[id]
				case none[id]:
					src.Provider = "-"
				}
			}
		}
	}
}
