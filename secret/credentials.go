package secret

import (
	"net/url"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// Password is one credential inside a URL or DSN value, by where it
// stands: Value is v[Start:End].
type Password struct {
	// User is the userinfo's or the pair's user, when the shape has one.
	User string
	// Param names the query parameter or DSN key that holds a password
	// ("token", "password"); empty for a userinfo password.
	Param      string
	Value      string
	Start, End int
}

// Passwords finds every credential in a URL or DSN value, in order: the
// password of a URL's userinfo (scheme://user:pass@host, also nested as
// jdbc:postgresql://…, and each URL of a comma-separated broker list), a
// query parameter that is a credential (?password=, ?token=, ?sig=), the
// password of Go's MySQL DSN (user:pass@tcp(host)/db), the password= of
// a key=value DSN (host=db password=x, Server=…;Pwd=…), and a bare
// user:password pair. It is the one parser of credentials in URLs that
// ferry has: redaction, check's committed-secret rule and placeholders
// all ask it, so they agree on where a password starts and ends. A slot
// the application fills in (see Slot) is not a credential, and is left
// out.
func Passwords(v string) []Password {
	ps := passwords(v)
	for i := 0; i < len(ps); i++ {
		if Slot(ps[i].Value) {
			ps = slices.Delete(ps, i, i+1)
			i--
		}
	}
	return ps
}

// slot is a stand-in a program or a template engine replaces when it
// builds the URL: {token} and {0} (Python, .NET, OpenAPI), {{ .Token }}
// and {% … (Go, Jinja, Handlebars; a space ends the URL, so "{{" alone
// is one too), <token>, printf's %s, %v, %[1]s and Python's %(token)s,
// and a route's :token.
var slot = lazyre.New(`^(\{[^{}]*\}|\{[{%].*|<[A-Za-z_][A-Za-z0-9_ .-]*>|%(\[[0-9]+\])?[-+# 0]*[0-9]*[svdqxX]|%\([A-Za-z_][A-Za-z0-9_]*\)[sd]|:[A-Za-z_][A-Za-z0-9_]*)$`)

// Slot reports a value that is a slot a program fills in as it builds a
// URL (reset?token={token}, ?token=%s, /:token): a template, not a
// committed credential. A slot percent-encoded in a query (%7Btoken%7D)
// is one too.
func Slot(v string) bool {
	if v == "" || !strings.ContainsAny(v, "{<%:") {
		return false
	}
	if slot.Get().MatchString(v) {
		return true
	}
	u, err := url.QueryUnescape(v)
	return err == nil && u != v && slot.Get().MatchString(u)
}

// passwords is Passwords with the slots.
func passwords(v string) []Password {
	var out []Password
	if strings.Contains(v, "://") {
		off := 0
		for _, part := range strings.Split(v, ",") {
			out = append(out, urlPasswords(part, off)...)
			off += len(part) + 1
		}
		return out
	}
	// The expressions below need an @, an = and a : in turn: most values
	// (every key of a large ConfigMap) have none, and skip them.
	if strings.Contains(v, "@") {
		if m := dsnUserinfo.Get().FindStringSubmatchIndex(v); m != nil {
			return []Password{{User: v[m[2]:m[3]], Value: v[m[4]:m[5]], Start: m[4], End: m[5]}}
		}
	}
	for _, m := range kvPasswords(v) {
		from, to := m[4], m[5]
		if to-from >= 2 && (v[from] == '\'' || v[from] == '"') && v[to-1] == v[from] {
			from, to = from+1, to-1
		}
		if to > from {
			out = append(out, Password{Param: v[m[2]:m[3]], Value: v[from:to], Start: from, End: to})
		}
	}
	if len(out) > 0 {
		return out
	}
	if p, ok := pair(v); ok && passwordLike(p.Value, true) {
		return []Password{p}
	}
	return nil
}

// kvPasswords are kvPassword's matches in v.
func kvPasswords(v string) [][]int {
	if !strings.Contains(v, "=") {
		return nil
	}
	return kvPassword.Get().FindAllStringSubmatchIndex(v, -1)
}

// pair is a bare user:password value's password, however weak.
func pair(v string) (Password, bool) {
	if !strings.Contains(v, ":") {
		return Password{}, false
	}
	m := userPass.Get().FindStringSubmatchIndex(v)
	if m == nil || notAUser[strings.ToLower(v[m[2]:m[3]])] || !passwordLike(v[m[4]:m[5]], false) {
		return Password{}, false
	}
	return Password{User: v[m[2]:m[3]], Value: v[m[4]:m[5]], Start: m[4], End: m[5]}, true
}

// pairKeyWords mark a key whose value is a user:password pair
// (BASIC_AUTH=admin:hunter2, HTPASSWD, REGISTRY_LOGIN): there even a
// password of lower-case letters and digits, which reads like an image
// tag elsewhere (orders:build42), is one.
var pairKeyWords = map[string]bool{"AUTH": true, "BASICAUTH": true, "HTPASSWD": true, "USERINFO": true, "LOGIN": true, "USERPASS": true}

// pairKey reports a key named for a user:password pair.
func pairKey(key string) bool { return keyKinds(key).pair }

// pairWords is pairKey of a key's words.
func pairWords(words []string) bool {
	if len(words) == 0 || nonSecretQualifiers[words[len(words)-1]] {
		return false
	}
	return slices.ContainsFunc(words, func(w string) bool { return pairKeyWords[w] })
}

// keyedPair is the password of a user:password value under a key named
// for one.
func keyedPair(key, v string) (Password, bool) {
	if !pairKey(key) {
		return Password{}, false
	}
	return pair(v)
}

// dsnUserinfo finds the password in DSNs that are not URLs, such as Go's
// MySQL driver form `user:pass@tcp(host:3306)/db`.
var dsnUserinfo = lazyre.New(`^([^:@/\s]+):([^@\s]+)@(tcp|unix|udp)\(`)

// kvPassword is the password of a key=value DSN (libpq's
// "host=db password=x", ADO.NET's "Server=db;Password=x").
var kvPassword = lazyre.New(`(?i)(?:^|[\s;])(password|passwd|pwd)\s*=\s*('[^']*'|"[^"]*"|[^\s;]*)`)

// userPass is a bare user:password value (BASIC_AUTH=admin:hunter2).
var userPass = lazyre.New(`^([A-Za-z0-9][A-Za-z0-9._-]{0,63}):([^\s:@/]{6,128})$`)

// notAUser are left-hand sides of name:tag values that are not users:
// schemes and the usual image names that a tag follows.
var notAUser = map[string]bool{"http": true, "https": true, "tcp": true, "udp": true, "unix": true, "file": true, "sha256": true, "sha512": true, "urn": true, "mailto": true}

// versionish is an image tag or a version: digits first (1.25-alpine,
// v2.1), or digits with dots anywhere (lts-alpine3.19).
var versionish = lazyre.New(`^v?[0-9]|[0-9]+\.[0-9]+`)

// passwordLike tells a password after "user:" from an image tag or a
// port name: not a version, and more than one kind of character, with a
// digit or a symbol among them (hunter2, s3cr3t!, not alpine or
// stable-slim). A strong one also mixes cases with a digit, or has a
// symbol (S3cr3tPass, hunter2!): image tags are lower-case (build42,
// sha-1a2b3c), so only a strong one is a password without a key that
// says so.
func passwordLike(p string, strong bool) bool {
	if versionish.Get().MatchString(p) || placeholderWord(p) {
		return false
	}
	var lower, upper, digit, symbol bool
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case isLower(c):
			lower = true
		case isUpper(c):
			upper = true
		case isDigit(c):
			digit = true
		case c != '-' && c != '.' && c != '_':
			symbol = true
		}
	}
	kinds := 0
	for _, k := range []bool{lower, upper, digit, symbol} {
		if k {
			kinds++
		}
	}
	if strong {
		return symbol && (lower || upper) || upper && lower && digit
	}
	return kinds >= 2 && (digit || symbol)
}

// placeholderWord is a value that stands for a password without being
// one: ${DB_PASSWORD}, $(DB_PASSWORD), <password>, {{ .pass }}.
func placeholderWord(p string) bool {
	return strings.ContainsAny(p, "${}<>") || p == Redacted
}

// portThenPath is what follows "host:" in a URL with an "@" in its path
// or query (https://host:8443/users/@me): a port, not a password. A
// password that starts with up to five digits and a "/" reads the same
// way and is not redacted; that shape is the one ambiguity left.
var portThenPath = lazyre.New(`^[0-9]{1,5}[/?#]`)

// urlPasswords finds the credentials of one URL, off bytes into the value.
func urlPasswords(v string, off int) []Password {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, " \t\n") {
		return nil
	}
	base := off + len(scheme) + 3
	// Passwords are often not percent-encoded, so the userinfo runs to
	// the last "@" of the URL, "/", "?" and "#" included
	// (postgres://u:pa/ss@h/db); what a path or query holds after a host
	// and port is told apart by portThenPath.
	authority := rest
	if i := strings.IndexAny(authority, " \t\n"); i >= 0 {
		authority = authority[:i]
	}
	var out []Password
	hostAt := 0
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		user, pass, hasPass := strings.Cut(authority[:at], ":")
		if hasPass && pass != "" && !strings.ContainsAny(user, "/?#") && !portThenPath.Get().MatchString(pass) {
			start := base + len(user) + 1
			out = append(out, Password{User: user, Value: pass, Start: start, End: start + len(pass)})
			hostAt = at + 1
		}
	}
	q := strings.IndexByte(authority[hostAt:], '?')
	if q < 0 {
		return out
	}
	qs := hostAt + q + 1
	for qs <= len(authority) {
		end := strings.IndexAny(authority[qs:], "&#")
		if end < 0 {
			end = len(authority) - qs
		}
		name, val, _ := strings.Cut(authority[qs:qs+end], "=")
		if n, err := url.QueryUnescape(name); err == nil && val != "" && credentialParam(n) {
			start := base + qs + len(name) + 1
			out = append(out, Password{Param: n, Value: val, Start: start, End: start + len(val)})
		}
		if qs+end >= len(authority) || authority[qs+end] == '#' {
			break
		}
		qs += end + 1
	}
	return out
}

// credentialParam reports a query parameter that carries a credential:
// one whose name is a secret's (token, password, api_key) or one of the
// signing parameters of pre-signed URLs.
func credentialParam(name string) bool {
	switch strings.ToLower(name) {
	case "key", "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
		"x-goog-signature", "x-goog-credential", "pwd", "pass", "auth":
		return true
	}
	return Name(name)
}
