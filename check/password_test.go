package check

import (
	"strings"
	"testing"
)

// TestPlaceholderPasswords: FERRY041 leaves a URL or DSN alone when
// every password in it is a placeholder or a $(VAR) reference, and
// finds them where secret.Passwords does. The rows marked "was wrong"
// are where check's own userinfo regexp disagreed with it.
func TestPlaceholderPasswords(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"postgres://app:$(DB_PASSWORD)@db.orders.svc:5432/orders", true},
		{"postgres://app:${DB_PASSWORD}@db:5432/orders?sslmode=require", true},
		{"redis://:changeme@redis:6379/0", true},
		{"app:$(MYSQL_PASSWORD)@tcp(mysql:3306)/orders", true},
		{"postgres://app:S3cr3t-pass@db:5432/orders", false},
		{"postgres://app:hunter2@db:5432/orders", false},
		// was wrong: a committed ?password= after a referenced userinfo
		// password was missed.
		{"postgres://app:$(DB_PASSWORD)@db:5432/orders?password=Xq7vR2mK9pL4", false},
		// was wrong: a referenced password in a key=value DSN, or in a
		// query, was reported as committed.
		{"host=db user=app password=$(DB_PASSWORD) dbname=orders", true},
		{"https://hooks.acme.dev/deploy?token=$(HOOK_TOKEN)", true},
		// was wrong: a userinfo password holding "/" was not read, so a
		// referenced one was reported.
		{"amqp://app:$(RABBIT_PASSWORD)/x@rabbit:5672/orders", true},
		// No password at all: nothing to excuse.
		{"postgres://db:5432/orders", false},
	}
	for _, tt := range tests {
		if got := placeholderPasswords(tt.v); got != tt.want {
			t.Errorf("placeholderPasswords(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// TestParseURLPasswords: a password that is not percent-encoded, holding
// "/", "?", "#", ";" or "@", is not read as the host, the port or the
// database, and no part of it reaches the endpoint (was wrong: the
// userinfo ran to the first "/", "?", "#" or ";").
func TestParseURLPasswords(t *testing.T) {
	tests := []struct{ v, ident string }{
		{"postgres://app:pa/ss@db.orders.svc:5432/orders", "sql://db.orders.svc:5432/orders"},
		{"postgres://app:p@ss#1@db:5432/orders", "sql://db:5432/orders"},
		{"amqp://guest:gu?est@rabbit/orders", "amqp://rabbit:5672/orders"},
		{"jdbc:sqlserver://sa:Pa;ss@mssql:1433/orders", "sql://mssql:1433/orders"},
		{"mysql://app:Xq7v/R2mK@mysql/orders?password=Xq7v/R2mK", "sql://mysql:3306/orders"},
		{"redis://:s3cr3t/x@redis:6379/2", "redis://redis:6379/2"},
		{"app:Xq7vR2mK@tcp(mysql:3306)/orders", "sql://mysql:3306/orders"},
		{"postgres://app@db/orders", "sql://db:5432/orders"},
	}
	for _, tt := range tests {
		ep, ok := parseURL(tt.v)
		if !ok || ep.ident() != tt.ident {
			t.Errorf("parseURL(%q) = %q %v, want %q", tt.v, ep.ident(), ok, tt.ident)
		}
		for _, part := range []string{"pa/ss", "p@ss", "gu?est", "Pa;ss", "Xq7v", "s3cr3t"} {
			if strings.Contains(tt.v, part) && strings.Contains(ep.ident()+ep.path+strings.Join(ep.rawHosts, ","), part) {
				t.Errorf("parseURL(%q) keeps the password %q: %+v", tt.v, part, ep)
			}
		}
	}
}
