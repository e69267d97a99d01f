package check

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// Datasource rules: environments must not share a database, cache, broker
// or bucket, and every datasource must be configured the way GoFr reads
// it. Identity is semantic: GoFr's defaults are filled in, host names are
// compared case-insensitively without a trailing dot, and a value that an
// environment inherits from the base layer counts for it.

func init() {
	register(
		Rule{
			ID: "FERRY010", Name: "shared-database", Severity: Error,
			Summary: "Two environments resolve to the same database",
			Help: "Two environments whose DB_HOST, DB_PORT and DB_NAME resolve to the same database " +
				"(error), or to the same server with another database name (warning), can overwrite each " +
				"other's data. Identity uses GoFr's defaults: DB_PORT is 3306 for every dialect " +
				"(supabase rewrites 3306 to 5432), host names are case-insensitive, and a value inherited " +
				"from the base layer counts for every environment that inherits it. " +
				"Set DB_HOST and DB_NAME in each environment's own values file.",
			Check: withValues(checkSharedDatabase, "sql", "mongodb", "search", "graph"),
		},
		Rule{
			ID: "FERRY011", Name: "shared-redis", Severity: Error,
			Summary: "Two environments use the same Redis database",
			Help: "Two environments with the same REDIS_HOST, REDIS_PORT and REDIS_DB share keys. GoFr " +
				"defaults REDIS_PORT to 6379 and REDIS_DB to 0. Give each environment its own Redis " +
				"host or REDIS_DB.",
			Check: withValues(checkSharedRedis, "redis"),
		},
		Rule{
			ID: "FERRY012", Name: "shared-broker", Severity: Error,
			Summary: "Two environments use the same pub/sub broker without distinct topics",
			Help: "Two environments on the same broker (PUBSUB_BROKER for Kafka, MQTT_HOST for MQTT, " +
				"GOOGLE_PROJECT_ID for Google, REDIS_HOST and REDIS_PUBSUB_DB for Redis, NATS_SERVER) " +
				"consume each other's messages unless their topics or subjects differ. Give each " +
				"environment its own broker, or a distinct topic/subject prefix key (a key containing " +
				"TOPIC, SUBJECT, NAMESPACE or PREFIX).",
			Check: withValues(checkSharedBroker, "amqp", "kafka", "nats", "mqtt"),
		},
		Rule{
			ID: "FERRY013", Name: "shared-bucket", Severity: Error,
			Summary: "Two environments use the same bucket",
			Help: "A bucket key (a key containing BUCKET) with the same value in two environments " +
				"lets one environment read and overwrite the other's objects. Set a per-environment " +
				"bucket in each environment's values file.",
			Check: checkSharedBucket,
		},
		Rule{
			ID: "FERRY015", Name: "db-port-default", Severity: Warning,
			Summary: "PostgreSQL or CockroachDB without DB_PORT",
			Help: "GoFr defaults DB_PORT to 3306 for every dialect, PostgreSQL and CockroachDB " +
				"included (pkg/gofr/datasource/sql/sql.go; only supabase rewrites 3306 to 5432), so " +
				"an unset DB_PORT dials the MySQL port. Set DB_PORT explicitly (5432 for PostgreSQL, " +
				"26257 for CockroachDB).",
			Check: checkDBPortDefault,
		},
		Rule{
			ID: "FERRY016", Name: "mqtt-public-broker", Severity: Error,
			Summary: "MQTT pub/sub without MQTT_HOST",
			Help: "With PUBSUB_BACKEND=MQTT and no MQTT_HOST, GoFr connects to the public broker " +
				"broker.emqx.io:1883 (pkg/gofr/container/container.go), publishing your messages " +
				"to the internet. Set MQTT_HOST to your own broker.",
			Check: checkMQTTPublic,
		},
		Rule{
			ID: "FERRY017", Name: "missing-datasource-key", Severity: Warning,
			Summary: "A datasource is half-configured",
			Help: "GoFr opens a datasource only when its selecting key is set, and fails quietly " +
				"otherwise: DB_HOST without DB_DIALECT opens no SQL connection at all; " +
				"PUBSUB_BACKEND=KAFKA without PUBSUB_BROKER creates no Kafka client; a Kafka " +
				"subscriber without CONSUMER_ID cannot join a group; GOOGLE needs GOOGLE_PROJECT_ID and " +
				"GOOGLE_SUBSCRIPTION_NAME (GoFr's health endpoint then panics on the typed-nil client). " +
				"Set the missing key.",
			Check: checkMissingDatasourceKey,
		},
		Rule{
			ID: "FERRY070", Name: "connection-budget", Severity: Warning,
			Summary: "Replicas × DB_MAX_OPEN_CONNECTION exceed the database's connection limit",
			Help: "Each replica opens up to DB_MAX_OPEN_CONNECTION connections (GoFr's default 0 " +
				"means unlimited); environments on the same database server add up. Past the " +
				"server's limit (ferry.yaml database.maxConnections, default 100) new connections are " +
				"refused. Lower DB_MAX_OPEN_CONNECTION or the replicas, or raise maxConnections.",
			Check: checkConnectionBudget,
		},
	)
}

// sqlOn reports whether GoFr opens an SQL connection in env, and its
// dialect.
func sqlOn(e *Env) (string, bool) {
	d, ok := e.value("DB_DIALECT")
	if !ok {
		return "", false
	}
	d = strings.ToLower(strings.TrimSpace(d))
	switch d {
	case "mysql", "postgres", "supabase", "cockroachdb":
		return d, true
	}
	// sqlite is a file inside the pod; anything else opens nothing.
	return d, false
}

// dbServer is the host:port GoFr dials in env.
// A half-configured datasource (DB_HOST without DB_DIALECT) counts too:
// FERRY017 reports the missing dialect, and the host is still shared.
func dbServer(e *Env) (string, bool) {
	d, ok := sqlOn(e)
	if !ok && !(d == "" && mustValue(e, "DB_HOST") != "") {
		return "", false
	}
	if e.external("DB_HOST") || e.external("DB_PORT") {
		return "", false
	}
	host, _ := e.value("DB_HOST")
	if host == "" && d == "supabase" {
		ref, ok := e.value("SUPABASE_PROJECT_REF")
		if !ok {
			return "", false
		}
		host = "db." + ref + ".supabase.co"
	}
	if host == "" {
		return "", false
	}
	port, ok := e.value("DB_PORT")
	if !ok {
		port = "3306"
	}
	port = normPort(port)
	if d == "supabase" && port == "3306" {
		port = "5432"
	}
	return normHost(host) + ":" + port, true
}

var dbDefaults = map[string]string{"DB_PORT": "3306"}

func checkSharedDatabase(in *Input) []Finding {
	var out []Finding
	keys := []string{"DB_HOST", "DB_PORT", "DB_NAME"}
	byServer := groupBy(in.Envs, dbServer)
	for _, envs := range byServer.groups() {
		server, _ := dbServer(envs[0])
		byName := groupBy(envs, func(e *Env) (string, bool) {
			if e.external("DB_NAME") {
				return "", false
			}
			n, _ := e.value("DB_NAME")
			return n, true
		})
		for _, same := range byName.groups() {
			name, _ := same[0].value("DB_NAME")
			out = append(out, Finding{
				Environments: names(same), Key: "DB_HOST", Severity: Error,
				Locations: locs(same, keys, dbDefaults),
				Message: fmt.Sprintf("%s use the same database %q on %s (DB_HOST set at %s): "+
					"set DB_HOST or DB_NAME per environment in its own values file.",
					andList(names(same)), name, server, sourcesOf(same, "DB_HOST", "")),
			})
		}
		if len(byName.order) > 1 {
			out = append(out, Finding{
				Environments: names(envs), Key: "DB_HOST", Severity: Warning,
				Locations: locs(envs, keys, dbDefaults),
				Message: fmt.Sprintf("%s use the same database server %s with different DB_NAMEs (DB_HOST set at %s): "+
					"give each environment its own server so load and outages stay apart.",
					andList(names(envs)), server, sourcesOf(envs, "DB_HOST", "")),
			})
		}
	}
	return out
}

// sourcesOf lists where key was set in each of envs, once per distinct
// source: "chart/values.yaml:12 (prod, staging)".
func sourcesOf(envs []*Env, key, def string) string {
	var order []string
	by := map[string][]string{}
	for _, e := range envs {
		s := where(e.loc(key, def))
		if _, ok := by[s]; !ok {
			order = append(order, s)
		}
		by[s] = append(by[s], e.Name)
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%s for %s", s, andList(by[s]))
	}
	return strings.Join(parts, "; ")
}

var redisDefaults = map[string]string{"REDIS_PORT": "6379", "REDIS_DB": "0"}

func redisIdent(e *Env) (string, bool) {
	host, ok := e.value("REDIS_HOST")
	if !ok || e.external("REDIS_PORT") || e.external("REDIS_DB") {
		return "", false
	}
	port, ok := e.value("REDIS_PORT")
	if !ok {
		port = "6379"
	}
	db, ok := e.value("REDIS_DB")
	if !ok {
		db = "0"
	}
	return normHost(host) + ":" + normPort(port) + "/" + normPort(db), true
}

func checkSharedRedis(in *Input) []Finding {
	var out []Finding
	for _, envs := range groupBy(in.Envs, redisIdent).groups() {
		id, _ := redisIdent(envs[0])
		out = append(out, Finding{
			Environments: names(envs), Key: "REDIS_HOST",
			Locations: locs(envs, []string{"REDIS_HOST", "REDIS_PORT", "REDIS_DB"}, redisDefaults),
			Message: fmt.Sprintf("%s use the same Redis database %s (REDIS_HOST set at %s): "+
				"give each environment its own REDIS_HOST or REDIS_DB.",
				andList(names(envs)), id, sourcesOf(envs, "REDIS_HOST", "")),
		})
	}
	return out
}

// broker returns the broker env publishes to, and the keys that name it.
func broker(e *Env) (id string, keys []string, ok bool) {
	backend, _ := e.value("PUBSUB_BACKEND")
	switch strings.ToUpper(strings.TrimSpace(backend)) {
	case "KAFKA":
		b, ok := e.value("PUBSUB_BROKER")
		if !ok {
			return "", nil, false
		}
		var hosts []string
		for _, h := range strings.Split(b, ",") {
			if h = normHost(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		sort.Strings(hosts)
		return "kafka://" + strings.Join(hosts, ","), []string{"PUBSUB_BROKER"}, true
	case "MQTT":
		h, ok := e.value("MQTT_HOST")
		if !ok {
			h = "broker.emqx.io"
		}
		p, _ := e.value("MQTT_PORT")
		return "mqtt://" + normHost(h) + ":" + normPort(p), []string{"MQTT_HOST", "MQTT_PORT"}, true
	case "GOOGLE":
		p, ok := e.value("GOOGLE_PROJECT_ID")
		return "google://" + p, []string{"GOOGLE_PROJECT_ID"}, ok
	case "REDIS":
		id, ok := redisIdent(e)
		if !ok {
			return "", nil, false
		}
		host := id[:strings.LastIndex(id, "/")]
		db, ok := e.value("REDIS_PUBSUB_DB")
		if !ok {
			db = "15"
		}
		return "redis://" + host + "/" + normPort(db), []string{"REDIS_HOST", "REDIS_PORT", "REDIS_PUBSUB_DB"}, true
	}
	// NATS is wired in Go code; NATS_SERVER is the documented convention.
	if s, ok := e.value("NATS_SERVER"); ok {
		return "nats://" + normHost(strings.TrimPrefix(s, "nats://")), []string{"NATS_SERVER"}, true
	}
	return "", nil, false
}

// isNamespaceKey names the keys that keep environments apart on one
// broker: a topic or subject name or prefix.
func isNamespaceKey(k string) bool {
	for _, s := range []string{"TOPIC", "SUBJECT", "NAMESPACE", "PREFIX"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// distinctNamespace reports whether some topic/subject key differs
// between every pair of envs.
func distinctNamespace(envs []*Env) bool {
	keys := map[string]bool{}
	for _, e := range envs {
		for _, en := range e.Result.Config.Entries {
			if isNamespaceKey(en.Key) {
				keys[en.Key] = true
			}
		}
	}
	for k := range keys {
		seen := map[string]bool{}
		distinct := true
		for _, e := range envs {
			v, ok := e.value(k)
			if !ok || seen[v] {
				distinct = false
				break
			}
			seen[v] = true
		}
		if distinct {
			return true
		}
	}
	return false
}

func checkSharedBroker(in *Input) []Finding {
	var out []Finding
	g := groupBy(in.Envs, func(e *Env) (string, bool) {
		id, _, ok := broker(e)
		return id, ok
	})
	for _, envs := range g.groups() {
		if distinctNamespace(envs) {
			continue
		}
		id, keys, _ := broker(envs[0])
		out = append(out, Finding{
			Environments: names(envs), Key: keys[0],
			Locations: locs(envs, keys, map[string]string{"MQTT_HOST": "broker.emqx.io", "REDIS_PUBSUB_DB": "15"}),
			Message: fmt.Sprintf("%s publish and subscribe on the same broker %s (%s set at %s) with no distinct topic or subject key: "+
				"give each environment its own broker or a per-environment topic prefix.",
				andList(names(envs)), id, keys[0], sourcesOf(envs, keys[0], "")),
		})
	}
	return out
}

func checkSharedBucket(in *Input) []Finding {
	keys := map[string]bool{}
	for _, e := range in.Envs {
		for _, en := range e.Result.Config.Entries {
			if strings.Contains(strings.ToUpper(en.Key), "BUCKET") {
				keys[en.Key] = true
			}
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []Finding
	for _, k := range sorted {
		g := groupBy(in.Envs, func(e *Env) (string, bool) {
			v, ok := e.value(k)
			return strings.ToLower(strings.TrimSpace(v)) + "@" + bucketServer(in, e, k), ok
		})
		for _, envs := range g.groups() {
			v, _ := envs[0].value(k)
			out = append(out, Finding{
				Environments: names(envs), Key: k,
				Locations: locs(envs, []string{k}, nil),
				Message: fmt.Sprintf("%s use the same bucket %s=%q (set at %s): set a per-environment bucket in each environment's values file.",
					andList(names(envs)), k, v, sourcesOf(envs, k, "")),
			})
		}
	}
	return out
}

// bucketServer is the object store a bucket key's sibling endpoint
// (S3_ENDPOINT beside S3_AVATAR_BUCKET) names, a short Service name
// qualified by the environment's namespace as qualify does:
// minio:9000 in two namespaces is two MinIO servers, two buckets.
func bucketServer(in *Input, e *Env, k string) string {
	first, _, _ := strings.Cut(k, "_")
	// Any container's: the Job that creates the bucket (mc mb) may not
	// read the endpoint the application does, and a per-container view
	// holds that Job alone.
	all := [][]render.Entry{e.Result.Config.Entries}
	if in.parent != nil {
		for _, p := range in.parent.Envs {
			if p.Name == e.Name {
				e = p
			}
		}
	}
	for _, w := range e.Result.Workloads {
		for _, c := range w.Containers {
			all = append(all, c.Config.Entries)
		}
	}
	for _, entries := range all {
		for _, en := range entries {
			if strings.HasPrefix(en.Key, first) && strings.Contains(en.Key, "ENDPOINT") {
				h := en.Value
				if _, rest, ok := strings.Cut(h, "//"); ok {
					h = rest // http://minio:9000
				}
				h, _, _ = strings.Cut(h, "/")
				if !strings.Contains(h, ".") {
					h += "." + e.Result.Namespace
				}
				return h
			}
		}
	}
	return ""
}

func checkDBPortDefault(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		d, _ := sqlOn(e)
		if d != "postgres" && d != "cockroachdb" {
			continue
		}
		if _, ok := e.entry("DB_PORT"); ok && (e.external("DB_PORT") || mustValue(e, "DB_PORT") != "") {
			continue
		}
		want := "5432"
		if d == "cockroachdb" {
			want = "26257"
		}
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "DB_PORT",
			Locations: []Location{e.loc("DB_DIALECT", ""), e.loc("DB_PORT", "3306")},
			Message: fmt.Sprintf("%s: DB_DIALECT=%s (set at %s) without DB_PORT makes GoFr dial port 3306, MySQL's: set DB_PORT=%s.",
				e.Name, d, where(e.loc("DB_DIALECT", "")), want),
		})
	}
	return out
}

func mustValue(e *Env, key string) string {
	v, _ := e.value(key)
	return v
}

func backendOf(e *Env) string {
	b, _ := e.value("PUBSUB_BACKEND")
	return strings.ToUpper(strings.TrimSpace(b))
}

func checkMQTTPublic(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if backendOf(e) != "MQTT" || e.external("MQTT_HOST") || mustValue(e, "MQTT_HOST") != "" {
			continue
		}
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "MQTT_HOST",
			Locations: []Location{e.loc("PUBSUB_BACKEND", ""), e.loc("MQTT_HOST", "broker.emqx.io")},
			Message: fmt.Sprintf("%s: PUBSUB_BACKEND=MQTT (set at %s) without MQTT_HOST makes GoFr connect to the public broker broker.emqx.io: set MQTT_HOST to your own broker.",
				e.Name, where(e.loc("PUBSUB_BACKEND", ""))),
		})
	}
	return out
}

func checkMissingDatasourceKey(in *Input) []Finding {
	var out []Finding
	subscribes := in.source().subscribes
	missing := func(e *Env, key string) bool { return !e.external(key) && mustValue(e, key) == "" }
	add := func(e *Env, key, because, msg string) {
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: key,
			Locations: []Location{e.loc(because, ""), e.loc(key, "")},
			Message:   fmt.Sprintf("%s: %s (%s set at %s).", e.Name, msg, because, where(e.loc(because, ""))),
		})
	}
	for _, e := range in.Envs {
		if !e.external("DB_HOST") && mustValue(e, "DB_HOST") != "" && missing(e, "DB_DIALECT") {
			add(e, "DB_DIALECT", "DB_HOST", "DB_HOST is set without DB_DIALECT, so GoFr opens no SQL connection: set DB_DIALECT (mysql, postgres, supabase, cockroachdb or sqlite)")
		}
		switch backendOf(e) {
		case "KAFKA":
			if missing(e, "PUBSUB_BROKER") {
				add(e, "PUBSUB_BROKER", "PUBSUB_BACKEND", "PUBSUB_BACKEND=KAFKA without PUBSUB_BROKER creates no Kafka client: set PUBSUB_BROKER to the broker list")
			}
			if subscribes && missing(e, "CONSUMER_ID") {
				add(e, "CONSUMER_ID", "PUBSUB_BACKEND", "the service subscribes to Kafka topics but CONSUMER_ID is unset, so it cannot join a consumer group: set CONSUMER_ID")
			}
		case "GOOGLE":
			for _, k := range []string{"GOOGLE_PROJECT_ID", "GOOGLE_SUBSCRIPTION_NAME"} {
				if missing(e, k) {
					add(e, k, "PUBSUB_BACKEND", "PUBSUB_BACKEND=GOOGLE without "+k+" gives GoFr no client and a panicking health check: set "+k)
				}
			}
		case "REDIS":
			mode, _ := e.value("REDIS_PUBSUB_MODE")
			if subscribes && !strings.EqualFold(mode, "pubsub") && missing(e, "REDIS_STREAMS_CONSUMER_GROUP") {
				add(e, "REDIS_STREAMS_CONSUMER_GROUP", "PUBSUB_BACKEND", "the service subscribes in Redis streams mode without REDIS_STREAMS_CONSUMER_GROUP, which streams need: set it")
			}
		}
	}
	return out
}

// connection budgets: replicas × DB_MAX_OPEN_CONNECTION per environment,
// summed over the environments that share a database server.
func checkConnectionBudget(in *Input) []Finding {
	limit := 100
	if in.Project != nil && in.Project.Database.MaxConnections > 0 {
		limit = in.Project.Database.MaxConnections
	}
	var out []Finding
	g := groupBy(in.Envs, dbServer)
	for _, id := range g.order {
		envs := g.envs[id]
		total := 0
		unlimited := false
		var parts []string
		var ls []Location
		for _, e := range envs {
			replicas := 1
			if w := e.primary(); w != nil {
				replicas = max(w.Replicas, maxReplicas(e, w.Name), 1)
			}
			n := 0
			if v, ok := e.value("DB_MAX_OPEN_CONNECTION"); ok {
				n, _ = strconv.Atoi(strings.TrimSpace(v)) // bad → 0, as GoFr
			}
			if n <= 0 {
				unlimited = true
				parts = append(parts, fmt.Sprintf("%s %d × unlimited", e.Name, replicas))
			} else {
				parts = append(parts, fmt.Sprintf("%s %d × %d", e.Name, replicas, n))
			}
			total += replicas * max(n, 0)
			ls = append(ls, e.loc("DB_MAX_OPEN_CONNECTION", "0"))
			if w := e.primary(); w != nil {
				ls = append(ls, e.valuesLocOr("replicas", strconv.Itoa(w.Replicas), w.Containers))
			}
		}
		if !unlimited && total <= limit {
			continue
		}
		what := fmt.Sprintf("%d connections", total)
		if unlimited {
			what = "an unlimited number of connections (DB_MAX_OPEN_CONNECTION unset or 0)"
		}
		out = append(out, Finding{
			Environments: names(envs), Key: "DB_MAX_OPEN_CONNECTION",
			Locations: ls,
			Message: fmt.Sprintf("%s on database server %s may open %s (%s) against a limit of %d: "+
				"lower DB_MAX_OPEN_CONNECTION or the replicas, or raise database.maxConnections in ferry.yaml.",
				andList(names(envs)), id, what, strings.Join(parts, " + "), limit),
		})
	}
	return out
}

// maxReplicas is the maxReplicas of a HorizontalPodAutoscaler that scales
// the workload called name, 0 when there is none.
func maxReplicas(e *Env, name string) int {
	for _, o := range e.Result.Objects {
		if o.Kind != "HorizontalPodAutoscaler" {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		ref, _ := spec["scaleTargetRef"].(map[string]any)
		if ref["name"] != name {
			continue
		}
		switch n := spec["maxReplicas"].(type) {
		case int:
			return n
		case int64:
			return int(n)
		case float64:
			return int(n)
		}
	}
	return 0
}

// valuesLocOr locates a values path, falling back to the workload's
// template when no values file set it.
func (e *Env) valuesLocOr(path, value string, cs []renderContainer) Location {
	l := e.valuesLoc(path, value)
	if l.File == "" && len(cs) > 0 && cs[0].Template != "" {
		l.Source, l.File = "template "+cs[0].Template, cs[0].Template
	}
	return l
}
