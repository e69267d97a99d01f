package check

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
)

// Development switches left on in production: each is harmless on a
// laptop and a hole or a data risk in prod.

func init() {
	register(Rule{
		ID: "FERRY089", Name: "unsafe-production-setting", Severity: Error,
		Summary: "A development-only switch is on in a production environment",
		Help: "OAUTHLIB_INSECURE_TRANSPORT=1 (OAuth over plain HTTP), NODE_TLS_REJECT_UNAUTHORIZED=0 " +
			"and PYTHONHTTPSVERIFY=0 (no certificate verification), FLASK_DEBUG=1 (a debugger that runs " +
			"code from the browser), DEBUG/APP_DEBUG/DJANGO_DEBUG=true (stack traces and settings in " +
			"error pages), SPRING_JPA_HIBERNATE_DDL_AUTO=update/create (Hibernate alters or drops the " +
			"schema at start), sslmode=disable to a database outside the cluster, and an identity " +
			"provider (OIDC, Keycloak, SSO) reached over plain http outside the cluster (credentials, " +
			"tokens and data in clear across the network) are for a developer's machine. In the last environment " +
			"of the path, or one whose name says production, turn them off (and migrate the schema " +
			"with Flyway or Liquibase).",
		Check: checkUnsafeProductionSetting,
	})
}

// unsafeSettings maps a key (upper case, '.' and '-' as '_') to whether
// its value is the unsafe one and what that does.
var unsafeSettings = map[string]struct {
	bad  func(v string) bool
	does string
}{
	"OAUTHLIB_INSECURE_TRANSPORT":   {truthy, "lets OAuth run over plain HTTP"},
	"NODE_TLS_REJECT_UNAUTHORIZED":  {func(v string) bool { return v == "0" }, "turns off certificate verification for every TLS connection"},
	"PYTHONHTTPSVERIFY":             {func(v string) bool { return v == "0" }, "turns off HTTPS certificate verification"},
	"FLASK_DEBUG":                   {truthy, "runs Flask's debugger, which executes code sent from a browser"},
	"DEBUG":                         {truthy, "turns debug mode on: error pages show stack traces and settings"},
	"APP_DEBUG":                     {truthy, "turns debug mode on: error pages show stack traces and settings"},
	"DJANGO_DEBUG":                  {truthy, "turns Django's debug mode on: error pages show settings and SQL"},
	"SPRING_JPA_HIBERNATE_DDL_AUTO": {ddlWrites, "lets Hibernate alter or drop the production schema at start"},
	"SPRING_JPA_HIBERNATE_DDLAUTO":  {ddlWrites, "lets Hibernate alter or drop the production schema at start"},
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func ddlWrites(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "update", "create", "create-drop":
		return true
	}
	return false
}

// underscored spells a key's dots and dashes as underscores; one
// Replacer serves every entry (it is safe for concurrent use).
var underscored = strings.NewReplacer(".", "_", "-", "_")

func checkUnsafeProductionSetting(in *Input) []Finding {
	var out []Finding
	last := in.last()
	for _, e := range in.Envs {
		if e.Result == nil || (e != last && !project.ProdLike(e.Name)) {
			continue
		}
		for _, en := range e.Result.Config.Entries {
			k := underscored.Replace(strings.ToUpper(en.Key))
			if en.External {
				continue
			}
			if host, ok := plainAuthURL(en.Key, en.Value); ok {
				l := e.loc(en.Key, "")
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
					Message: fmt.Sprintf("%s: %s (set at %s) reaches the identity provider %s over plain http: logins and tokens cross the network in clear; use https in %s.",
						e.Name, en.Key, l.Source, host, e.Name),
				})
				continue
			}
			if host, param, ok := plainToRemoteDB(en.Value); ok {
				l := e.loc(en.Key, "")
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
					Message: fmt.Sprintf("%s: %s (set at %s) connects to %s with %s: credentials and data cross the network in clear; require TLS (sslmode=require or verify-full) in %s.",
						e.Name, en.Key, l.Source, host, param, e.Name),
				})
				continue
			}
			s, ok := unsafeSettings[k]
			if !ok || !s.bad(en.Value) {
				continue
			}
			l := e.loc(en.Key, "")
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s=%s (set at %s) %s: turn it off in %s.",
					e.Name, en.Key, en.Value, l.Source, s.does, e.Name),
			})
		}
	}
	return dedupe(out)
}

// plainToRemoteDB reports a database URL that turns TLS off
// (sslmode=disable, ssl=false, tls=false) towards a host outside the
// cluster: the host and the parameter, never the URL (it may hold a
// password). Inside the cluster, or on a private address, plain
// connections are a common and deliberate choice.
func plainToRemoteDB(v string) (host, param string, ok bool) {
	ep, isURL := parseURL(v)
	if !isURL || len(ep.rawHosts) == 0 {
		return "", "", false
	}
	switch ep.family {
	case "sql", "mongodb", "redis", "amqp":
	default:
		return "", "", false
	}
	rv := secret.Shown("", strings.TrimSpace(v), secret.Unmarked) // a password may hold ? or ;
	_, query, _ := strings.Cut(rv, "?")
	q, err := url.ParseQuery(strings.ReplaceAll(query, ";", "&"))
	if err != nil {
		return "", "", false
	}
	for _, p := range []string{"sslmode", "ssl", "tls", "useSSL"} {
		val := strings.ToLower(q.Get(p))
		if val != "disable" && val != "false" {
			continue
		}
		for _, h := range ep.rawHosts {
			if remoteHost(h) {
				return h, p + "=" + q.Get(p), true
			}
		}
	}
	return "", "", false
}

// remoteHost reports whether host is a DNS name or public address outside
// the cluster: a dotted name that is not a cluster or .local name, or a
// public IP.
func remoteHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if ip := net.ParseIP(h); ip != nil {
		return !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
	}
	if !strings.Contains(h, ".") || loopback(h) {
		return false
	}
	for _, suffix := range []string{".svc", ".cluster.local", ".local", ".internal", ".lan", ".home.arpa"} {
		if strings.HasSuffix(h, suffix) || strings.Contains(h, ".svc.") {
			return false
		}
	}
	return true
}

// authWords mark a key that points at an identity provider.
var authWords = []string{"KEYCLOAK", "OIDC", "OAUTH", "ISSUER", "SSO", "AUTH_SERVER", "AUTH_URL", "IDP", "JWKS"}

// plainAuthURL reports an identity provider's URL over plain http to a
// host outside the cluster (a dotted name or any non-loopback address,
// a private one included: the LAN is still a network): the host.
func plainAuthURL(key, v string) (string, bool) {
	k := strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(key))
	if !slices.ContainsFunc(authWords, func(w string) bool { return strings.Contains(k, w) }) {
		return "", false
	}
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || u.Scheme != "http" || u.Hostname() == "" {
		return "", false
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); ip != nil {
		return h, !ip.IsLoopback()
	}
	return h, remoteHost(h)
}
