package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/render"
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

// TestURLTemplates: a link the service fills in (a reset or invite URL
// with a {token}, <token>, %s, {{ .Token }} or :token slot) is no
// committed credential, in a container's env or in a Secret's data; a
// query that really carries a token is one, and is called a token.
func TestURLTemplates(t *testing.T) {
	tests := []struct {
		v    string
		want string // "" for silent, else a text of the message
	}{
		{"https://app.acme.dev/reset?token={token}", ""},
		{"https://app.acme.dev/reset?token=<token>", ""},
		{"https://app.acme.dev/reset?token=%s", ""},
		{"https://app.acme.dev/reset?token={{ .Token }}", ""},
		{"https://app.acme.dev/reset?token={{.Token}}&next=%2Fhome", ""},
		{"https://app.acme.dev/reset/:token", ""},
		{"https://app.acme.dev/verify?email=%(email)s&code=%(code)s", ""},
		{"https://app.acme.dev/reset?token=abc123def", "carries a token (token=) in its URL"},
		{"https://hooks.acme.dev/x?api_key=Zq81kLm2Pw", "carries a key (api_key=) in its URL"},
		{"https://app.acme.dev/reset?token={token}&password=Xq7vR2mK", "carries a password in its URL"},
		{"postgres://app:S3cr3t-pass@db:5432/orders", "carries a password in its URL"},
	}
	for _, tt := range tests {
		for _, inSecret := range []bool{false, true} {
			e := envOf("prod", "RESET_LINK=x")
			e.Result.Config = render.NewConfig([]render.Entry{{Key: "RESET_LINK", Value: tt.v,
				Source: render.Source{Kind: render.KindValues, File: "values-prod.yaml", Line: 1}}})
			e = withWorkload(e, render.Workload{Containers: []render.Container{{Name: "app", Config: e.Result.Config}}})
			if inSecret {
				e.Result.SecretValues = []render.SecretValue{{Secret: "app", Key: "RESET_LINK", Value: tt.v,
					Source: render.Source{Kind: render.KindValues, File: "values-prod.yaml", Line: 1}}}
			}
			in := inputOf(e)
			fs := checkCommittedSecret(in)
			if tt.want == "" && len(fs) > 0 {
				t.Errorf("FERRY041 on the template %q (in a Secret: %v): %s", tt.v, inSecret, fs[0].Message)
			}
			if tt.want != "" && len(fs) == 0 {
				t.Errorf("no FERRY041 on %q (in a Secret: %v)", tt.v, inSecret)
			}
			// In a Secret the Secret's finding is the one kept.
			if tt.want != "" && !inSecret && !slices.ContainsFunc(fs, func(f Finding) bool { return strings.Contains(f.Message, tt.want) }) {
				t.Errorf("FERRY041 on %q: got %v, want a message saying %q", tt.v, fs, tt.want)
			}
			for _, f := range fs {
				if strings.Contains(f.Message, "abc123def") || strings.Contains(f.Message, "Zq81kLm2Pw") {
					t.Errorf("the finding prints the token: %s", f.Message)
				}
			}
			if tt.want == "" {
				if ps := checkPlaceholder(in); len(ps) > 0 {
					t.Errorf("FERRY082 on the template %q: %s", tt.v, ps[0].Message)
				}
			}
		}
	}
}
