package secret

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// plantable is what a planted secret is made of in the fuzz targets: the
// alphabet of generated passwords and tokens. It must not contain the word
// of the placeholder, or the placeholder itself would "leak" it.
var plantable = regexp.MustCompile(`^[A-Za-z0-9+/_=-]{8,64}$`)

func plantOK(s string) bool {
	return plantable.MatchString(s) && !strings.Contains(strings.ToLower(s), "redacted")
}

// portLike is the one password shape redactURL leaves alone: it reads as
// host:port/path with an "@" later in the path (see portThenPath).
var portLike = regexp.MustCompile(`^[0-9]{1,5}[/?#]`)

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }

// FuzzScrub plants a secret in arbitrary text, in each place a secret
// shows up in a log or a parser's message, and checks that Scrub removes
// it: named as known, as a URL's password, as a DSN's, as the value of a
// sensitive key (bare, quoted, inside a quoted message), as a PEM body.
func FuzzScrub(f *testing.F) {
	f.Add("connecting to db", "failed", "hunter2-canary")
	f.Add(`msg="start`, `" level=info`, "s3cr3t/Pa55+w0rd=")
	f.Add("a://b", "@c", "AKIAIOSFODNN7EXAMPLE")
	f.Add("DB_PASSWORD=", "\n", "q8Zr3vN1xT5wLk2Yb7Hc9Md4Fg6Js0PaRe1Ui3Oy")
	f.Fuzz(func(t *testing.T, prefix, suffix, secret string) {
		if !plantOK(secret) || strings.Contains(prefix+suffix, secret) {
			return
		}
		plants := []struct {
			text  string
			known bool
		}{
			{prefix + secret + suffix, true},
			{prefix + " postgres://app:" + secret + "@db:5432/orders " + suffix, false},
			{prefix + " redis://:" + secret + "@cache:6379/0 " + suffix, false},
			{prefix + " app:" + secret + "@tcp(db:3306)/orders " + suffix, false},
			{prefix + " DB_PASSWORD=" + secret + " " + suffix, false},
			{prefix + ` API_TOKEN="` + secret + `" ` + suffix, false},
			{prefix + ` msg="login with SIGNING_KEY=` + secret + ` ok" ` + suffix, false},
			{prefix + "\n-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n" + suffix, false},
		}
		for _, p := range plants {
			var known []string
			if p.known {
				known = []string{secret}
			}
			if got := Scrub(p.text, known...); strings.Contains(got, secret) {
				t.Fatalf("Scrub(%q) = %q, still has %q", p.text, got, secret)
			}
		}
	})
}

// FuzzShow checks that a URL's or DSN's password never survives show,
// whatever the key, user and host around it.
func FuzzShow(f *testing.F) {
	f.Add("DATABASE_URL", "postgres", "app", "db:5432", "/orders", "hunter2-canary")
	f.Add("X", "amqp", "", "mq", "", "Pa55w0rd")
	f.Add("URL", "https", "api", "hooks.example.com", "?a=b@c", "tok3n-value")
	f.Fuzz(func(t *testing.T, key, scheme, user, host, rest, secret string) {
		if !plantOK(secret) || !regexp.MustCompile(`^[a-z][a-z0-9+.-]{0,15}$`).MatchString(scheme) ||
			!regexp.MustCompile(`^[A-Za-z0-9._-]*$`).MatchString(user) ||
			!regexp.MustCompile(`^[A-Za-z0-9.:-]+$`).MatchString(host) ||
			strings.Contains(key+scheme+user+host+rest, secret) ||
			portLike.MatchString(secret) {
			return
		}
		for _, v := range []string{
			scheme + "://" + user + ":" + secret + "@" + host + rest,
			"jdbc:" + scheme + "://" + user + ":" + secret + "@" + host + rest,
		} {
			if got := show(key, v); strings.Contains(got, secret) {
				t.Fatalf("show(%q, %q) = %q, still has %q", key, v, got, secret)
			}
		}
		if user != "" {
			v := user + ":" + secret + "@tcp(" + host + ")" + rest
			if got := show(key, v); strings.Contains(got, secret) {
				t.Fatalf("show(%q, %q) = %q, still has %q", key, v, got, secret)
			}
		}
	})
}

// FuzzPrintable: whatever an untrusted string holds, what Printable
// returns has no escape, no control character but tab and newline, no C1
// control, no bidirectional override, is valid UTF-8, and is unchanged by
// a second pass.
func FuzzPrintable(f *testing.F) {
	f.Add("eve\x1b[2J\x1b[1;1Hok")
	f.Add("\x1b]52;c;ZWNobyBwd25lZA==\x07")
	f.Add("a\u202eb\xffc\u009b31m")
	f.Add("\x1bP\x1b\\\x1b")
	f.Fuzz(func(t *testing.T, s string) {
		out := Printable(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Printable(%q) = %q, not UTF-8", s, out)
		}
		for _, r := range out {
			if r == 0x1b || r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("Printable(%q) = %q keeps %U", s, out, r)
			}
		}
		if again := Printable(out); again != out {
			t.Fatalf("Printable not idempotent: %q then %q", out, again)
		}
	})
}
