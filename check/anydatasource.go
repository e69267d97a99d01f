package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
)

// FERRY010–012 in any ecosystem: besides GoFr's keys (with GoFr's
// defaults, for GoFr services), every datasource recognised by its value
// or key convention is compared across environments.

func gofr(in *Input) bool {
	return in.Project == nil || in.Project.Runtime != project.RuntimeGeneric
}

// gofrCovered lists the keys GoFr's own identities compare in e, so that
// the same datasource is not reported twice.
func gofrCovered(e *Env) map[string]bool {
	out := map[string]bool{}
	if _, ok := dbServer(e); ok {
		out["DB_HOST"], out["DB_PORT"], out["DB_NAME"] = true, true, true
	}
	if _, ok := redisIdent(e); ok {
		out["REDIS_HOST"], out["REDIS_PORT"], out["REDIS_DB"] = true, true, true
	}
	if _, keys, ok := broker(e); ok {
		for _, k := range keys {
			out[k] = true
		}
	}
	return out
}

// envEndpoints are e's endpoints outside GoFr's own keys (all of them for
// a generic service).
func envEndpoints(in *Input, e *Env) []endpoint {
	skip := map[string]bool{}
	if gofr(in) {
		skip = gofrCovered(e)
	}
	return append(endpoints(e, skip), fileEndpoints(e)...)
}

// withValues adds the value-recognised datasources of families to a GoFr
// sharing rule.
func withValues(gofrCheck func(*Input) []Finding, families ...string) func(*Input) []Finding {
	return func(in *Input) []Finding {
		var out []Finding
		if gofr(in) {
			out = gofrCheck(in)
		}
		return append(out, sharedEndpoints(in, families)...)
	}
}

type envEndpoint struct {
	env *Env
	ep  endpoint
}

// sharedEndpoints groups environments by endpoint identity: the same
// database (or Redis db, vhost, broker set) in two environments is an
// error; for SQL, the same server with another database a warning.
func sharedEndpoints(in *Input, families []string) []Finding {
	byIdent := map[string][]envEndpoint{}
	byServer := map[string][]envEndpoint{}
	var order, serverOrder []string
	for _, e := range in.Envs {
		seen := map[string]bool{}
		for _, ep := range envEndpoints(in, e) {
			if !slices.Contains(families, ep.family) || ep.family == "http" || anyLoopback(ep) {
				continue
			}
			id := ep.ident()
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, ok := byIdent[id]; !ok {
				order = append(order, id)
			}
			byIdent[id] = append(byIdent[id], envEndpoint{e, ep})
			if ep.family == "sql" || ep.family == "mongodb" {
				if _, ok := byServer[ep.server()]; !ok {
					serverOrder = append(serverOrder, ep.server())
				}
				byServer[ep.server()] = append(byServer[ep.server()], envEndpoint{e, ep})
			}
		}
	}
	var out []Finding
	for _, id := range order {
		group := distinctEnvs(byIdent[id])
		if len(group) < 2 {
			continue
		}
		if group[0].ep.family == "kafka" || group[0].ep.family == "nats" || group[0].ep.family == "mqtt" {
			envs := make([]*Env, len(group))
			for i, g := range group {
				envs[i] = g.env
			}
			if distinctNamespace(envs) {
				continue
			}
		}
		out = append(out, sharedFinding(group, Error, "the same "+what(group[0].ep)+" "+shown(group)))
	}
	for _, s := range serverOrder {
		group := distinctEnvs(byServer[s])
		dbs := map[string]bool{}
		for _, g := range group {
			dbs[g.ep.db] = true
		}
		if len(group) < 2 || len(dbs) < 2 {
			continue
		}
		out = append(out, sharedFinding(group, Warning, "the same database server "+noPort(s)+" with different databases"))
	}
	return out
}

// distinctEnvs keeps one endpoint per environment.
func distinctEnvs(g []envEndpoint) []envEndpoint {
	var out []envEndpoint
	seen := map[string]bool{}
	for _, x := range g {
		if !seen[x.env.Name] {
			seen[x.env.Name] = true
			out = append(out, x)
		}
	}
	return out
}

func what(ep endpoint) string {
	switch ep.family {
	case "sql", "mongodb":
		return "database"
	case "redis":
		return "Redis database"
	case "search":
		return "search cluster"
	case "graph":
		return "graph database"
	}
	return ep.family + " broker"
}

// shown is the identity as it may be printed: the identity of a URL
// whose only secret is its password (never part of the identity) is
// shown; nothing of a value from a Secret or under a secret name.
func shown(group []envEndpoint) string {
	for _, g := range group {
		if en, _ := g.env.entry(g.ep.keys[0]); en.FromSecret || secret.Name(en.Key) || g.ep.fromSecret {
			return "(from a secret value)"
		}
	}
	return noPort(group[0].ep.ident())
}

// emptyPort is a host's port that no key set (DATABASE_HOST without
// DATABASE_PORT): the identity keeps the "host:", a message need not.
var emptyPort = lazyre.New(`([^:/]):(,|/|$)`)

func noPort(id string) string {
	scheme, hosts, _ := strings.Cut(id, "://")
	return scheme + "://" + emptyPort.Get().ReplaceAllString(hosts, "$1$2")
}

func sharedFinding(group []envEndpoint, sev Severity, what string) Finding {
	var envs []*Env
	var ls []Location
	for _, g := range group {
		envs = append(envs, g.env)
		for _, k := range g.ep.keys {
			ls = append(ls, g.loc(k))
		}
	}
	key := group[0].loc(group[0].ep.keys[0]).Key
	return Finding{
		Environments: names(envs), Key: key, Severity: sev, Locations: ls,
		Message: fmt.Sprintf("%s use %s (%s): give each environment its own in its own values file.",
			andList(names(envs)), what, keySources(group)),
	}
}

// keySources says where each environment's value was set.
func keySources(group []envEndpoint) string {
	var order []string
	by := map[string][]string{}
	for _, g := range group {
		l := g.loc(g.ep.keys[0])
		s := l.Key + " set at " + where(l)
		if _, ok := by[s]; !ok {
			order = append(order, s)
		}
		by[s] = append(by[s], g.env.Name)
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%s for %s", s, andList(by[s]))
	}
	return strings.Join(parts, "; ")
}

func anyLoopback(ep endpoint) bool {
	for _, h := range ep.rawHosts {
		if loopback(h) {
			return true
		}
	}
	return false
}

// firstStep reports whether env is the first environment of the path,
// where development defaults such as localhost belong.
func firstStep(in *Input, env string) bool {
	return in.Project != nil && len(in.Project.Path) > 0 && in.Project.Path[0] == env
}

func init() {
	register(
		Rule{
			ID: "FERRY018", Name: "loopback-datasource", Severity: Error,
			Summary: "A datasource or service URL points at localhost after the first environment",
			Help: "localhost, 127.0.0.0/8 and ::1 inside a pod are the pod itself: a database, cache, " +
				"broker or service URL that resolves there in staging or prod usually was inherited from " +
				"the base values written for a laptop. Set the real host in each environment's values " +
				"file. A sidecar in the pod listening on the port (a Cloud SQL proxy, say) is not reported, " +
				"nor a service URL at the container's own declared port (the service calling itself).",
			Check: checkLoopback,
		},
		Rule{
			ID: "FERRY019", Name: "foreign-environment", Severity: Error,
			Summary: "A value of one environment names another environment",
			Help: "A host, path or database name that names another environment of the path " +
				"(accounts-dev.… in dr, models.stage.… in prod) usually was copied from that " +
				"environment's values and points this one at its data. Words are matched whole, " +
				"stage≈staging, prod≈production, dev≈development; a value in the first environment " +
				"naming a later one is fine. A host, path or name that also names the environment " +
				"itself is its own (ht-accept-demo1 in demo1), and numbered siblings (demo, demo1) " +
				"do not name each other. Where FERRY010–013 pair the two environments on that key, " +
				"their finding says it instead. Set this environment's own host or name.",
			Check: checkForeignEnvironment,
		},
	)
}

func checkLoopback(in *Input) []Finding {
	type hit struct {
		key, file string
		line      int
	}
	var order []hit
	by := map[hit][]*Env{}
	for _, e := range in.Envs {
		if firstStep(in, e.Name) {
			continue
		}
		for _, ep := range endpoints(e, nil) {
			if !anyLoopback(ep) || telemetryKey(ep.keys[0]) || otherStageKey(ep.keys[0], e.Name) || sidecarServes(e, ep) {
				continue
			}
			src := entrySource(e, ep.keys[0])
			h := hit{ep.keys[0], src.File, src.Line}
			if _, ok := by[h]; !ok {
				order = append(order, h)
			}
			by[h] = append(by[h], e)
		}
	}
	var out []Finding
	for _, h := range order {
		envs := by[h]
		l := envs[0].loc(h.key, "")
		inherited := ""
		if baseLayer(envs[0], l.File) {
			inherited = fmt.Sprintf(", a layer inherited by %s", andList(names(envs)))
		}
		out = append(out, Finding{
			Environments: names(envs), Key: h.key, Locations: locs(envs, []string{h.key}, nil),
			Message: fmt.Sprintf("%s: %s=%s (set at %s%s) points at the pod itself: set the real host in each environment's own values file.",
				andList(names(envs)), h.key, l.Value, l.Source, inherited),
		})
	}
	return out
}

// baseLayer reports whether file is a values file every environment reads
// (the chart's values.yaml or a common layer), not e's own.
func baseLayer(e *Env, file string) bool {
	if e.Spec == nil || len(e.Spec.Values) == 0 {
		return false
	}
	return file != e.Spec.Values[len(e.Spec.Values)-1] && slices.Contains(e.Spec.Values, file)
}

// telemetryKey names keys of a node-local agent (an OpenTelemetry
// collector or Jaeger agent on the node or in the pod): localhost there is
// a deliberate design.
func telemetryKey(k string) bool {
	k = strings.ToUpper(k)
	return strings.HasPrefix(k, "OTEL_") || strings.Contains(k, "TRACER") || strings.Contains(k, "JAEGER") ||
		strings.Contains(k, "AGENT") || strings.Contains(k, "STATSD") || strings.Contains(k, "DOGSTATSD") || strings.Contains(k, "ZIPKIN")
}

// otherStageKey reports a key named for another, earlier stage than env
// (EVE_CLIENT_REDIRECT_DEV, LOCAL_API_URL in prod): it configures a
// developer's client, not this environment's pod, so localhost there is
// not env's mistake.
func otherStageKey(key, env string) bool {
	for _, w := range splitWords(camelWords(key)) {
		w = strings.ToLower(w)
		// ci, int and integration name services as often as stages.
		if project.DevLike(w) && !strings.Contains(" ci int integration ", " "+w+" ") && !slices.Contains(aliases(env), w) {
			return true
		}
	}
	return false
}

// sidecarServes reports whether a container of the pod serves the
// endpoint's port on localhost: a sidecar (a Cloud SQL proxy, an Envoy),
// or the container itself on its own declared port (BASE_URL=
// http://localhost:3000 in a container listening on 3000 is the service
// calling itself).
func sidecarServes(e *Env, ep endpoint) bool {
	w := e.primary()
	// A view holds one container; the whole pod is in the objects.
	for _, o := range e.Result.Objects {
		if w == nil || o.Kind != w.Kind || o.Name != w.Name {
			continue
		}
		for _, c := range podContainers(o.Body) {
			own := len(w.Containers) > 0 && c["name"] == w.Containers[0].Name
			if own && ep.family != "http" {
				continue // a database URL at the service's own port is still wrong
			}
			ports, _ := c["ports"].([]any)
			if len(ports) == 0 && !own {
				return true // a sidecar with undeclared ports may serve it
			}
			for _, p := range ports {
				pm, _ := p.(map[string]any)
				for _, h := range ep.hosts {
					if strings.HasSuffix(h, ":"+scalarString(pm["containerPort"])) {
						return true
					}
				}
			}
		}
	}
	return false
}

func podContainers(body map[string]any) []map[string]any {
	var spec map[string]any
	switch body["kind"] {
	case "Pod":
		spec, _ = body["spec"].(map[string]any)
	case "CronJob":
		spec = digMap(body, "spec", "jobTemplate", "spec", "template", "spec")
	default:
		spec = digMap(body, "spec", "template", "spec")
	}
	var out []map[string]any
	for _, field := range []string{"containers", "initContainers"} {
		cs, _ := spec[field].([]any)
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				if field == "initContainers" && m["restartPolicy"] != "Always" {
					continue // only native sidecars outlive the init phase
				}
				out = append(out, m)
			}
		}
	}
	return out
}

func digMap(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}

func scalarString(v any) string {
	switch x := v.(type) {
	case float64:
		return fmt.Sprint(int64(x))
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// aliases are the names an environment goes by.
func aliases(env string) []string {
	out := []string{strings.ToLower(env)}
	for _, syn := range [][]string{{"stage", "staging", "stg"}, {"prod", "production", "prd"}, {"dev", "development", "develop"}, {"test", "testing"}, {"preprod", "pre-prod"}} {
		if slices.Contains(syn, strings.ToLower(env)) {
			out = append(out, syn...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// nameKeys are keys whose value names a place even without a URL shape.
var nameKeys = lazyre.New(`(?i)(_DB|_DATABASE|_DBNAME|DB_NAME|BUCKET|NAMESPACE|CLUSTER|_INDEX|_QUEUE|_VHOST|_SCHEMA)$|BUCKET|NAMESPACE`)

// placeParts are the parts of a value that name a place: host labels, URL
// path segments, the database name.
func placeParts(key, value string, eps []endpoint) []string {
	var parts []string
	for _, ep := range eps {
		if !slices.Contains(ep.keys, key) || ep.keys[0] != key {
			continue
		}
		for _, h := range ep.rawHosts {
			parts = append(parts, withoutTLD(h))
		}
		parts = append(parts, ep.db, ep.path)
	}
	if len(parts) == 0 && nameKeys.Get().MatchString(key) {
		parts = append(parts, value)
	}
	return parts
}

// withoutTLD drops the top-level domain of a public host name: .dev and
// .live are registries' domains (staging.shop.acme.dev), not the dev
// environment. A short cluster name keeps it: postgres.dev is the
// Service postgres in namespace dev. .local is mDNS's domain
// (mailpit.local), never the environment local.
func withoutTLD(host string) string {
	if n := len(host) - len(".local"); n > 0 && strings.EqualFold(host[n:], ".local") {
		return host[:n]
	}
	if strings.Count(host, ".") < 2 {
		return host
	}
	return host[:strings.LastIndex(host, ".")]
}

func checkForeignEnvironment(in *Input) []Finding {
	if in.Project == nil {
		return nil
	}
	var out, images []Finding
	for _, e := range in.Envs {
		if firstStep(in, e.Name) {
			continue
		}
		own := aliases(e.Name)
		eps := endpoints(e, nil)
		for _, en := range e.Result.Config.Entries {
			if en.Secret || en.External || en.Value == "" {
				continue
			}
			parts := placeParts(en.Key, en.Value, eps)
			if len(parts) == 0 {
				continue
			}
			var other, a string
			ok := false
			// Each part on its own: a host naming the environment itself
			// is its own, while its database on another's server is not.
			for _, p := range parts {
				if other, a, ok = namedEnv(in, e.Name, own, strings.ToLower(p)); ok {
					break
				}
			}
			if !ok {
				continue
			}
			l := e.loc(en.Key, "")
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l}, named: other,
				Message: fmt.Sprintf("%s: %s=%s (set at %s) names environment %s (%q): point %s at its own datasource.",
					e.Name, en.Key, l.Value, l.Source, other, a, e.Name),
			})
		}
		if f, ok := foreignImage(in, e, own); ok {
			images = append(images, f)
		}
		out = append(out, foreignAnnotations(in, e, own)...)
	}
	// A base-values repository every later environment inherits is one
	// line to fix.
	return append(out, dedupe(images)...)
}

// foreignAnnotations reports an Ingress annotation whose URL names another
// environment: a test that inherits the base's cors-allow-origin
// https://erp-dev.… (annotations: {} in its file does not remove it).
func foreignAnnotations(in *Input, e *Env, own []string) []Finding {
	var out []Finding
	for _, o := range e.Result.Objects {
		meta, _ := o.Body["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		for k, v := range ann {
			s, _ := v.(string)
			for _, u := range strings.Split(s, ",") {
				_, rest, ok := strings.Cut(strings.TrimSpace(u), "://")
				host := strings.ToLower(strings.Split(strings.Split(rest, "/")[0], ":")[0])
				if !ok || o.Kind != "Ingress" {
					continue
				}
				other, a, named := namedEnv(in, e.Name, own, withoutTLD(host))
				if !named {
					continue
				}
				l := writtenAt(in, e, o.Template, s)
				l.Key, l.Value = k, s
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: k, Locations: []Location{l}, named: other,
					Message: fmt.Sprintf("%s: Ingress %s's annotation %s=%s (set at %s) names environment %s (%q): set %s's own.",
						e.Name, o.Name, k, s, l.Source, other, a, e.Name),
				})
				break
			}
		}
	}
	return out
}

// foldForeignShared makes one finding of a datasource value copied from
// another environment: FERRY019 (acceptance's host names dev) and the
// sharing rule (FERRY010–013) that pairs the two environments on the
// same key say the same thing, so the FERRY019 joins that finding, as
// severe as the worse. A FERRY019 whose environment is not paired with
// the one it names stays on its own.
func foldForeignShared(fs []Finding) []Finding {
	drop := map[int]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Rule < "FERRY010" || f.Rule > "FERRY013" || f.Accepted {
			continue
		}
		var envs []string
		named := ""
		for j, g := range fs {
			if g.Rule != "FERRY019" || g.Accepted || drop[j] || g.Key != f.Key || named != "" && g.named != named ||
				!slices.Contains(f.Environments, g.named) || !subset(g.Environments, f.Environments) {
				continue
			}
			drop[j], named = true, g.named
			envs = append(envs, g.Environments...)
			if g.Severity.rank() < f.Severity.rank() {
				f.Severity = g.Severity
			}
		}
		if named != "" {
			slices.Sort(envs)
			f.Message = fmt.Sprintf("%s; the %s of %s names environment %s (FERRY019).",
				strings.TrimSuffix(f.Message, "."), f.Key, andList(envs), named)
		}
	}
	var out []Finding
	for i, f := range fs {
		if !drop[i] {
			out = append(out, f)
		}
	}
	return out
}

// foreignImage reports an image repository that names another
// environment of the path: prod pulling …/orders-dev runs dev's builds.
func foreignImage(in *Input, e *Env, own []string) (Finding, bool) {
	if e.Result == nil || e.Result.Image == "" {
		return Finding{}, false
	}
	repo, _, _ := imageRef(e.Result.Image)
	named := repo
	if host, rest, ok := strings.Cut(repo, "/"); ok && strings.ContainsAny(host, ".:") {
		// A registry's domain is no environment: registry.acme.dev is
		// no dev, registry.local no local.
		host = strings.Split(host, ":")[0]
		if i := strings.LastIndex(host, "."); i > 0 {
			host = host[:i]
		}
		named = host + "/" + rest
	}
	other, a, ok := namedEnv(in, e.Name, own, strings.ToLower(named))
	if !ok {
		return Finding{}, false
	}
	l := imageLoc(e, "repository", repo)
	return Finding{
		Environments: []string{e.Name}, Key: "image.repository", Locations: []Location{l},
		Message: fmt.Sprintf("%s: the image repository %s (set at %s) names environment %s (%q): %s runs the builds made for %s; pull %s's own repository.",
			e.Name, repo, where(l), other, a, e.Name, other, e.Name),
	}, true
}

// namedEnv finds another environment of the path that text names (by
// one of its aliases, as a whole word), other than env's own names.
//
// A text that also names env itself is env's own (ht-accept-demo1 in
// demo1, demo-dev.… in demo: the environment's compound name or a value
// built from its own profile), and numbered siblings (demo, demo1…demo4)
// are one family that does not name each other.
func namedEnv(in *Input, env string, own []string, text string) (other, alias string, ok bool) {
	for _, a := range own {
		if wordIn(a, text) {
			return "", "", false
		}
	}
	for _, other := range in.Project.EnvNames() {
		if o, _ := in.Project.Env(other); other == env || family(other) == family(env) || o.Nameless {
			continue // a Nameless one's name is the service's: values name it everywhere
		}
		for _, a := range aliases(other) {
			if !slices.Contains(own, a) && wordIn(a, text) && !ownPrefix(own, a) {
				return other, a, true
			}
		}
	}
	return "", "", false
}

// family is an environment's name without its trailing number or
// separator: demo for demo1, eu-west for eu-west-2.
func family(env string) string {
	return strings.TrimRight(strings.ToLower(env), "0123456789-_")
}

// wordIn matches word in text at word boundaries (letters and digits are
// word characters; a trailing number is allowed: staging2).
func wordIn(word, text string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		for end < len(text) && text[end] >= '0' && text[end] <= '9' {
			end++
		}
		if (start == 0 || !wordChar(text[start-1])) && (end == len(text) || !wordChar(text[end])) {
			return true
		}
		i = start + 1
	}
}

func wordChar(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ownPrefix reports whether a is the first word of one of the
// environment's own hyphenated names (prod in prod-eu).
func ownPrefix(own []string, a string) bool {
	for _, o := range own {
		if strings.HasPrefix(o, a+"-") || strings.HasSuffix(o, "-"+a) {
			return true
		}
	}
	return false
}

// loc locates one key of the endpoint: a configuration key of the
// environment, or a key of a configuration file it mounts.
func (g envEndpoint) loc(k string) Location {
	if l, ok := g.ep.where[k]; ok {
		return l
	}
	return g.env.loc(k, "")
}
