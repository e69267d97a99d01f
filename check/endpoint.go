package check

import (
	"maps"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Datasources in any ecosystem: a value is recognised by its shape (a
// URL or DSN of a known scheme, a broker list) or by its key's convention
// (*_HOST, *_ADDR, *_URL, *_DSN, *_BROKERS with the family in the name:
// REDIS_ADDR, ORDERS_DB_HOST, CELERY_BROKER_URL). Its identity is the
// scheme family, the hosts (case-insensitive, no trailing dot, a short
// Service name qualified by the environment's namespace), the port (the
// scheme's default filled in) and the database, vhost or db index.

// endpoint is one datasource or service a container connects to.
type endpoint struct {
	family   string   // sql, mongodb, redis, amqp, nats, kafka, mqtt, search, graph, http, mail
	hosts    []string // host:port, normalised and sorted
	db       string   // database, vhost or db index
	keys     []string // the keys that name it; the first holds the host
	rawHosts []string // hosts as written, for loopback and environment names
	path     string   // URL path, for environment names
	// where locates the keys of an endpoint read from a configuration
	// file (see configfiles.go); fromSecret says that file is a Secret.
	where      map[string]Location
	fromSecret bool
}

func (ep endpoint) ident() string {
	return ep.family + "://" + strings.Join(ep.hosts, ",") + "/" + ep.db
}

// server is the identity without the database.
func (ep endpoint) server() string {
	return ep.family + "://" + strings.Join(ep.hosts, ",")
}

// defaultPorts by scheme.
var schemes = map[string]struct {
	family, port string
}{
	"postgres": {"sql", "5432"}, "postgresql": {"sql", "5432"}, "pgsql": {"sql", "5432"}, "cockroachdb": {"sql", "26257"},
	"mysql": {"sql", "3306"}, "mariadb": {"sql", "3306"}, "sqlserver": {"sql", "1433"}, "mssql": {"sql", "1433"}, "oracle": {"sql", "1521"},
	"mongodb": {"mongodb", "27017"}, "mongodb+srv": {"mongodb", ""},
	"redis": {"redis", "6379"}, "rediss": {"redis", "6379"}, "valkey": {"redis", "6379"},
	"amqp": {"amqp", "5672"}, "amqps": {"amqp", "5671"},
	"nats": {"nats", "4222"}, "tls": {"nats", "4222"},
	"kafka": {"kafka", "9092"},
	"mqtt":  {"mqtt", "1883"}, "mqtts": {"mqtt", "8883"}, "ssl": {"mqtt", "8883"},
	"http": {"http", "80"}, "https": {"http", "443"},
	"smtp": {"mail", "25"}, "smtps": {"mail", "465"},
	"neo4j": {"graph", "7687"}, "bolt": {"graph", "7687"}, // neo4j+s, bolt+ssc: the + part is cut
}

var jdbcDatabase = lazyre.New(`(?i);(?:databaseName|database)=([^;]+)`)
var mysqlDSN = lazyre.New(`^(?:[^@\s]*@)?tcp\(([^)]+)\)/([^?\s]*)`)
var hostList = lazyre.New(`^[A-Za-z0-9.-]+(:\d+)?(,\s*[A-Za-z0-9.-]+(:\d+)?)*$`)

// mayBeURL reports whether v can be a URL or a DSN parseURL reads: one
// holding "://" or "tcp(". Shown only puts Redacted (no ':', '/' or
// '(') in place of a password, so it makes neither where v had none;
// but dropping a control character or an escape sequence could, so a
// value with any byte outside printable ASCII takes the whole path.
func mayBeURL(v string) bool {
	if strings.Contains(v, "://") || strings.Contains(v, "tcp(") {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return false
}

// parseURL recognises URLs and DSNs by scheme. Several rules ask of
// the same values in every environment, so the answers are memoised
// (bounded, like secret.Name's); each caller gets its own copy of the
// slices, which qualify rewrites in place.
func parseURL(v string) (endpoint, bool) {
	if !mayBeURL(strings.TrimSpace(v)) {
		return endpoint{}, false
	}
	if m, ok := urls.Load(v); ok {
		p := m.(parsedURL)
		return p.ep.copied(), p.ok
	}
	ep, ok := parseURLOnce(v)
	if urlsLen.Add(1) <= maxURLs {
		urls.Store(strings.Clone(v), parsedURL{ep.copied(), ok})
	}
	return ep, ok
}

// urls memoises parseURL, up to maxURLs values.
var (
	urls    sync.Map
	urlsLen atomic.Int64
)

const maxURLs = 1 << 14

type parsedURL struct {
	ep endpoint
	ok bool
}

// copied is ep with slices of its own.
func (ep endpoint) copied() endpoint {
	ep.hosts = slices.Clone(ep.hosts)
	ep.rawHosts = slices.Clone(ep.rawHosts)
	ep.keys = slices.Clone(ep.keys)
	ep.where = maps.Clone(ep.where)
	return ep
}

func parseURLOnce(v string) (endpoint, bool) {
	// Passwords are found by secret.Passwords, the one parser of them,
	// and redacted by secret.Shown before the parse: one holding "/", "?", "#" or "@"
	// (postgres://app:pa/ss@db/orders, seldom percent-encoded) is then
	// not read as the host, path or database, and none reaches an
	// endpoint.
	v = strings.TrimSpace(v)
	if !mayBeURL(v) {
		return endpoint{}, false
	}
	v = secret.Shown("", v, secret.Unmarked)
	if strings.Contains(v, "tcp(") { // mysqlDSN's literal
		if m := mysqlDSN.Get().FindStringSubmatch(v); m != nil {
			return mkEndpoint("sql", "3306", strings.Split(m[1], ","), m[2], ""), true
		}
	}
	v = strings.TrimPrefix(v, "jdbc:")
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		return endpoint{}, false
	}
	scheme = strings.ToLower(scheme)
	if i := strings.LastIndex(scheme, "+"); i > 0 && scheme != "mongodb+srv" {
		scheme = scheme[:i] // postgresql+asyncpg, redis+sentinel
	}
	sc, ok := schemes[scheme]
	if !ok {
		return endpoint{}, false
	}
	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?#;"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = authority[at+1:]
	}
	if authority == "" {
		if authority = socketHost(path); authority == "" {
			return endpoint{}, false
		}
	}
	db := ""
	if strings.HasPrefix(path, "/") {
		db = strings.TrimPrefix(path, "/")
		if i := strings.IndexAny(db, "?#;"); i >= 0 {
			db = db[:i]
		}
	}
	if m := jdbcDatabase.Get().FindStringSubmatch(path); m != nil {
		db = m[1]
	}
	switch sc.family {
	case "redis":
		if db == "" {
			db = "0"
		}
	case "amqp":
		if db == "" {
			db = "/"
		}
	case "http", "kafka", "nats", "mqtt", "mail", "graph":
		db = "" // a Neo4j URI's path names no database
	}
	ep := mkEndpoint(sc.family, sc.port, strings.Split(authority, ","), db, path)
	return ep, true
}

// socketHost is the server a URL with no authority names in its query:
// Cloud SQL's connector (jdbc:postgresql:///orders?cloudSqlInstance=
// prj:region:inst&socketFactory=…), a unix socket (unixSocketPath=,
// libpq's host=). Environments sharing it share the database.
func socketHost(path string) string {
	_, q, _ := strings.Cut(path, "?")
	for _, kv := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "cloudsqlinstance", "unixsocketpath", "host":
			if v != "" {
				return v
			}
		}
	}
	return ""
}

func mkEndpoint(family, port string, hosts []string, db, path string) endpoint {
	ep := endpoint{family: family, db: db, path: path}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, p, err := net.SplitHostPort(h)
		if err != nil {
			host, p = strings.Trim(h, "[]"), port
		}
		ep.rawHosts = append(ep.rawHosts, host)
		ep.hosts = append(ep.hosts, normHost(host)+":"+normPort(p))
	}
	sort.Strings(ep.hosts)
	return ep
}

// families by words in a key's name.
var keyFamilies = []struct {
	words  []string
	family string
	port   string
}{
	{[]string{"REDIS", "VALKEY", "CACHE", "SESSION"}, "redis", "6379"},
	{[]string{"MONGO", "MONGODB"}, "mongodb", "27017"},
	{[]string{"RABBIT", "RABBITMQ", "AMQP"}, "amqp", "5672"},
	{[]string{"KAFKA"}, "kafka", "9092"},
	{[]string{"NATS"}, "nats", "4222"},
	{[]string{"MQTT"}, "mqtt", "1883"},
	{[]string{"ELASTIC", "ELASTICSEARCH", "OPENSEARCH"}, "search", "9200"},
	{[]string{"NEO4J", "BOLT"}, "graph", "7687"},
	{[]string{"DB", "DATABASE", "POSTGRES", "POSTGRESQL", "PG", "PGHOST", "MYSQL", "MARIADB", "SQL", "DATASOURCE", "DS", "JDBC", "RDS", "PGSQL", "AURORA"}, "sql", ""},
	{[]string{"BROKER", "BROKERS", "BOOTSTRAP"}, "kafka", "9092"},
	// A mail relay: FERRY018 and FERRY019 read it, the sharing rules do
	// not (environments sharing one relay is the norm).
	{[]string{"MAIL", "SMTP", "EMAIL", "MAILER"}, "mail", "25"},
}

// mailPorts are SMTP's ports: a *_HOST beside a *_PORT of these is a
// mail relay whatever the prefix (NOTIFY_HOST, NOTIFY_PORT=587).
var mailPorts = map[string]bool{"25": true, "465": true, "587": true, "2525": true}

// mailbox matches a mail key that holds an address, not a relay
// (MAIL_FROM_ADDRESS, SMTP_SENDER).
var mailbox = lazyre.New(`(^|[_.-])(FROM|TO|REPLY|SENDER|ADDRESS|RECIPIENT|ADMIN|SUPPORT)([_.-]|$)`)

func keyFamily(key string) (family, port string) {
	words := strings.FieldsFunc(strings.ToUpper(key), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for _, f := range keyFamilies {
		for _, w := range words {
			for _, fw := range f.words {
				if w == fw {
					return f.family, f.port
				}
			}
		}
	}
	return "", ""
}

var hostSuffixes = []string{"_HOST", "_HOSTNAME", "_ADDR", "_ADDRESS", "_SERVER", "_SERVERS", "_BROKERS", "_BROKER", "_BOOTSTRAP_SERVERS", "_NODES", "_HOSTS"}

// endpoints finds the datasources and service URLs of one environment's
// configuration. skip names keys another rule already compares.
func endpoints(e *Env, skip map[string]bool) []endpoint {
	var out []endpoint
	cfg := e.Result.Config
	for _, en := range cfg.Entries {
		if en.External || en.Value == "" || skip[en.Key] {
			continue
		}
		if ep, ok := parseURL(en.Value); ok {
			if ep.family == "redis" {
				// REDIS_URL=redis://h:6379 with REDIS_DB=2 beside it.
				if db, ok := e.value(strings.TrimSuffix(strings.TrimSuffix(en.Key, "_URL"), "_URI") + "_DB"); ok && ep.db == "0" {
					ep.db = normPort(db)
				}
			}
			ep.keys = []string{en.Key}
			out = append(out, qualify(ep, e))
			continue
		}
		upper := strings.ToUpper(en.Key)
		var prefix string
		for _, s := range hostSuffixes {
			if strings.HasSuffix(upper, s) {
				prefix = en.Key[:len(en.Key)-len(s)]
				break
			}
		}
		if prefix == "" && !strings.HasSuffix(upper, "_BROKERS") {
			continue
		}
		family, port := keyFamily(en.Key)
		if family == "" {
			family, port = prefixFamily(e, prefix)
		}
		if family == "" || strings.ContainsAny(en.Value, " /@") || !hostList.Get().MatchString(en.Value) || family == "mail" && mailbox.Get().MatchString(upper) {
			continue
		}
		keys := []string{en.Key}
		if p, ok := e.value(prefix + "_PORT"); ok {
			port = p
			keys = append(keys, prefix+"_PORT")
		}
		db := ""
		// A RabbitMQ virtual host keeps environments apart on one broker
		// as a database name does on one server.
		for _, k := range []string{"_NAME", "_DB", "_DATABASE", "_DBNAME", "_INDEX", "_VHOST", "_VIRTUAL_HOST", "_VIRTUALHOST"} {
			if v, ok := e.value(prefix + k); ok {
				db = v
				keys = append(keys, prefix+k)
				break
			}
		}
		if family == "redis" && db == "" {
			db = "0"
		}
		ep := mkEndpoint(family, port, strings.Split(en.Value, ","), db, "")
		ep.keys = keys
		out = append(out, qualify(ep, e))
	}
	return out
}

// qualify names a short Service name with the environment's namespace:
// "redis" in staging and "redis" in prod are two Services.
func qualify(ep endpoint, e *Env) endpoint {
	ns := ""
	if e.Spec != nil {
		ns = e.Spec.Namespace
	}
	for i, h := range ep.hosts {
		host, port := h, ""
		if c := strings.LastIndexByte(h, ':'); c >= 0 {
			host, port = h[:c], h[c+1:]
		}
		// A Cloud SQL instance (prj:region:inst) or a socket path is no
		// in-cluster short name.
		if !strings.ContainsAny(host, ".:/") && !loopback(host) && ns != "" {
			ep.hosts[i] = host + "." + ns + ":" + port
		}
	}
	sort.Strings(ep.hosts)
	return ep
}

// loopback reports whether host names this machine (this pod).
func loopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// entrySource locates key in env for messages.
func entrySource(e *Env, key string) render.Source {
	en, _ := e.entry(key)
	return en.Source
}

// prefixFamily recognises a datasource by the set of keys sharing a
// prefix: LEDGER_HOST beside LEDGER_PORT, LEDGER_NAME and LEDGER_USER is
// a database whatever LEDGER means; the port tells which kind. A port of
// SMTP's makes a mail relay.
func prefixFamily(e *Env, prefix string) (family, port string) {
	has := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if _, ok := e.entry(prefix + s); ok {
				return true
			}
		}
		return false
	}
	if p, ok := e.value(prefix + "_PORT"); ok && prefix != "" && mailPorts[normPort(p)] {
		return "mail", normPort(p)
	}
	if prefix == "" || !has("_PORT") || !has("_NAME", "_DB", "_DATABASE", "_DBNAME") || !has("_USER", "_USERNAME", "_PASSWORD") {
		return "", ""
	}
	switch p, _ := e.value(prefix + "_PORT"); normPort(p) {
	case "6379":
		return "redis", "6379"
	case "27017":
		return "mongodb", "27017"
	}
	return "sql", ""
}
