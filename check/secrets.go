package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Secret rules: credentials reach the container from a Secret, never as a
// literal in a values file, a template or the image's configs/.env.

func init() {
	register(Rule{
		ID: "FERRY040", Name: "secret-in-config", Severity: Error,
		Summary: "A sensitive key has a literal value outside a Secret",
		Help: "A key whose name is sensitive (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, " +
			"CREDENTIAL, ACCESS_KEY, AUTH_KEY) with a literal value in a values file, a template or " +
			"configs/.env is readable by anyone with the repository, the image or the ConfigMap. " +
			"Deliver it from a Kubernetes Secret created outside the chart (secretKeyRef or " +
			"envFrom secretRef), and keep only a reference to it in the chart.",
		Check: checkSecretInConfig,
	})
}

// sensitive reports whether key names a credential: secret.Name, the one
// list every command shares.
func sensitive(key string) bool { return secret.Name(key) }

// credential reports a literal FERRY040 flags: a value under a sensitive
// key, or an access key id (the user half of a key pair, no secret by
// its name) whose value has the shape of a real one (AKIA…): one pasted
// in beside its secret half is the pair committed.
func credential(key, v string) bool {
	if sensitive(key) {
		return true
	}
	w := splitWords(camelWords(key))
	n := len(w)
	return n >= 3 && w[n-3] == "ACCESS" && w[n-2] == "KEY" && w[n-1] == "ID" && secret.Value(v)
}

// placeholder reports values that stand for a secret rather than being
// one: "${{ DB_PASSWORD }}", "REPLACE_WITH_TOKEN", "$(TOKEN)", and Go's
// formatting of a values map a template quoted into a value
// (map[secretKeyRef:map[key:token name:orders]]): a template bug that
// names a Secret, never the credential (eval16 InstaCommerce).
func placeholder(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.HasPrefix(v, "${") || strings.HasPrefix(v, "$(") ||
		strings.HasPrefix(strings.ToUpper(v), "REPLACE_") || (strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">")) ||
		(strings.HasPrefix(v, "map[") || strings.HasPrefix(v, "[map[")) && strings.HasSuffix(v, "]")
}

func checkSecretInConfig(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		out = append(out, fileSecretFindings(e, false)...)
		fromSecret := secretKeys(e)
		for _, en := range e.Result.Config.Entries {
			if !credential(en.Key, en.Value) || boolish(en.Value) || filePath(en.Value) {
				continue
			}
			// A placeholder (<EMPTY>=, changeme) is FERRY082's: it is not the
			// credential, and its line is one thing to fix.
			if !en.External && !fromSecret[en.Key] && !placeholder(en.Value) && !unreplaced(e, en) && en.Source.Kind != render.KindRuntime {
				out = append(out, literalSecret(e, en.Key, en.Source, "is a literal value in the configuration"))
				continue
			}
			// A hidden literal is still written down: the image carries
			// configs/.env, a ConfigMap carries what envFrom would have
			// read, even when a Secret wins.
			for _, sh := range en.Shadows {
				if placeholder(sh.Value) || inRenderedSecret(e, en.Key) {
					continue
				}
				switch sh.Source.Kind {
				case render.KindFile:
					out = append(out, literalSecret(e, en.Key, sh.Source, "is baked into the image by a configs file, though a later layer overrides it"))
				case render.KindValues, render.KindTemplate:
					out = append(out, literalSecret(e, en.Key, sh.Source, "is a literal in the chart's values or templates (rendered into a ConfigMap or env), though a Secret overrides it"))
				}
			}
		}
		out = append(out, configMapSecrets(in, e)...)
	}
	return dedupe(out)
}

// configMapSecrets is FERRY040 for the keys of rendered ConfigMaps that no
// pod of the chart reads through env or envFrom: a ConfigMap an operator
// reads by name (the Zalando operator's AWS_SECRET_ACCESS_KEY for WAL
// backups) is as readable as any other. What a container receives is
// judged above, with the container's provenance, so a ConfigMap a pod
// reads is left out here.
func configMapSecrets(in *Input, e *Env) []Finding {
	read := map[string]bool{} // what a pod reads through env or envFrom
	// Any pod of the chart: a per-container view holds one workload,
	// and the auth Deployment reading auth-configmap is not in the MySQL
	// Deployment's view (eval18 grhakarya).
	root, all := in, e
	for ; root.parent != nil; root = root.parent {
	}
	for _, pe := range root.Envs {
		if pe.Name == e.Name && pe.Result != nil {
			all = pe
		}
	}
	for _, w := range all.Result.Workloads {
		for _, r := range w.Reads {
			read[r] = true
		}
	}
	var out []Finding
	for _, o := range e.Result.Objects {
		if o.Kind != "ConfigMap" || read["ConfigMap/"+o.Name] {
			continue
		}
		data := dataOf(e, o)
		for _, k := range slices.Sorted(maps.Keys(data)) {
			v := strings.TrimSpace(data[k])
			if !credential(k, v) || boolish(v) || filePath(v) || placeholder(v) || isPlaceholder(v) ||
				encrypted(v) || strings.Contains(v, "{") || strings.ContainsAny(v, "\n") || namesSecret(k, v) {
				continue
			}
			l, ok := dataKeyValuesLoc(in, e, o, k, v)
			if !ok {
				l = objectLoc(in, e, o, k, v, func(_ string, x any) bool { return scalarString(x) == v })
			}
			l.Key, l.Value = k, secret.Shown(k, "", secret.Whole)
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: k, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s is a literal value in ConfigMap %s (%s), which no pod of the chart reads but anyone who can read the namespace's ConfigMaps can: move it to a Secret created outside the chart and have what reads the ConfigMap by name take it from there.",
					e.Name, k, o.Name, l.Source),
			})
		}
	}
	return out
}

// dataKeyValuesLoc is the values line behind a data key whose one line in
// o's document reads one values path (AWS_ACCESS_KEY_ID: {{
// .Values.s3_key_id }}): two keys set to the same value are then still
// told apart.
func dataKeyValuesLoc(in *Input, e *Env, o render.Object, key, v string) (Location, bool) {
	d, lines, ok := objectDoc(in.files(), in.dir(), o.Template, o.Kind, o.Name)
	if !ok {
		return Location{}, false
	}
	var refs []string
	for _, line := range lines[d.start-1 : d.end] {
		if k, rest, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == key {
			refs = append(refs, valuesPaths(rest)...)
		}
	}
	if len(refs) != 1 {
		return Location{}, false
	}
	s, ok := e.Result.ValueSources[refs[0]]
	if x, found := pathValue(e.Result.Values, refs[0]); !ok || !found || scalarString(x) != v || s.Kind != render.KindValues && s.Kind != render.KindCI {
		return Location{}, false
	}
	return Location{Environment: e.Name, Key: refs[0], Source: s.String(), File: s.File, Line: s.Line}, true
}

// namesSecret reports a key that names a Secret rather than holding one:
// pod_environment_secret: postgres-pod-secrets, DB_SECRET_NAME is not
// sensitive at all. Its last word is SECRET and its value is an object
// name (lower-case words joined by - or .).
func namesSecret(key, v string) bool {
	w := splitWords(camelWords(key))
	if len(w) == 0 || (w[len(w)-1] != "SECRET" && w[len(w)-1] != "SECRETS") || len(v) > 253 || !strings.ContainsAny(v, "-.") {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func literalSecret(e *Env, key string, src render.Source, what string) Finding {
	return Finding{
		Environments: []string{e.Name}, Key: key,
		Locations: []Location{{Environment: e.Name, Key: key, Value: secret.Shown(key, "", secret.Whole), Source: src.String(), File: src.File, Line: src.Line}},
		Message: fmt.Sprintf("%s: %s %s (%s): move it to a Secret created outside the chart and reference it with secretKeyRef.",
			e.Name, key, what, src.String()),
	}
}

// dedupe merges findings of one rule that point at the same key and line
// (a base-layer line every environment inherits) into one finding naming
// every environment. The merged finding is as severe as the worst of
// them, as mergeShared's: a placeholder line is a warning in the first
// environment and an error after it, and still one line to fix.
func dedupe(fs []Finding) []Finding {
	var out []Finding
	idx := map[string]int{}
	first := map[int]string{} // merged finding → the environment its message names
	for _, f := range fs {
		// The value too: a template cited with no line is one place for
		// two environments' different hosts, not one finding.
		// A finding that leaves its severity to the rule's default folds
		// only with its like: its rank is not known here.
		id := fmt.Sprintf("%t|%s|%s:%d|%s", f.Severity == "", f.Key, f.Locations[0].File, f.Locations[0].Line, f.Locations[0].Value)
		if f.Locations[0].File == "" {
			out = append(out, f)
			continue
		}
		if i, ok := idx[id]; ok {
			// The message now speaks for several environments.
			if len(out[i].Environments) == 1 {
				first[i] = out[i].Environments[0]
			}
			out[i].Environments = append(out[i].Environments, f.Environments...)
			if f.Severity.rank() < out[i].Severity.rank() {
				out[i].Severity = f.Severity
			}
			continue
		}
		idx[id] = len(out)
		out = append(out, f)
	}
	for i, env := range first {
		out[i].Message = envWord(env).ReplaceAllString(out[i].Message, "${1}"+strings.ReplaceAll(andList(out[i].Environments), "$", "$$")+"${2}")
	}
	return out
}

// secretKeys returns the keys the container receives from a Secret
// (secretKeyRef, or envFrom secretRef to a Secret the chart renders).
func secretKeys(e *Env) map[string]bool {
	out := map[string]bool{}
	for _, en := range e.Result.Config.Entries {
		if en.FromSecret {
			out[en.Key] = true
		}
	}
	return out
}

// inRenderedSecret reports whether a Secret the chart renders holds key.
func inRenderedSecret(e *Env, key string) bool {
	for _, o := range e.Result.Objects {
		if o.Kind != "Secret" {
			continue
		}
		for _, k := range objectKeys(e, "Secret", o.Name) {
			if k == key {
				return true
			}
		}
	}
	return false
}

// objectKeys lists the data keys of a rendered ConfigMap or Secret.
func objectKeys(e *Env, kind, name string) []string {
	var out []string
	for _, o := range e.Result.Objects {
		if o.Kind != kind || o.Name != name {
			continue
		}
		for _, field := range []string{"data", "stringData", "binaryData"} {
			d, _ := o.Body[field].(map[string]any)
			for k := range d {
				out = append(out, k)
			}
		}
	}
	return out
}

// boolish values are switches, not credentials: ALLOW_EMPTY_PASSWORD=yes.
// filePath reports a value that is an absolute file path
// (/data/tokens-eth.json, /run/secrets/db-password): where a credential
// is kept, or a file a key named like one points at, never the literal
// credential. Every segment is lower-case, so a base64 secret that
// happens to start with a slash is not one.
func filePath(v string) bool {
	if !strings.HasPrefix(v, "/") || len(v) > 256 {
		return false
	}
	segs := strings.Split(strings.TrimSuffix(v[1:], "/"), "/")
	if len(segs) < 2 {
		return false
	}
	for _, s := range segs {
		if s == "" || strings.Trim(s, "0123456789") == "" {
			return false
		}
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

func boolish(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "false", "yes", "no", "on", "off", "0", "1":
		return true
	}
	return false
}
