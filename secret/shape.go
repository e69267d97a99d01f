package secret

import (
	"encoding/base64"
	"math"
	"regexp"
	"strings"
	"sync"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// vendorShapes are more vendor token formats, matched anywhere in free text
// as well as as whole values: each has a fixed prefix long enough that an
// ordinary word or identifier does not take that form. Each names the
// literals one of which every match holds, so a value holding none of
// them skips the regular expression.
var vendorShapes = []litShape{
	{re: `\b(AKIA|ASIA|AGPA|AROA|AIDA)[0-9A-Z]{16}\b`, need: []string{"AKIA", "ASIA", "AGPA", "AROA", "AIDA"}}, // AWS key ids
	{re: `\bgh[pousr]_[A-Za-z0-9]{36,}\b`, need: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}},             // GitHub
	{re: `\bgithub_pat_[A-Za-z0-9_]{40,}\b`, need: []string{"github_pat_"}},                                    // GitHub fine-grained
	{re: `\bxox[abeprs]-[A-Za-z0-9-]{10,}`, need: []string{"xox"}},                                             // Slack tokens
	{re: `\bxapp-[0-9]-[A-Za-z0-9-]{10,}`, need: []string{"xapp-"}},                                            // Slack app-level tokens
	{re: `hooks\.slack\.com/services/[A-Za-z0-9/]{20,}`, need: []string{"hooks.slack.com/services/"}},          // Slack webhook
	{re: `/api/webhooks/[0-9]{6,}/[A-Za-z0-9_-]{30,}`, need: []string{"/api/webhooks/"}},                       // Discord webhook
	{re: `\b[rs]k_(live|test)_[A-Za-z0-9]{16,}\b`, need: []string{"k_live_", "k_test_"}},                       // Stripe
	{re: `\bglpat-[A-Za-z0-9_-]{20,}`, need: []string{"glpat-"}},                                               // GitLab
	{re: `\bAIza[0-9A-Za-z_-]{35}\b`, need: []string{"AIza"}},                                                  // Google API key
	{re: `\bnpm_[A-Za-z0-9]{36}\b`, need: []string{"npm_"}},                                                    // npm
	{re: `\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b`, need: []string{"SG."}},                                // SendGrid
	{re: `\bsk-(proj-|ant-)?[A-Za-z0-9_-]{32,}`, need: []string{"sk-"}},                                        // OpenAI, Anthropic
	{re: `\bdop_v1_[a-f0-9]{64}\b`, need: []string{"dop_v1_"}},                                                 // DigitalOcean
	{re: `\bhvs\.[A-Za-z0-9_-]{24,}`, need: []string{"hvs."}},                                                  // Vault service token
	{re: `-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY( BLOCK)?-----|$)`, need: []string{"-----BEGIN "}},
}

// litShape is a regular expression with the literals one of which every
// match holds. Most values hold none, and strings.Contains is far
// cheaper than running the expression; the expression is compiled on
// first use, so commands that never ask pay nothing at start-up.
type litShape struct {
	re   string
	need []string
	once sync.Once
	c    *regexp.Regexp
}

func (s *litShape) compiled() *regexp.Regexp {
	s.once.Do(func() { s.c = regexp.MustCompile(s.re) })
	return s.c
}

// mayMatch reports whether v holds one of the literals every match holds.
func (s *litShape) mayMatch(v string) bool {
	for _, l := range s.need {
		if strings.Contains(v, l) {
			return true
		}
	}
	return false
}

func (s *litShape) MatchString(v string) bool {
	return s.mayMatch(v) && s.compiled().MatchString(v)
}

func (s *litShape) ReplaceAllString(v, repl string) string {
	if !s.mayMatch(v) {
		return v
	}
	return s.compiled().ReplaceAllString(v, repl)
}

// tokenChars is a single token of base64, base64url or hex characters: the
// alphabet of generated keys.
// It is ^[A-Za-z0-9+/_-]+={0,2}$, read byte by byte.
func tokenChars(v string) bool {
	i := 0
	for i < len(v) && (isLower(v[i]) || isUpper(v[i]) || isDigit(v[i]) || v[i] == '+' || v[i] == '/' || v[i] == '_' || v[i] == '-') {
		i++
	}
	if i == 0 {
		return false
	}
	pad := len(v) - i
	return pad <= 2 && strings.Count(v[i:], "=") == pad
}

// uuid and plain digests are long and random-looking, but identifiers.
var (
	uuid      = lazyre.New(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexDigest = lazyre.New(`^([0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}|[0-9A-F]{40}|[0-9A-F]{64})$`)
)

// shaped reports a value that is a secret by a shape of its own: one that
// holds a vendor token, a PEM private key (also base64-encoded, as Secret data carries
// it), or a generated key — a single token of 32 or more base64 or hex
// characters with the randomness of one.
func shaped(v string) bool {
	for i := range vendorShapes {
		if vendorShapes[i].MatchString(v) {
			return true
		}
	}
	if strings.HasPrefix(v, base64Begin) {
		return base64PEM(v)
	}
	return generatedKey(v)
}

// base64Begin is "-----BEGIN" in base64.
const base64Begin = "LS0tLS1CRUdJTi"

// base64PEM reports base64 text that decodes to a PEM private key. A
// certificate, which is public, decodes to a PEM block too, and is not a
// secret.
func base64PEM(v string) bool {
	dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
	return err == nil && strings.Contains(string(dec), "PRIVATE KEY")
}

// generatedKey tells a generated key from identifiers of the same length:
// it must be one token of at least 32 characters, and not a UUID, a bare
// git or sha256 digest (a "sha256:" digest has a colon and never matches),
// nor text — a path, an image reference or a name — which has too few
// distinct characters or lacks the mix of cases and digits that base64
// has. A hex key (32 hex digits and more, other than the digest lengths)
// must look random too.
func generatedKey(v string) bool {
	if len(v) < minKeyLen || len(v) > 4096 || !tokenChars(v) || uuid.Get().MatchString(v) || hexDigest.Get().MatchString(v) {
		return false
	}
	if hexOnly(v) {
		return len(v) >= 32 && entropy(v) >= 3.0 && hasDigit(v) && strings.IndexAny(v, "abcdefABCDEF") >= 0
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") ||
		strings.Count(v, "/") > 3 || strings.Count(v, "-")+strings.Count(v, "_") > len(v)/8 {
		// paths and dashed-or-underscored names
		return false
	}
	return mixed(v) && entropy(v) >= keyEntropy(len(v)) && !wordy(v)
}

// mixed reports whether v has upper case, lower case and digits, as
// base64 and generated passwords do.
func mixed(v string) bool {
	var upper, lower, digit bool
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// passwordChars are the characters of generated passwords and seeds.
const passwordChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-!#%&*?@^~"

// ShortKey reports a short generated password or seed
// (q8Zr2LwX9vTf4KpB): one word of 12 or more characters mixing upper
// case, lower case and digits. Value wants 24 characters, as it judges
// text anywhere; where the context says a secret is meant (a Secret's
// data) the shorter one counts.
func ShortKey(v string) bool {
	v = strings.TrimSpace(v)
	return len(v) >= 12 && strings.Trim(v, passwordChars) == "" && mixed(v)
}

// wordy reports an identifier made of words (AbstractFactoryBean2024X,
// MyServiceAccount2024Prod): more than half of it is runs of three or
// more lower-case letters or of four or more digits. In a random base64
// key such runs cover about a seventh.
func wordy(v string) bool {
	covered, run, kind := 0, 0, 0
	flush := func() {
		if kind == 1 && run >= 3 || kind == 2 && run >= 4 {
			covered += run
		}
	}
	for i := 0; i < len(v); i++ {
		k := 0
		switch c := v[i]; {
		case isLower(c):
			k = 1
		case isDigit(c):
			k = 2
		}
		if k != kind {
			flush()
			run, kind = 0, k
		}
		run++
	}
	flush()
	return covered*2 > len(v)
}

// minKeyLen is the shortest generated key recognised: 24 characters is
// 18 random bytes in base64, the shortest key generators produce.
var minKeyLen = 24

// keyEntropy is the entropy a generated key of n characters has at least:
// a random 24-character base64 string has about 4.2 bits a character
// (it cannot exceed log2(24) = 4.58), a 40-character one about 4.7. The
// bar is below those and above identifiers of the same length
// (OrdersApiServer2026Linux has 3.7).
func keyEntropy(n int) float64 {
	if n < 32 {
		return 3.9
	}
	return 4.0
}

func hasDigit(v string) bool { return strings.IndexAny(v, "0123456789") >= 0 }

// entropy is the Shannon entropy of v in bits per character.
func entropy(v string) float64 {
	var counts [256]int
	for i := 0; i < len(v); i++ {
		counts[v[i]]++
	}
	var h float64
	n := float64(len(v))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// scrubShapes replaces vendor tokens and PEM private keys in free text.
// The generic generated-key rule is not used on free text: log lines are
// full of trace ids and digests.
func scrubShapes(text string) string {
	for i := range vendorShapes {
		text = vendorShapes[i].ReplaceAllString(text, Redacted)
	}
	return text
}

// hexOnly reports ^[0-9a-fA-F]+$.
func hexOnly(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isDigit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return v != ""
}
