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
	// assignment finds the KEY= and KEY: of KEY=value pairs, as a
	// service's log or a parser's message carries them.
	assignment = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*)"?[ \t]*[=:]`)
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
	text = scrubShapes(text)
	text = jwtInText.ReplaceAllString(text, Redacted)
	text = urlInText.ReplaceAllString(text, "${1}:"+Redacted+"@")
	text = dsnInText.ReplaceAllString(text, "${1}:"+Redacted+"@${3}(")
	text = scrubAssignments(text)
	return text
}

// scrubAssignments replaces the value of every KEY=value or KEY: value pair
// whose key is sensitive. Keys are found first and values measured after,
// so a pair inside another pair's quoted value (msg="… DB_PASSWORD=x …")
// is found too; overlapping values are merged and replaced once.
func scrubAssignments(text string) string {
	type span struct{ from, to int }
	var spans []span
	for _, m := range assignment.FindAllStringSubmatchIndex(text, -1) {
		if !Name(text[m[2]:m[3]]) {
			continue
		}
		from := m[1]
		for from < len(text) && (text[from] == ' ' || text[from] == '\t') {
			from++
		}
		to := from
		if from < len(text) && (text[from] == '"' || text[from] == '\'') {
			q := text[from]
			from++
			to = from
			for to < len(text) && text[to] != q && text[to] != '\n' {
				to++
			}
		} else {
			for to < len(text) && !strings.ContainsRune(" \t\r\n,;\"'}", rune(text[to])) {
				to++
			}
		}
		if to > from && text[from:to] != Redacted {
			spans = append(spans, span{from, to})
		}
	}
	if len(spans) == 0 {
		return text
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		from, to := spans[i].from, spans[i].to
		for i++; i < len(spans) && spans[i].from <= to; i++ {
			to = max(to, spans[i].to)
		}
		b.WriteString(text[last:from])
		b.WriteString(Redacted)
		last = to
	}
	b.WriteString(text[last:])
	return b.String()
}
