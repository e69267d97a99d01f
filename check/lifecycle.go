package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/render"
)

// Lifecycle rules: the process starts on the ports the pod expects, parses
// every typed key the way GoFr does, drains within the pod's termination
// grace, and restarts when its configuration changes.

func init() {
	register(
		Rule{
			ID: "FERRY050", Name: "bad-duration", Severity: Error,
			Summary: "A duration key is not a Go duration",
			Help: "GoFr parses SHUTDOWN_GRACE_PERIOD, REDIS_STREAMS_BLOCK_TIMEOUT, " +
				"REDIS_PUBSUB_QUERY_TIMEOUT and MQTT_KEEP_ALIVE with time.ParseDuration, which needs " +
				"units: a bad value (a plain 30 included) silently becomes the default. Write the " +
				"duration with units, such as 25s or 1m30s.",
			Check: checkBadDuration,
		},
		Rule{
			ID: "FERRY051", Name: "grace-exceeds-termination", Severity: Error,
			Summary: "SHUTDOWN_GRACE_PERIOD ≥ the pod's terminationGracePeriodSeconds",
			Help: "Kubernetes kills the container terminationGracePeriodSeconds (default 30) after " +
				"SIGTERM; GoFr drains for SHUTDOWN_GRACE_PERIOD (default 30s). When the drain is not " +
				"shorter, the kubelet kills the pod mid-drain and in-flight requests fail. Set " +
				"SHUTDOWN_GRACE_PERIOD a few seconds below terminationGracePeriodSeconds.",
			Check: checkGraceExceedsTermination,
		},
		Rule{
			ID: "FERRY052", Name: "port-mismatch", Severity: Error,
			Summary: "HTTP and metrics ports collide, or the container's ports and probes disagree with them",
			Help: "GoFr serves the API and /.well-known/{alive,health} on HTTP_PORT (default 8000) and " +
				"/metrics on METRICS_PORT (default 2121); equal ports make startup fatal, and ports or " +
				"probes that point elsewhere make the pod unreachable or never ready. Make the " +
				"container ports and probes match HTTP_PORT and METRICS_PORT, and probe " +
				"/.well-known/alive and /.well-known/health.",
			Check: checkPortMismatch,
		},
		Rule{
			ID: "FERRY053", Name: "invalid-value", Severity: Error,
			Summary: "A typed key of GoFr's contract does not parse",
			Help: "GoFr parses ports and counts with strconv.Atoi, switches with ParseBool or an exact " +
				"\"true\", and silently falls back to its default when a value does not parse " +
				"(HTTP_PORT → 8000, METRICS_PORT → 2121, DB_MAX_OPEN_CONNECTION → 0 = unlimited, " +
				"TRACER_RATIO → 0 = no traces; see FERRY022). Write the value in the form GoFr reads.",
			Check: checkInvalidValue,
		},
		Rule{
			ID: "FERRY054", Name: "metrics-off-drain", Severity: Warning,
			Summary: "METRICS_PORT=0 makes GoFr exit without draining",
			Help: "GoFr's App.Run returns when every server goroutine returns; HTTP's returns as soon " +
				"as Shutdown starts, so the metrics server is what keeps the process alive while " +
				"requests drain. With METRICS_PORT=0 GoFr exits on SIGTERM and drops in-flight " +
				"requests (observed: \"Empty reply from server\"). Keep the metrics server on.",
			Check: checkMetricsOffDrain,
		},
		Rule{
			ID: "FERRY055", Name: "config-not-rolled", Severity: Warning,
			Summary: "A workload reads a rendered ConfigMap/Secret that no checksum annotation covers",
			Help: "Environment variables and mounted files are read when a container starts; a changed " +
				"ConfigMap or Secret does not restart pods, which keep the old values until something " +
				"else rolls them. Each object the pod reads (env, envFrom, volumes) needs a checksum of " +
				"the template that renders it, or one keyed by its name (checksum-configmap-<name>): add " +
				"checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . " +
				"| sha256sum }} to the pod template's annotations.",
			Check: checkConfigNotRolled,
		},
	)
}

// durationKeys are GoFr's keys parsed with time.ParseDuration.
var durationKeys = []string{"SHUTDOWN_GRACE_PERIOD", "REDIS_STREAMS_BLOCK_TIMEOUT", "REDIS_PUBSUB_QUERY_TIMEOUT", "MQTT_KEEP_ALIVE"}

func checkBadDuration(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		for _, k := range durationKeys {
			v, ok := e.value(k)
			if !ok {
				continue
			}
			if _, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
				continue
			}
			hint := "such as 25s"
			if _, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				hint = strings.TrimSpace(v) + "s"
			}
			l := e.loc(k, "")
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: k, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s=%q (set at %s) is not a duration, so GoFr uses its default: write it with units, %s.",
					e.Name, k, v, where(l), hint),
			})
		}
	}
	return dedupe(out)
}

// shutdownKeys are other runtimes' drain timeouts, read only where a
// configuration sets them: what the service does without them is not
// known.
var shutdownKeys = []struct{ key, what string }{
	{"SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "Spring Boot's graceful shutdown phase"},
	{"QUARKUS_SHUTDOWN_TIMEOUT", "Quarkus' shutdown timeout"},
	{"GRACEFUL_TIMEOUT", "the graceful shutdown timeout"},
}

// parseDrain reads a duration as Go ("45s"), ISO 8601 ("PT45S") or a
// bare number of seconds.
func parseDrain(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil {
		return d, true
	}
	if u := strings.ToUpper(v); strings.HasPrefix(u, "PT") {
		if d, err := time.ParseDuration(strings.ToLower(u[2:])); err == nil {
			return d, true
		}
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, true
	}
	return 0, false
}

// checkGenericGrace is FERRY051 for services that do not follow GoFr's
// contract: only a drain timeout the configuration sets is compared.
func checkGenericGrace(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		w := e.primary()
		if w == nil {
			continue
		}
		for _, sk := range shutdownKeys {
			v, ok := e.value(sk.key)
			if !ok {
				continue
			}
			d, ok := parseDrain(v)
			term := time.Duration(w.TerminationGracePeriodSeconds) * time.Second
			if !ok || d < term {
				continue
			}
			gl := e.loc(sk.key, "")
			tl := e.valuesLocOr("terminationGracePeriodSeconds", strconv.Itoa(w.TerminationGracePeriodSeconds), w.Containers)
			tl.Key = "terminationGracePeriodSeconds"
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: sk.key, Locations: []Location{gl, tl},
				Message: fmt.Sprintf("%s: %s=%s, %s (%s), is not shorter than the pod's terminationGracePeriodSeconds %d (%s), so the kubelet kills the pod mid-drain: shorten it, or raise terminationGracePeriodSeconds.",
					e.Name, sk.key, v, sk.what, where(gl), w.TerminationGracePeriodSeconds, where(tl)),
			})
		}
	}
	return dedupe(out)
}

func checkGraceExceedsTermination(in *Input) []Finding {
	if !gofr(in) {
		return checkGenericGrace(in)
	}
	var out []Finding
	for _, e := range in.Envs {
		w := e.primary()
		if w == nil {
			continue
		}
		grace, note := 30*time.Second, ""
		if v, ok := e.value("SHUTDOWN_GRACE_PERIOD"); ok {
			if d, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
				grace = d
			} else {
				note = fmt.Sprintf(" (%q does not parse, so GoFr's default)", v)
			}
		}
		term := time.Duration(w.TerminationGracePeriodSeconds) * time.Second
		if grace < term {
			continue
		}
		gl := e.loc("SHUTDOWN_GRACE_PERIOD", "30s")
		tl := e.valuesLocOr("terminationGracePeriodSeconds", strconv.Itoa(w.TerminationGracePeriodSeconds), w.Containers)
		tl.Key = "terminationGracePeriodSeconds"
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "SHUTDOWN_GRACE_PERIOD", Locations: []Location{gl, tl},
			Message: fmt.Sprintf("%s: SHUTDOWN_GRACE_PERIOD %s%s (%s) is not shorter than the pod's terminationGracePeriodSeconds %d (%s), so the kubelet kills the pod mid-drain: set SHUTDOWN_GRACE_PERIOD a few seconds below it.",
				e.Name, grace, note, where(gl), w.TerminationGracePeriodSeconds, where(tl)),
		})
	}
	return dedupe(out)
}

// port returns key's port in env as GoFr reads it: the default when unset
// or unparsable.
func port(e *Env, key string, def int) int {
	v, ok := e.value(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || (n == 0 && key != "METRICS_PORT") {
		return def
	}
	return n
}

func checkPortMismatch(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.external("HTTP_PORT") || e.external("METRICS_PORT") {
			continue
		}
		httpPort, metricsPort := port(e, "HTTP_PORT", 8000), port(e, "METRICS_PORT", 2121)
		hl, ml := e.loc("HTTP_PORT", "8000"), e.loc("METRICS_PORT", "2121")
		add := func(msg string, extra ...Location) {
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "HTTP_PORT",
				Locations: append([]Location{hl, ml}, extra...),
				Message:   e.Name + ": " + msg,
			})
		}
		if httpPort == metricsPort {
			add(fmt.Sprintf("HTTP_PORT (%s) and METRICS_PORT (%s) are both %d, which makes GoFr's start fatal: give the metrics server its own port.",
				where(hl), where(ml), httpPort))
			continue
		}
		w := e.primary()
		if w == nil || len(w.Containers) == 0 {
			continue
		}
		c := w.Containers[0]
		tl := Location{Environment: e.Name, Source: "template " + c.Template, File: c.Template}
		if n, ok := c.Ports["http"]; ok && n != httpPort {
			add(fmt.Sprintf("the container port named http is %d but HTTP_PORT is %d (%s): make them equal.", n, httpPort, where(hl)), tl)
		}
		if n, ok := c.Ports["metrics"]; ok && metricsPort != 0 && n != metricsPort {
			add(fmt.Sprintf("the container port named metrics is %d but METRICS_PORT is %d (%s): make them equal.", n, metricsPort, where(ml)), tl)
		}
		kinds := make([]string, 0, len(c.Probes))
		for k := range c.Probes {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, kind := range kinds {
			p := c.Probes[kind]
			if !strings.HasPrefix(p.Path, "/.well-known/") {
				add(fmt.Sprintf("the %s probe requests %q, which GoFr does not serve: probe /.well-known/alive (liveness) or /.well-known/health (readiness).", kind, p.Path), tl)
			}
			n, err := strconv.Atoi(p.Port)
			if err != nil {
				var ok bool
				if n, ok = c.Ports[p.Port]; !ok {
					add(fmt.Sprintf("the %s probe uses port %q, which the container does not declare: name the HTTP_PORT container port in the probe.", kind, p.Port), tl)
					continue
				}
			}
			if n != httpPort {
				add(fmt.Sprintf("the %s probe goes to port %d but GoFr serves /.well-known/* on HTTP_PORT %d (%s): point the probe at the http port.", kind, n, httpPort, where(hl)), tl)
			}
		}
	}
	return out
}

// typedKey is how GoFr reads a key of its contract.
type typedKey int

const (
	tPort typedKey = iota
	tInt
	tBool      // strconv.ParseBool
	tExactTrue // on only for exactly "true"
	tFloat01
)

var typedKeys = map[string]typedKey{
	"HTTP_PORT": tPort, "METRICS_PORT": tPort, "GRPC_PORT": tPort, "DB_PORT": tPort, "REDIS_PORT": tPort, "MQTT_PORT": tPort,
	"DB_MAX_IDLE_CONNECTION": tInt, "DB_MAX_OPEN_CONNECTION": tInt, "REDIS_DB": tInt, "REDIS_PUBSUB_DB": tInt,
	"REQUEST_TIMEOUT": tInt, "REMOTE_LOG_FETCH_INTERVAL": tInt, "PARTITION_SIZE": tInt, "PUBSUB_OFFSET": tInt,
	"KAFKA_BATCH_SIZE": tInt, "KAFKA_BATCH_BYTES": tInt, "KAFKA_BATCH_TIMEOUT": tInt, "MQTT_QOS": tInt,
	"REDIS_STREAMS_MAXLEN": tInt, "REDIS_PUBSUB_BUFFER_SIZE": tInt, "REDIS_PUBSUB_QUERY_LIMIT": tInt,
	"LOG_DISABLE_PROBES": tBool, "MQTT_MESSAGE_ORDER": tBool, "MQTT_RETRIEVE_RETAINED": tBool,
	"REDIS_TLS_ENABLED": tExactTrue, "KAFKA_TLS_INSECURE_SKIP_VERIFY": tExactTrue, "GRPC_ENABLE_REFLECTION": tExactTrue,
	"REDIS_STREAMS_PEL_RATIO": tFloat01,
}

// invalid says why v is not what GoFr reads for a key of type t, "" when
// it is fine.
func invalid(key string, t typedKey, v string) string {
	switch t {
	case tPort:
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return "is not a port number"
		case key == "METRICS_PORT" && n == 0 && v == "0":
			return ""
		case n <= 0 || n > 65535:
			return "is outside 1–65535"
		}
	case tInt:
		if _, err := strconv.Atoi(v); err != nil {
			return "is not an integer"
		}
	case tBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return "is not a boolean (true or false)"
		}
	case tExactTrue:
		if v != "true" && v != "false" && !(key == "GRPC_ENABLE_REFLECTION" && strings.EqualFold(v, "true")) {
			return "turns the option on only when exactly \"true\""
		}
	case tFloat01:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return "is not a number in [0,1]"
		}
	}
	return ""
}

func checkInvalidValue(in *Input) []Finding {
	var out []Finding
	keys := make([]string, 0, len(typedKeys))
	for k := range typedKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, e := range in.Envs {
		for _, k := range keys {
			en, ok := e.entry(k)
			if !ok || en.External || en.Value == "" {
				continue // empty is unset for GoFr's GetOrDefault
			}
			why := invalid(k, typedKeys[k], en.Value)
			if why == "" {
				continue
			}
			l := e.loc(k, "")
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: k, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s=%q (set at %s) %s, so GoFr silently uses its default: correct the value.",
					e.Name, k, en.Value, where(l), why),
			})
		}
	}
	return dedupe(out)
}

func checkMetricsOffDrain(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if v, ok := e.value("METRICS_PORT"); !ok || strings.TrimSpace(v) != "0" {
			continue
		}
		l := e.loc("METRICS_PORT", "")
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "METRICS_PORT", Locations: []Location{l},
			Message: fmt.Sprintf("%s: METRICS_PORT=0 (set at %s) makes GoFr exit on SIGTERM without draining in-flight requests: keep the metrics server on.",
				e.Name, where(l)),
		})
	}
	return dedupe(out)
}

func checkConfigNotRolled(in *Input) []Finding {
	// One finding per set of objects read, across environments: five
	// workloads reading one ConfigMap without a checksum are one omission
	// of the chart, and prod running one workload more than dev does not
	// make it two.
	type group struct {
		f           Finding
		ids, wls    []string
		reads, hint string
		how, none   string
		first       string   // the environment that opened the group
		tpls        []string // the templates of its workloads
	}
	var groups []*group
	byReads := map[string]*group{}
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, w := range e.Result.Workloads {
			if (w.Kind != "Deployment" && w.Kind != "StatefulSet" && w.Kind != "DaemonSet") || rollsEveryRender(in, &w) {
				continue
			}
			cov := checksumsOf(in, e, &w)
			// all maps each object the pod reads to whether it reads it
			// through env (env, envFrom) rather than only a volume.
			all := map[string]bool{}
			for _, o := range e.Result.Objects {
				if o.Kind == w.Kind && o.Name == w.Name && o.Namespace == w.Namespace {
					// An operator that restarts the workload when what
					// it reads changes (Stakater Reloader, Wave) covers
					// everything it reads.
					for k := range digMap(o.Body, "metadata", "annotations") {
						cov.any = cov.any || strings.Contains(k, "reloader.stakater.com/") || strings.HasPrefix(k, "wave.pusher.com/")
					}
					vl, _ := digMap(o.Body, render.PodSpecPath(o.Kind)...)["volumes"].([]any)
					for _, v := range vl {
						vm, _ := v.(map[string]any)
						addVolume(vm, all)
					}
					for r := range all {
						all[r] = false
					}
				}
			}
			for _, r := range w.Reads {
				all[r] = true
			}
			var rendered []string
			how := "a volume"
			for _, r := range sortedSet(all) {
				kind, name, _ := strings.Cut(r, "/")
				if o, ok := rendering(e, kind, name); ok && !cov.covers(o) {
					rendered = append(rendered, r)
					if all[r] {
						how = "env/envFrom"
					}
				}
			}
			if len(rendered) == 0 {
				continue
			}
			id := w.Kind + "/" + w.Name
			joined := strings.Join(rendered, ", ")
			// One template is one omission whatever each environment's
			// release calls its objects (api-staging, api-prod).
			gk := joined
			if e.Spec != nil && e.Spec.Release != "" {
				gk = strings.ReplaceAll(joined, e.Spec.Release, "\x00")
			}
			g := byReads[gk]
			if g == nil {
				g = &group{reads: joined, how: how, hint: checksumHint(e, rendered, cov.keys), f: Finding{Key: id,
					Locations: []Location{{Environment: e.Name, Key: id, Source: "template " + w.Template, File: w.Template}}}}
				if len(cov.keys) > 0 {
					g.none = "its checksum annotations cover other objects (" + strings.Join(cov.keys, ", ") + ")"
				}
				g.first = e.Name
				byReads[gk] = g
				groups = append(groups, g)
			}
			if !slices.Contains(g.f.Environments, e.Name) {
				g.f.Environments = append(g.f.Environments, e.Name)
			}
			if e.Name != g.first && slices.Contains(g.tpls, w.Template) {
				continue // named so by another release: the same workload
			}
			g.tpls = append(g.tpls, w.Template)
			if !slices.Contains(g.ids, id) {
				g.ids = append(g.ids, id)
				g.wls = append(g.wls, w.Kind+" "+w.Name)
			}
		}
	}
	out := make([]Finding, 0, len(groups))
	for _, g := range groups {
		g.f.Workload = strings.Join(g.ids, ", ")
		what, verb, none, their := andList(g.wls), "read", "their pod templates have no checksum annotation", "their"
		if len(g.wls) == 1 {
			what, verb, none, their = g.wls[0], "reads", "its pod template has no checksum annotation", "its"
		}
		if g.none != "" {
			none = g.none
		}
		g.f.Message = fmt.Sprintf("%s %s %s through %s but %s, so a config change will not restart %s pods: add %s to the pod annotations.",
			what, verb, g.reads, g.how, none, their, g.hint)
		out = append(out, g.f)
	}
	return out
}

// checksums is what a pod template's checksum annotations roll for.
type checksums struct {
	keys []string // the annotations' keys, sorted
	// files are the templates a checksum includes through
	// $.Template.BasePath, as chart paths.
	files map[string]bool
	// named are the objects (by name) a checksum's key names when its
	// action includes no template: checksum-configmap-<name>.
	named map[string]bool
	// any is set when a checksum includes no template and its key names
	// no rendered object (checksum/config: {{ toYaml .Values.config |
	// sha256sum }}): what it hashes is not known, so it covers anything.
	any bool
}

// basePathFile finds the templates a checksum's action includes through
// $.Template.BasePath (print or printf).
var basePathFile = lazyre.New(`Template\.BasePath\s+"(/[^"]+)"|printf\s+"%s(/[^"]+)"\s+\$?\.Template\.BasePath`)

// checksumLine is a checksum annotation written literally in a pod
// template, with the rest of its line.
var checksumLine = lazyre.New(`(?m)^\s*["']?([^\s:"'{}]*checksum[^\s:"'{}]*)["']?\s*:(.*)$`)

// checksumsOf reads what the checksum annotations of w (in e) cover: the
// templates their actions include (read from w's template, where the
// annotation is written literally), else the object their key names,
// else anything.
func checksumsOf(in *Input, e *Env, w *render.Workload) checksums {
	c := checksums{files: map[string]bool{}, named: map[string]bool{}}
	has := false
	for k := range w.PodAnnotations {
		has = has || strings.Contains(strings.ToLower(k), "checksum")
	}
	if !has {
		return c // nothing to read the template for
	}
	actions := in.checksumActions(w.Template)
	base := templatesDir(w.Template)
	for k := range w.PodAnnotations {
		lk := strings.ToLower(k)
		if !strings.Contains(lk, "checksum") {
			continue
		}
		c.keys = append(c.keys, k)
		fs := basePathFile.Get().FindAllStringSubmatch(actions[lk], -1)
		for _, f := range fs {
			c.files[base+f[1]+f[2]] = true
		}
		if len(fs) > 0 {
			continue
		}
		rest := lk[strings.Index(lk, "checksum")+len("checksum"):]
		named := false
		for _, o := range e.Result.Objects {
			if n := strings.ToLower(o.Name); (o.Kind == "ConfigMap" || o.Kind == "Secret") && strings.HasSuffix(rest, n) {
				if b := rest[:len(rest)-len(n)]; b == "" || strings.ContainsAny(b[len(b)-1:], "-/._") {
					c.named[o.Name], named = true, true
				}
			}
		}
		c.any = c.any || !named
	}
	slices.Sort(c.keys)
	return c
}

// checksumActions are the actions of template t's checksum annotations,
// by lower-cased key (a key written twice: both lines), read once per
// template for every environment and workload that asks.
func (in *Input) checksumActions(t string) map[string]string {
	if in.parent != nil {
		return in.parent.checksumActions(t)
	}
	in.checksumMu.Lock()
	defer in.checksumMu.Unlock()
	if a, ok := in.checksumActs[t]; ok {
		return a
	}
	var text []byte
	if in.Project != nil && t != "" {
		text, _ = in.files().ReadFile(filepath.Join(in.Project.Dir, filepath.FromSlash(t)))
	}
	actions := map[string]string{}
	for _, m := range checksumLine.Get().FindAllSubmatch(text, -1) {
		k := strings.ToLower(string(m[1]))
		actions[k] += string(m[2]) + "\n"
	}
	if in.checksumActs == nil {
		in.checksumActs = map[string]map[string]string{}
	}
	in.checksumActs[t] = actions
	return actions
}

// templatesDir is $.Template.BasePath of the chart that holds template
// t: chart/templates for chart/templates/api/deployment.yaml.
func templatesDir(t string) string {
	if i := strings.LastIndex(t, "templates/"); i >= 0 {
		return t[:i+len("templates")]
	}
	return ""
}

// covers reports whether a checksum rolls the pods when o changes.
func (c checksums) covers(o render.Object) bool {
	return c.any || c.files[o.Template] || c.named[o.Name]
}

// checksumHint is the annotation that rolls the pods when the objects
// read change, naming the template that renders the first of them
// (backend-secrets.yaml, not a configmap.yaml the chart may not have),
// under a key the pod does not use yet.
func checksumHint(e *Env, reads []string, taken []string) string {
	file := "configmap.yaml"
	kind, name, _ := strings.Cut(reads[0], "/")
	for _, o := range e.Result.Objects {
		if o.Kind == kind && o.Name == name && o.Template != "" {
			if i := strings.LastIndex(o.Template, "templates/"); i >= 0 {
				file = o.Template[i+len("templates/"):]
			}
			break
		}
	}
	key := "checksum/config"
	if slices.Contains(taken, key) {
		key = "checksum/" + strings.ToLower(kind)
	}
	return fmt.Sprintf("%s: {{ include (print $.Template.BasePath \"/%s\") . | sha256sum }}", key, file)
}

// everyRender matches a pod annotation whose template changes on every
// render (rollme: {{ randAlphaNum 5 | quote }}, {{ now | unixEpoch }}).
var everyRender = lazyre.New(`\n\s*[\w./-]+:\s*"?\{\{[^}]*\b(rand(AlphaNum|Alpha|Numeric|Ascii)|uuidv4|now)\b`)

// rollsEveryRender reports a workload whose template has such an
// annotation: Helm's documented rollme, which restarts the pods on
// every upgrade, config change or not.
func rollsEveryRender(in *Input, w *render.Workload) bool {
	if len(w.Containers) == 0 || len(w.PodAnnotations) == 0 || in.Project == nil {
		return false
	}
	data, err := in.files().ReadFile(filepath.Join(in.Project.Dir, filepath.FromSlash(w.Containers[0].Template)))
	return err == nil && everyRender.Get().Match(data)
}

// rendering is the object of kind and name e's chart renders.
func rendering(e *Env, kind, name string) (render.Object, bool) {
	for _, o := range e.Result.Objects {
		if o.Kind == kind && o.Name == name {
			return o, true
		}
	}
	return render.Object{}, false
}
