// Package secret decides which configuration values are secrets and how
// to show or store them without revealing them.
//
// It is the one place where ferry recognises a secret: by the key's name
// (DB_PASSWORD, API_KEY), or by the value's shape (a URL with a password
// in its userinfo, a PEM block, a JWT, a token of a known vendor format).
// render, check, promote, the state store and every error path ask it,
// so a key is never secret in one command and printed by another.
package secret

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted stands in for a secret value in every output.
const Redacted = "<redacted>"

// sensitiveTokens are the name tokens that mark a credential. A token
// matches whole underscore- (or dash-, dot-) separated words, and the
// two-word ones match as a pair, so ACCESS_KEY_ID is sensitive and
// ACCESSIBILITY is not.
var sensitiveTokens = [][]string{
	{"PASSWORD"}, {"PASSWD"}, {"PWD"}, {"SECRET"}, {"SECRETS"}, {"TOKEN"}, {"TOKENS"},
	{"APIKEY"}, {"API", "KEY"}, {"ACCESS", "KEY"}, {"PRIVATE", "KEY"},
	{"SIGNING", "KEY"}, {"ENCRYPTION", "KEY"}, {"CREDENTIAL"}, {"CREDENTIALS"},
	// Compound spellings seen in real charts (ACCESSKEY, CLIENTSECRET).
	{"ACCESSKEY"}, {"PRIVATEKEY"}, {"CLIENTSECRET"}, {"AUTHTOKEN"}, {"DBPASSWORD"},
}

// nonSecretQualifiers are trailing words that turn a credential's name
// into the name of something about it: how long it lives, who issues
// it, where it is kept. DB_PASSWORD_FILE holds a path, not a password.
var nonSecretQualifiers = map[string]bool{
	"TTL": true, "EXPIRY": true, "EXPIRES": true, "EXPIRATION": true, "ISSUER": true,
	"URL": true, "URI": true, "ENDPOINT": true, "FILE": true, "PATH": true, "DIR": true,
	"TYPE": true, "HEADER": true, "NAME": true, "LENGTH": true, "REF": true,
	"MINUTES": true, "SECONDS": true, "HOURS": true, "DAYS": true, "DURATION": true,
	"ENABLED": true, "REQUIRED": true, "POLICY": true,
}

// shellNames are process variables that only look like credentials: PWD
// is the working directory every shell exports.
var shellNames = map[string]bool{"PWD": true, "OLDPWD": true}

// Name reports whether a key's name marks its value as a credential.
// `_URL` and `_URI` names are not secret by name, but their values may
// be (see Value): a URL's password is found by its shape.
func Name(key string) bool {
	words := splitWords(key)
	if len(words) == 0 || shellNames[strings.ToUpper(key)] {
		return false
	}
	if nonSecretQualifiers[words[len(words)-1]] {
		return false
	}
	for i := range words {
		for _, tok := range sensitiveTokens {
			if i+len(tok) <= len(words) && equalWords(words[i:i+len(tok)], tok) {
				return true
			}
		}
	}
	return false
}

func splitWords(key string) []string {
	return strings.FieldsFunc(strings.ToUpper(key), func(r rune) bool {
		return r == '_' || r == '-' || r == '.' || r == '/'
	})
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Is reports whether a key's value is a secret, by its name or its value.
func Is(key, value string) bool { return Name(key) || Value(value) }

// Value reports whether a value is a secret by its shape alone: a URL or
// DSN with a password in its userinfo, a PEM block, a JWT, or a token of
// a known vendor format.
func Value(v string) bool {
	if _, ok := RedactURL(v); ok {
		return true
	}
	return opaqueSecret(v)
}

// opaqueSecret reports values that are a secret through and through:
// nothing of them may be shown.
func opaqueSecret(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	if strings.Contains(v, "-----BEGIN ") && strings.Contains(v, "PRIVATE KEY") {
		return true
	}
	for _, re := range tokenShapes {
		if re.MatchString(v) {
			return true
		}
	}
	return shaped(v)
}

// tokenShapes are vendor token formats that are unambiguous on their own.
var tokenShapes = []*regexp.Regexp{
	regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}$`), // JWT
	regexp.MustCompile(`^(AKIA|ASIA)[0-9A-Z]{16}$`),                                        // AWS access key id
	regexp.MustCompile(`^gh[pousr]_[A-Za-z0-9]{36,}$`),                                     // GitHub
	regexp.MustCompile(`^github_pat_[A-Za-z0-9_]{40,}$`),
	regexp.MustCompile(`^xox[abprs]-[A-Za-z0-9-]{10,}$`), // Slack
	regexp.MustCompile(`^sk_(live|test)_[A-Za-z0-9]{16,}$`),
	regexp.MustCompile(`^glpat-[A-Za-z0-9_-]{20,}$`), // GitLab
}

// Show returns what may be printed of a key's value: the value itself,
// Redacted for a secret, or — when the only secret part is a URL's
// password — the URL with that password replaced, so the host stays
// visible.
func Show(key, value string) string {
	if Name(key) || opaqueSecret(value) {
		return Redacted
	}
	if red, ok := RedactURL(value); ok {
		return red
	}
	return value
}

// dsnUserinfo finds the password in DSNs that are not URLs, such as Go's
// MySQL driver form `user:pass@tcp(host:3306)/db`.
var dsnUserinfo = regexp.MustCompile(`^([^:@/\s]+):([^@\s]+)@(tcp|unix|udp)\(`)

// portThenPath is what follows "host:" in a URL with an "@" in its path
// or query (https://host:8443/users/@me): a port, not a password. A
// password that starts with up to five digits and a "/" reads the same
// way and is not redacted; that shape is the one ambiguity left.
var portThenPath = regexp.MustCompile(`^[0-9]{1,5}[/?#]`)

// RedactURL replaces the password in a URL's or DSN's userinfo with
// Redacted and reports whether there was one. Comma-separated lists of
// URLs (broker lists) are handled element by element.
func RedactURL(v string) (string, bool) {
	if strings.Contains(v, ",") && strings.Contains(v, "://") {
		parts := strings.Split(v, ",")
		any := false
		for i, p := range parts {
			if r, ok := RedactURL(p); ok {
				parts[i], any = r, true
			}
		}
		return strings.Join(parts, ","), any
	}
	if m := dsnUserinfo.FindStringSubmatchIndex(v); m != nil {
		return v[:m[4]] + Redacted + v[m[5]:], true
	}
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, " \t\n") {
		return v, false
	}
	// A JDBC URL nests the real one: jdbc:postgresql://u:p@h/db.
	// Passwords are often not percent-encoded, so the userinfo runs to
	// the last "@" of the URL, "/", "?" and "#" included
	// (postgres://u:pa/ss@h/db); what a path or query holds after a host
	// and port is told apart below.
	authority := rest
	if i := strings.IndexAny(authority, " \t\n"); i >= 0 {
		authority = authority[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return v, false
	}
	user, pass, hasPass := strings.Cut(authority[:at], ":")
	if !hasPass || pass == "" || strings.ContainsAny(user, "/?#") || portThenPath.MatchString(pass) {
		return v, false
	}
	if u, err := url.PathUnescape(pass); err == nil && (u == Redacted || pass == Redacted) {
		return v, true
	}
	return scheme + "://" + user + ":" + Redacted + rest[at:], true
}
