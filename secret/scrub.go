package secret

import (
	"regexp"
	"sort"
	"strings"
)

var (
	pemBlock  = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`)
	jwtInText = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`)
	// urlInText finds scheme://user:password@ in free text; the password
	// runs up to the last @ before the host.
	urlInText = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:@/\s"']*):([^@\s"']+)@`)
	dsnInText = regexp.MustCompile(`\b([^:@/\s"']+):([^@\s"']+)@(tcp|unix|udp)\(`)
	// assignment finds KEY=value and KEY: value pairs whose key is
	// sensitive, as a service's log or a parser's message carries them.
	assignment = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*"?)(\s*[=:]\s*)("[^"\n]*"|'[^'\n]*'|[^\s,;"'}]+)`)
)

// Scrub removes secrets from free text — a service's log tail, a parser's
// error message — before it is printed or stored: every known secret
// value, URL and DSN passwords, PEM private keys, JWTs, and the values of
// KEY=value pairs whose key is sensitive.
func Scrub(text string, known ...string) string {
	// Longest first, so a secret that contains another is removed whole.
	ks := make([]string, 0, len(known))
	for _, k := range known {
		if len(k) >= 4 { // shorter "secrets" would shred ordinary text
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return len(ks[i]) > len(ks[j]) })
	for _, k := range ks {
		text = strings.ReplaceAll(text, k, Redacted)
	}
	text = pemBlock.ReplaceAllString(text, Redacted)
	text = jwtInText.ReplaceAllString(text, Redacted)
	text = urlInText.ReplaceAllString(text, "${1}:"+Redacted+"@")
	text = dsnInText.ReplaceAllString(text, "${1}:"+Redacted+"@${3}(")
	text = assignment.ReplaceAllStringFunc(text, func(m string) string {
		sub := assignment.FindStringSubmatch(m)
		if !Name(strings.TrimSuffix(sub[1], `"`)) || strings.Contains(sub[3], Redacted) {
			return m
		}
		if strings.HasPrefix(sub[3], `"`) {
			return sub[1] + sub[2] + `"` + Redacted + `"`
		}
		return sub[1] + sub[2] + Redacted
	})
	return text
}
