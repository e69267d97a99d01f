package check

import (
	"bufio"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Configuration delivered as files: a ConfigMap or Secret whose data key
// is settings.ini, application.yaml, app.properties, config.json or .env,
// mounted into the container. Its keys are configuration like any env
// var: literal secrets, datasources and hosts are checked the same way.

// fileEntry is one key of a configuration file a ConfigMap or Secret
// carries.
type fileEntry struct {
	Object string // "ConfigMap/orders-settings"
	File   string // the data key: "settings.ini"
	Key    string // the key inside the file: "database.password"
	Value  string
	Line   int  // line inside the file; 0 when unknown
	Secret bool // carried by a Secret
	// Template is the chart file that rendered the object.
	Template string
}

// label names the key for findings: "settings.ini:database.password".
func (f fileEntry) label() string { return f.File + ":" + f.Key }

// loc locates the key for findings: the object's template, and the line
// inside the file.
func (f fileEntry) loc(env string) Location {
	src := fmt.Sprintf("%s %s in %s", f.Object, f.File, f.Template)
	if f.Line > 0 {
		src = fmt.Sprintf("%s %s:%d in %s", f.Object, f.File, f.Line, f.Template)
	}
	how := secret.Unmarked
	if f.Secret || secret.Is(f.Key, f.Value) {
		how = secret.Whole
	}
	v := secret.Shown(f.Key, f.Value, how)
	return Location{Environment: env, Key: f.label(), Value: v, Source: src, File: f.Template}
}

// configFileKind tells the format of a data key by its name; "" for data
// that is not a configuration file ferry reads.
func configFileKind(name string) string {
	base := path.Base(name)
	switch ext := strings.ToLower(path.Ext(base)); {
	case ext == ".ini" || ext == ".cfg" || ext == ".conf" && !strings.Contains(base, "nginx"):
		return "ini"
	case ext == ".properties":
		return "properties"
	case ext == ".yaml" || ext == ".yml" || ext == ".json":
		return "yaml" // JSON is YAML, and the YAML parser keeps lines
	case ext == ".env" || base == ".env" || strings.HasPrefix(base, ".env.") || strings.HasSuffix(base, ".env"):
		return "env"
	}
	return ""
}

// mountedFiles returns the entries of the configuration files e's
// container mounts from rendered ConfigMaps and Secrets (or, in a view of
// the whole chart, any workload mounts).
func mountedFiles(e *Env) []fileEntry {
	if e.Result == nil {
		return nil
	}
	objs := mountedObjects(e)
	var out []fileEntry
	for _, o := range e.Result.Objects {
		if (o.Kind != "ConfigMap" && o.Kind != "Secret") || !objs[o.Kind+"/"+o.Name] {
			continue
		}
		data := dataOf(e, o)
		names := make([]string, 0, len(data))
		for k := range data {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			kind := configFileKind(name)
			if kind == "" {
				continue
			}
			for _, kv := range parseConfigFile(kind, data[name]) {
				kv.Object, kv.File, kv.Secret, kv.Template = o.Kind+"/"+o.Name, name, o.Kind == "Secret", o.Template
				out = append(out, kv)
			}
		}
	}
	return out
}

// dataOf returns a ConfigMap's or Secret's data as text (Secret data
// decoded by render, from SecretValues).
func dataOf(e *Env, o render.Object) map[string]string {
	out := map[string]string{}
	if o.Kind == "Secret" {
		for _, sv := range e.Result.SecretValues {
			if sv.Secret == o.Name {
				out[sv.Key] = sv.Value
			}
		}
		return out
	}
	d, _ := o.Body["data"].(map[string]any)
	for k, v := range d {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// mountedObjects lists the ConfigMaps and Secrets ("ConfigMap/x") that
// the containers of e's workloads mount as volumes.
func mountedObjects(e *Env) map[string]bool {
	out := map[string]bool{}
	for _, w := range e.Result.Workloads {
		names := map[string]bool{}
		for _, c := range w.Containers {
			names[c.Name] = true
		}
		for _, o := range e.Result.Objects {
			if o.Kind != w.Kind || o.Name != w.Name {
				continue
			}
			spec := podSpec(o.Body)
			mounted := map[string]bool{}
			for _, field := range []string{"containers", "initContainers"} {
				cs, _ := spec[field].([]any)
				for _, c := range cs {
					cm, _ := c.(map[string]any)
					if !names[scalarString(cm["name"])] {
						continue
					}
					vms, _ := cm["volumeMounts"].([]any)
					for _, vm := range vms {
						m, _ := vm.(map[string]any)
						mounted[scalarString(m["name"])] = true
					}
				}
			}
			vols, _ := spec["volumes"].([]any)
			for _, v := range vols {
				vm, _ := v.(map[string]any)
				if !mounted[scalarString(vm["name"])] {
					continue
				}
				addVolume(vm, out)
			}
		}
	}
	return out
}

// addVolume records the ConfigMaps and Secrets a volume projects.
func addVolume(v map[string]any, out map[string]bool) {
	if cm, ok := v["configMap"].(map[string]any); ok {
		out["ConfigMap/"+scalarString(cm["name"])] = true
	}
	if s, ok := v["secret"].(map[string]any); ok {
		out["Secret/"+scalarString(s["secretName"])] = true
	}
	p, _ := v["projected"].(map[string]any)
	srcs, _ := p["sources"].([]any)
	for _, s := range srcs {
		sm, _ := s.(map[string]any)
		addVolume(map[string]any{"configMap": sm["configMap"]}, out)
		if sec, ok := sm["secret"].(map[string]any); ok {
			out["Secret/"+scalarString(sec["name"])] = true
		}
	}
}

func podSpec(body map[string]any) map[string]any {
	switch body["kind"] {
	case "Pod":
		m, _ := body["spec"].(map[string]any)
		return m
	case "CronJob":
		return digMap(body, "spec", "jobTemplate", "spec", "template", "spec")
	}
	return digMap(body, "spec", "template", "spec")
}

// parseConfigFile reads the keys of one file; what does not parse yields
// what was read before it.
func parseConfigFile(kind, text string) []fileEntry {
	switch kind {
	case "yaml":
		var doc yaml.Node
		if yaml.Unmarshal([]byte(text), &doc) != nil {
			return nil
		}
		var out []fileEntry
		yamlLeaves(&doc, "", &out)
		return out
	case "env":
		var out []fileEntry
		for _, l := range dotenvLines(text) {
			out = append(out, fileEntry{Key: l.key, Value: l.value, Line: l.line})
		}
		return out
	}
	var out []fileEntry
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '!' {
			continue
		}
		if kind == "ini" && strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			continue
		}
		k, v := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		if section != "" {
			k = section + "." + k
		}
		out = append(out, fileEntry{Key: k, Value: strings.Trim(v, `"'`), Line: n})
	}
	return out
}

func yamlLeaves(n *yaml.Node, prefix string, out *[]fileEntry) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			yamlLeaves(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			v := n.Content[i+1]
			if v.Kind == yaml.ScalarNode {
				*out = append(*out, fileEntry{Key: k, Value: v.Value, Line: v.Line})
				continue
			}
			yamlLeaves(v, k, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := fmt.Sprintf("%s[%d]", prefix, i)
			if c.Kind == yaml.ScalarNode {
				*out = append(*out, fileEntry{Key: k, Value: c.Value, Line: c.Line})
				continue
			}
			yamlLeaves(c, k, out)
		}
	}
}

// envLine is one KEY=VALUE statement of a dotenv file, as written.
type envLine struct {
	key, value string
	line       int
}

var envKey = lazyre.New(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$`)

// dotenvLines reads the statements of a dotenv file, every one, repeated
// keys included (envfile keeps only the winner). Multi-line quoted values
// are rare in configuration and read as their first line.
func dotenvLines(text string) []envLine {
	var out []envLine
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		m := envKey.Get().FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		v := strings.TrimSpace(m[2])
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out = append(out, envLine{key: m[1], value: v, line: n})
	}
	return out
}

// upperKey turns a file key into the environment-variable spelling the
// endpoint conventions use: spring.datasource.url → SPRING_DATASOURCE_URL.
func upperKey(k string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_", "[", "_", "]", "").Replace(camelWords(k)))
}

// fileEndpoints finds the datasources of the configuration files e's
// container mounts, by the same value shapes and key conventions as its
// environment (spring.datasource.url, [database] host/port/name).
func fileEndpoints(e *Env) []endpoint {
	files := mountedFiles(e)
	if len(files) == 0 {
		return nil
	}
	var out []endpoint
	byFile := map[string][]fileEntry{}
	var order []string
	for _, f := range files {
		id := f.Object + " " + f.File
		if _, ok := byFile[id]; !ok {
			order = append(order, id)
		}
		byFile[id] = append(byFile[id], f)
	}
	for _, id := range order {
		fs := byFile[id]
		entries := make([]render.Entry, 0, len(fs))
		by := map[string]fileEntry{}
		for _, f := range fs {
			k := upperKey(f.Key)
			by[k] = f
			entries = append(entries, render.Entry{Key: k, Value: f.Value})
		}
		synth := &Env{Name: e.Name, Spec: e.Spec, Result: &render.Result{Config: render.NewConfig(entries)}}
		for _, ep := range endpoints(synth, nil) {
			ep.where = map[string]Location{}
			for _, k := range ep.keys {
				ep.where[k] = by[k].loc(e.Name)
			}
			ep.fromSecret = fs[0].Secret
			out = append(out, ep)
		}
	}
	return out
}

// fileSecret reports a key of a configuration file that holds a literal
// credential: a sensitive name with a written-out value, or a URL with a
// password.
func fileSecret(f fileEntry) bool {
	v := strings.TrimSpace(f.Value)
	if v == "" || boolish(v) || placeholder(v) || isPlaceholder(v) || encrypted(v) ||
		strings.HasPrefix(v, "%(") || strings.HasPrefix(v, "{{") || strings.HasPrefix(v, "#{") {
		return false
	}
	if secret.Name(upperKey(f.Key)) {
		return true
	}
	ok := len(secret.Passwords(v)) > 0
	return ok && !strings.Contains(v, "${") && !strings.Contains(v, "$(")
}

// fileSecretFindings reports the literal credentials in the configuration
// files env's containers mount. inSecret selects the files carried by a
// Secret the chart renders from committed text (FERRY041), or those in a
// ConfigMap (FERRY040).
func fileSecretFindings(e *Env, inSecret bool) []Finding {
	var out []Finding
	for _, f := range mountedFiles(e) {
		if f.Secret != inSecret || !fileSecret(f) {
			continue
		}
		if inSecret && !committedFile(e, f) {
			continue
		}
		where := "in a ConfigMap, readable by anyone who can read the namespace's configuration"
		if inSecret {
			where = "in a Secret the chart renders from text committed with the repository"
		}
		l := f.loc(e.Name)
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: f.label(), Locations: []Location{l},
			Message: fmt.Sprintf("%s: %s holds a literal credential at %s, %s: reference a Secret created outside the chart (an environment variable the file interpolates, or a Secret mounted beside it).",
				e.Name, f.label(), l.Source, where),
		})
	}
	return out
}

// committedFile reports whether a Secret's file came from the chart's
// own text (a values file or a template, .Files.Get included) in clear.
func committedFile(e *Env, f fileEntry) bool {
	name := strings.TrimPrefix(f.Object, "Secret/")
	for _, sv := range e.Result.SecretValues {
		if sv.Secret == name && sv.Key == f.File {
			return !sv.Source.Encrypted && sv.Source.Kind != render.KindExternal
		}
	}
	return false
}

// filePlaceholders is FERRY082 for the configuration files e's
// containers mount: host = <DB_HOST> in a config.ini the chart carries
// reaches the service as it stands. An interpolation the file's own
// reader fills in (${DB_HOST}, %(host)s, {{ }}, #{ }) is not one, nor
// a lower-case dunder name (Prometheus's __address__ label).
func filePlaceholders(in *Input, e *Env, sev Severity) []Finding {
	// One finding per file: a template config.ini with seven <…> keys
	// is one file to fill in.
	var out []Finding
	at := map[string]int{}
	for _, f := range mountedFiles(e) {
		v := strings.TrimSpace(f.Value)
		if strings.Contains(v, "${") || strings.HasPrefix(v, "__") && strings.ToLower(v) == v || strings.Contains(v, "%(") || strings.Contains(v, "{{") || strings.Contains(v, "#{") ||
			!isPlaceholder(v) || ciFilled(e, v) || e.tokenFilled(v) {
			continue
		}
		l := f.loc(e.Name)
		if w := fileWrittenAt(in, e, f); w.Line > 0 {
			l.Source, l.File, l.Line = w.Source, w.File, w.Line
		}
		id := f.Object + " " + f.File
		i, ok := at[id]
		if !ok {
			i, at[id] = len(out), len(out)
			out = append(out, Finding{Environments: []string{e.Name}, Key: f.File, Severity: sev})
		}
		out[i].Locations = append(out[i].Locations, l)
	}
	for i := range out {
		f := &out[i]
		var keys []string
		for _, l := range f.Locations {
			keys = append(keys, strings.TrimPrefix(l.Key, f.Key+":")+" "+strconv.Quote(l.Value)+" ("+l.Source+")")
		}
		f.Message = e.Name + ": the mounted " + f.Key + " still holds placeholders: " + strings.Join(keys, ", ") +
			". The service reads them as they stand: set the real values, or have the pipeline replace them."
	}
	return out
}

// fileWrittenAt locates a key of a mounted file in the repository: the
// one line of the template or e's values files that writes its value
// (config: | in values-prod.yaml), else the same line of the chart's own
// copy of the file (.Files.Get "config/app.ini"), looked for where charts
// keep them; no line when neither is sure.
func fileWrittenAt(in *Input, e *Env, f fileEntry) Location {
	l := writtenAt(in, e, f.Template, f.Value)
	if l.Line > 0 || in.Project == nil || f.Line == 0 {
		return l
	}
	for _, dir := range []string{"", "config", "configs", "files", "conf"} {
		rel := path.Join(filepath.ToSlash(in.Project.Chart), dir, f.File)
		data, _ := in.files().ReadFile(filepath.Join(in.dir(), rel))
		if lines := strings.Split(string(data), "\n"); f.Line <= len(lines) && strings.Contains(lines[f.Line-1], f.Value) {
			return Location{Source: rel + ":" + strconv.Itoa(f.Line), File: rel, Line: f.Line}
		}
	}
	return l
}
