package secret

import (
	"strings"
	"testing"
)

// TestShownPrintsNoSecret is "no secret printed" for every output: Shown
// is the only code that turns a value into text (cmd/ferry's
// TestOnePlaceMakesValuesPrintable keeps it so), so a secret it does not
// print is printed nowhere. Each row plants a password and says what
// may be seen; the host of a URL stays, the password never does, and
// neither does a control sequence that would rewrite the terminal.
func TestShownPrintsNoSecret(t *testing.T) {
	const pw = "Hunter2-canary-9f8e"
	tests := []struct {
		name, key, value string
		how              Secrecy
		want             string
	}{
		// What the producer knows decides how much of a secret shows.
		{"plain value", "DB_HOST", "db.internal", Unmarked, "db.internal"},
		{"plain value, marked", "X", pw, Marked, Redacted},
		{"plain value, whole", "DB_HOST", "db.internal", Whole, Redacted},
		{"DSN unmarked", "DATABASE_URL", "postgres://app:" + pw + "@db:5432/orders", Unmarked, "postgres://app:<redacted>@db:5432/orders"},
		{"DSN marked keeps the host", "DATABASE_URL", "postgres://app:" + pw + "@db:5432/orders", Marked, "postgres://app:<redacted>@db:5432/orders"},
		{"DSN from a Secret", "DATABASE_URL", "postgres://app:" + pw + "@db:5432/orders", Whole, Redacted},
		{"no value at hand", "API_TOKEN", "", Whole, Redacted},
		{"empty, marked", "API_TOKEN", "", Marked, Redacted},
		{"empty, unmarked", "LOG_LEVEL", "", Unmarked, ""},
		// A producer that missed a secret: name and shape still hide it.
		{"sensitive name missed", "SIGNING_KEY", pw, Unmarked, Redacted},
		{"password= DSN missed", "PG", "host=db password=" + pw + " dbname=orders", Unmarked, "host=db password=<redacted> dbname=orders"},
		{"MySQL DSN missed", "MYSQL", "app:" + pw + "@tcp(db:3306)/orders", Unmarked, "app:<redacted>@tcp(db:3306)/orders"},
		{"query token missed", "HOOK", "https://hooks.internal/x?token=" + pw + "&page=2", Unmarked, "https://hooks.internal/x?token=<redacted>&page=2"},
		{"user:password pair", "BASIC_AUTH", "admin:" + pw, Unmarked, "admin:<redacted>"},
		{"bearer header", "AUTH_HEADER_VALUE", "Bearer " + pw + "abcdef", Unmarked, Redacted},
		{"PEM", "TLS", "-----BEGIN EC PRIVATE KEY-----\n" + pw + "\n-----END EC PRIVATE KEY-----", Unmarked, Redacted},
		// Control sequences go, whatever the secrecy.
		{"escape in a plain value", "GREETING", "hi\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2Jthere", Unmarked, "hithere"},
		{"escape around a DSN", "DATABASE_URL", "\x1b[31mpostgres://app:" + pw + "@db/orders\u202e", Marked, "postgres://app:<redacted>@db/orders"},
		// Near misses show whole.
		{"image tag", "IMAGE", "nginx:stable-alpine", Unmarked, "nginx:stable-alpine"},
		{"port in path", "URL", "https://host:8443/users/@me", Unmarked, "https://host:8443/users/@me"},
		{"email", "EMAIL", "ops@example.com", Unmarked, "ops@example.com"},
	}
	// Each row twice: as Shown alone finds it, and after Is judged the
	// same key and value (as render does before its output shows them),
	// when Shown takes Is's verdict from its memo.
	for _, judged := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if judged {
					Is(tt.key, tt.value)
				}
				got := Shown(tt.key, tt.value, tt.how)
				if got != tt.want {
					t.Errorf("judged %v: Shown(%q, %q, %d) = %q, want %q", judged, tt.key, tt.value, tt.how, got, tt.want)
				}
				if strings.Contains(got, pw) || strings.ContainsAny(got, "\x1b\a\u202e") {
					t.Errorf("Shown(%q, …) = %q prints the secret or a control sequence", tt.key, got)
				}
			})
		}
	}
}

func TestSecrecyOf(t *testing.T) {
	for _, tt := range []struct {
		isSecret, wholly bool
		want             Secrecy
	}{{false, false, Unmarked}, {false, true, Unmarked}, {true, false, Marked}, {true, true, Whole}} {
		if got := SecrecyOf(tt.isSecret, tt.wholly); got != tt.want {
			t.Errorf("SecrecyOf(%v, %v) = %d, want %d", tt.isSecret, tt.wholly, got, tt.want)
		}
	}
}
