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
	"slices"
	"strings"
	"sync"

	"github.com/ferrydev/ferry/internal/lazyre"
)

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
	{"PASSPHRASE"},
}

// credentialSuffixes mark a word as a credential when it ends in one:
// PGPASSWORD, MYSQLPWD, GPGPASSPHRASE. PWD is not among them (it ends
// too many words that are not passwords), nor KEY (MONKEY, TURKEY).
var credentialSuffixes = []string{"PASSWORD", "PASSWD", "PASSPHRASE"}

// lastOnly are words that are a credential only as the name's last word:
// DB_PASS and SMTP_PASS, but not PASS_THROUGH.
var lastOnly = map[string]bool{"PASS": true}

// nonSecretQualifiers are trailing words that turn a credential's name
// into the name of something about it: how long it lives, who issues
// it, where it is kept. DB_PASSWORD_FILE holds a path, not a password.
var nonSecretQualifiers = map[string]bool{
	"TTL": true, "EXPIRY": true, "EXPIRES": true, "EXPIRATION": true, "ISSUER": true,
	"URL": true, "URI": true, "ENDPOINT": true, "FILE": true, "PATH": true, "DIR": true,
	"TYPE": true, "HEADER": true, "NAME": true, "LENGTH": true, "REF": true,
	"MINUTES": true, "SECONDS": true, "HOURS": true, "DAYS": true, "DURATION": true,
	"ENABLED": true, "REQUIRED": true, "POLICY": true,
	// What kind of store or object: secretStoreRef.kind: ClusterSecretStore.
	"KIND": true,
	// Quantities about credentials: AUTH_TOKEN_CLEANUP_INTERVAL_MS=3600000.
	"MS": true, "MILLIS": true, "MILLISECONDS": true, "INTERVAL": true, "TIMEOUT": true,
	"COUNT": true, "SIZE": true, "LIMIT": true, "RETRIES": true, "MAX": true, "MIN": true,
	// Where or which, not what: *_SECRET_ID holds a secret store's path,
	// GoogleCredential__UniverseDomain a domain, AWS_ACCESS_KEY_ID the
	// user half of a key pair (MINIO_ACCESS_KEY_ID: minioadmin): its
	// *_SECRET_ACCESS_KEY is the secret.
	"ID": true, "DOMAIN": true,
	// Where credentials are kept, not one: SECRETS_BACKEND=vault.
	"BACKEND": true, "PROVIDER": true, "STORE": true, "ENGINE": true, "ARN": true,
}

// countWords before a credential's word make it a count of them:
// LLM_MAX_TOKENS, NUM_KEYS.
var countWords = map[string]bool{"MAX": true, "MIN": true, "NUM": true, "COUNT": true, "TOTAL": true, "LIMIT": true}

// featureWords, right after a credential's word, make the name a
// feature about credentials rather than one: PASSWORD_RECOVERY_DEFAULT
// and PASSWORD_RESET_ALLOWED_DOMAINS configure a flow. A later
// credential word still counts (PASSWORD_RESET_TOKEN is a token).
var featureWords = map[string]bool{
	"RECOVERY": true, "RESET": true, "COMPLEXITY": true, "STRENGTH": true, "HISTORY": true,
	"ROTATION": true, "RULES": true, "HINT": true, "PROMPT": true, "FORGOT": true, "CHANGE": true,
}

func featureAfter(words []string, next int) bool {
	return next < len(words) && featureWords[words[next]]
}

// Name reports whether a key's name marks its value as a credential.
// `_URL` and `_URI` names are not secret by name, but their values may
// be (see Value): a URL's password is found by its shape.
func Name(key string) bool { return keyKinds(key).secret }

// keyKind is what a key's name says: whether it names a credential
// (Name) and whether it names a user:password pair (pairKey).
type keyKind struct{ secret, pair bool }

// keyKinds is key's keyKind, memoised: every rule of check and every
// output asks of the same keys (render and then its output each ask of
// all 30,000 keys of a large ConfigMap). The memo is bounded so a
// long-running serve cannot grow it without end.
func keyKinds(key string) keyKind {
	if n, ok := names.get(key); ok {
		return n.kind
	}
	words := splitWords(key)
	k := keyKind{secret: name(key, words), pair: pairWords(words)}
	names.put(strings.Clone(key), known{kind: k}) // cloned: pins no file buffer
	return k
}

// known is what the memo knows of a key: its keyKind and, once Is
// found one not secret under it, that value (see remember).
type known struct {
	kind   keyKind
	judged bool
	clean  string
}

// names memoises keyKinds and Is's last clean verdict per key.
var names = memo{max: 1 << 14}

// memo is a bounded map that does not thrash: when its current
// generation is full it becomes the old one and the older is dropped,
// so a pass over more keys than max, asked again in the same order,
// still finds every key (a single bounded map that stops adding splits
// every key past its bound again on each pass). It holds at most 2×max.
type memo struct {
	mu       sync.RWMutex
	cur, old map[string]known
	max      int
}

func (m *memo) get(k string) (known, bool) {
	m.mu.RLock()
	v, ok := m.cur[k]
	if !ok {
		v, ok = m.old[k]
	}
	m.mu.RUnlock()
	return v, ok
}

func (m *memo) put(k string, v known) {
	m.mu.Lock()
	if _, in := m.cur[k]; !in && len(m.cur) >= m.max {
		m.old, m.cur = m.cur, nil
	}
	if m.cur == nil {
		m.cur = make(map[string]known)
	}
	m.cur[k] = v
	m.mu.Unlock()
}

func name(key string, words []string) bool {
	// PWD and OLDPWD only look like credentials: the working directory
	// every shell exports.
	if len(words) == 0 || strings.EqualFold(key, "PWD") || strings.EqualFold(key, "OLDPWD") {
		return false
	}
	last := words[len(words)-1]
	if nonSecretQualifiers[last] || slices.Contains(words, "EXISTING") || referenceToKey(words) || keyOfSecret(key) {
		return false
	}
	if lastOnly[last] {
		return true
	}
	for i, w := range words {
		if i > 0 && countWords[words[i-1]] {
			continue // LLM_MAX_TOKENS: how many tokens, not one
		}
		for _, suf := range credentialSuffixes {
			if strings.HasSuffix(w, suf) && !featureAfter(words, i+1) {
				return true
			}
		}
		for _, tok := range sensitiveTokens {
			if i+len(tok) <= len(words) && equalWords(words[i:i+len(tok)], tok) && !featureAfter(words, i+len(tok)) {
				return true
			}
		}
	}
	return false
}

// keyOfSecret reports a values path naming the key inside a Secret
// another map names (webhookSecret: {name: hooks, key: key}, as a
// secretKeyRef does): the key's name, not the credential.
func keyOfSecret(key string) bool {
	parent, ok := strings.CutSuffix(key, ".key")
	if !ok {
		return false
	}
	parent = strings.ToLower(parent[strings.LastIndexByte(parent, '.')+1:])
	// A bare secret: {key: …} may hold the credential itself (jwt.secret.key).
	return len(parent) > len("secret") && strings.HasSuffix(parent, "secret") || strings.HasSuffix(parent, "secretref") || strings.HasSuffix(parent, "keyref")
}

// referenceToKey reports the Bitnami-style names of a key inside a
// Secret (existingSecretPasswordKey, passwordKey: "db-password",
// passwordSecretKey: password) and of a Secret (passwordSecret:
// orders-db), which hold a name, not a credential.
func referenceToKey(words []string) bool {
	n := len(words)
	if n < 2 {
		return false
	}
	switch words[n-1] {
	case "KEY":
		return words[n-2] == "PASSWORD" || words[n-2] == "SECRET" && n >= 3 && (words[n-3] == "EXISTING" || secretNameQualifiers[words[n-3]])
	case "SECRET", "SECRETS":
		// passwordSecret, tlsSecret, imagePullSecrets: the name of the
		// Secret that holds the credential.
		return secretNameQualifiers[words[n-2]]
	}
	return false
}

// secretNameQualifiers are the words before SECRET in the names of
// values that name a Secret rather than hold one.
var secretNameQualifiers = map[string]bool{
	"PASSWORD": true, "PASSWORDS": true, "TLS": true, "CREDENTIALS": true, "CREDENTIAL": true,
	"PULL": true, "CERT": true, "CERTIFICATE": true, "CA": true,
}

// splitWords splits a key into upper-case words at '_', '-', '.', '/'
// and camelCase humps: smtpPassword is SMTP PASSWORD, DBPassword is DB
// PASSWORD, and an all-caps word stays whole.
func splitWords(key string) []string {
	if !asciiOnly(key) {
		return splitWordsUnicode(key)
	}
	// ASCII upper-cases byte for byte, so the words are slices of the
	// key upper-cased once rather than one allocation each.
	up := strings.ToUpper(key)
	var words []string
	for start := 0; start < len(key); {
		end := start
		for end < len(key) && !wordSep(key[end]) {
			end++
		}
		if end > start {
			words = appendHumps(words, key[start:end], up[start:end])
		}
		start = end + 1
	}
	return words
}

// appendHumps appends part's camelCase humps, cut from its upper-cased
// twin up.
func appendHumps(words []string, part, up string) []string {
	start := 0
	for i := 1; i < len(part); i++ {
		if hump(part, i) {
			words = append(words, up[start:i])
			start = i
		}
	}
	return append(words, up[start:])
}

// hump reports a camelCase word starting at part[i].
func hump(part string, i int) bool {
	prev, cur := part[i-1], part[i]
	lowerToUpper := isLower(prev) && isUpper(cur)
	acronymEnd := isUpper(prev) && isUpper(cur) && i+1 < len(part) && isLower(part[i+1])
	digitToUpper := isDigit(prev) && isUpper(cur) && i > 1 && isLower(part[i-2])
	return lowerToUpper || acronymEnd || digitToUpper
}

func wordSep(c byte) bool { return c == '_' || c == '-' || c == '.' || c == '/' }

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// splitWordsUnicode is splitWords for a key with non-ASCII letters,
// whose upper case may differ in length.
func splitWordsUnicode(key string) []string {
	var words []string
	for _, part := range strings.FieldsFunc(key, func(r rune) bool {
		return r < 0x80 && wordSep(byte(r))
	}) {
		start := 0
		for i := 1; i < len(part); i++ {
			if hump(part, i) {
				words = append(words, strings.ToUpper(part[start:i]))
				start = i
			}
		}
		words = append(words, strings.ToUpper(part[start:]))
	}
	return words
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Is reports whether a key's value is a secret, by its name or its value.
func Is(key, value string) bool {
	k := keyKinds(key)
	if k.pair {
		if _, ok := pair(value); ok {
			return true
		}
	}
	if k.secret || Value(value) {
		return true
	}
	remember(k, key, value)
	return false
}

// remember keeps, per key, the last value Is found not secret, so Shown
// of that key and value (an output showing what render judged) skips
// the same checks: nothing of such a value is secret by its name or its
// shape (see show). Values longer than maxCleared are not kept; key and
// value are copied (one allocation for both) so the memo pins no file
// buffer.
func remember(k keyKind, key, value string) {
	if len(value) > maxCleared || isCleared(key, value) {
		return
	}
	kv := key + value
	names.put(kv[:len(key)], known{kind: k, judged: true, clean: kv[len(key):]})
}

const maxCleared = 256

// isCleared reports that Is found value not secret under key.
func isCleared(key, value string) bool {
	n, ok := names.get(key)
	return ok && n.judged && n.clean == value
}

// Value reports whether a value is a secret by its shape alone: a URL or
// DSN with a password (see Passwords), a PEM block, a JWT, a bearer
// token, a token of a known vendor format or a generated key.
func Value(v string) bool {
	return len(Passwords(v)) > 0 || opaqueSecret(v)
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
	for i := range tokenShapes {
		if tokenShapes[i].MatchString(v) {
			return true
		}
	}
	if strings.IndexByte("bBtTaA", v[0]) >= 0 && authScheme.Get().MatchString(v) {
		return true
	}
	return shaped(v)
}

// tokenShapes are vendor token formats that are unambiguous on their own.
var tokenShapes = []litShape{
	{re: `^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}$`, need: []string{"eyJ"}}, // JWT
	{re: `^(AKIA|ASIA)[0-9A-Z]{16}$`, need: []string{"AKIA", "ASIA"}},                               // AWS access key id
	{re: `^gh[pousr]_[A-Za-z0-9]{36,}$`, need: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}},    // GitHub
	{re: `^github_pat_[A-Za-z0-9_]{40,}$`, need: []string{"github_pat_"}},
	{re: `^xox[abprs]-[A-Za-z0-9-]{10,}$`, need: []string{"xox"}}, // Slack
	{re: `^sk_(live|test)_[A-Za-z0-9]{16,}$`, need: []string{"sk_live_", "sk_test_"}},
	{re: `^glpat-[A-Za-z0-9_-]{20,}$`, need: []string{"glpat-"}}, // GitLab
}

// authScheme is an Authorization header's value: a scheme and its
// credentials (Bearer eyJ…, Basic dXNlcjpwYXNz). Its first letter is
// one of bBtTaA (none of which case-folds to a non-ASCII letter), which
// opaqueSecret checks before running it.
var authScheme = lazyre.New(`^(?i:bearer|basic|token|apikey)\s+[A-Za-z0-9._~+/=-]{8,}$`)
