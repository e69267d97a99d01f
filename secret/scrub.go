package secret

import (
	"sort"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

var (
	pemBlock  = lazyre.New(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`)
	jwtInText = lazyre.New(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`)
	// urlInText finds a URL in free text, to be redacted as a value is.
	urlInText = lazyre.New(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)
	dsnInText = lazyre.New(`\b([^:@/\s"']+):([^@\s"']+)@(tcp|unix|udp)\(`)
	// authInText is an Authorization header's credentials in a dump.
	authInText = lazyre.New(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/-]{8,}=*`)
	// assignment finds the KEY= and KEY: of KEY=value pairs, as a
	// service's log or a parser's message carries them.
	assignment = lazyre.New(`([A-Za-z_][A-Za-z0-9_.-]*)"?[ \t]*[=:]`)
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
	text = pemBlock.Get().ReplaceAllString(text, Redacted)
	text = scrubShapes(text)
	text = jwtInText.Get().ReplaceAllString(text, Redacted)
	text = urlInText.Get().ReplaceAllStringFunc(text, func(u string) string {
		r, _ := redactURL(u)
		return r
	})
	text = dsnInText.Get().ReplaceAllString(text, "${1}:"+Redacted+"@${3}(")
	text = authInText.Get().ReplaceAllString(text, "${1}${2}"+Redacted)
	text = scrubKVPasswords(text)
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
	for _, m := range assignment.Get().FindAllStringSubmatchIndex(text, -1) {
		key := text[m[2]:m[3]]
		if !Name(key) || text[m[1]-1] == ':' && (fileName(text, m[2], key) || messageWord(text[m[1]:])) {
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

// scrubKVPasswords replaces the password= of key=value DSNs in text
// (Pwd= too, which the sensitive-name rule leaves to the shell's PWD).
func scrubKVPasswords(text string) string {
	ms := kvPassword.Get().FindAllStringSubmatchIndex(text, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if from, to := ms[i][4], ms[i][5]; to > from && text[from:to] != Redacted {
			text = text[:from] + Redacted + text[to:]
		}
	}
	return text
}

// fileExts are the extensions of files an error names before a colon
// (secret.yaml:12:5, stat secret.env: no such file): what follows is a
// line number or the error's words, not a value.
var fileExts = map[string]bool{
	"yaml": true, "yml": true, "json": true, "env": true, "tpl": true, "txt": true, "toml": true,
	"ini": true, "properties": true, "conf": true, "cfg": true, "pem": true, "key": true, "crt": true,
	"go": true, "sh": true, "tmpl": true, "gotmpl": true, "lock": true, "db": true, "token": true,
}

// fileName reports whether the key of a "key:" pair at text[at:] is a
// file's name: it has a file extension, or a path leads to it.
func fileName(text string, at int, key string) bool {
	if at > 0 && (text[at-1] == '/' || text[at-1] == '\\') {
		return true
	}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		return fileExts[strings.ToLower(key[i+1:])]
	}
	return false
}

// messageWords start the English of an error after "secret:" or
// "password:", where a value would otherwise stand.
var messageWords = map[string]bool{
	"no": true, "not": true, "is": true, "are": true, "was": true, "must": true, "missing": true,
	"empty": true, "required": true, "invalid": true, "unknown": true, "failed": true, "cannot": true,
	"can't": true, "does": true, "has": true, "should": true, "expected": true, "too": true, "the": true,
	"a": true, "an": true, "permission": true, "open": true, "read": true, "key": true, "value": true,
}

// messageWord reports whether rest (what follows "key:") starts with a
// word of an error message rather than a value.
func messageWord(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	end := strings.IndexAny(rest, " \t\r\n,;:")
	if end < 0 {
		return false // the last word of the text is a value: "password: hunter2"
	}
	return messageWords[strings.ToLower(rest[:end])]
}
