package secret

import (
	"encoding/base64"
	"testing"
)

func TestValueShapes(t *testing.T) {
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
	cert := "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name, value string
		want        bool
	}{
		{"AWS secret access key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"AWS key id AGPA", "AGPAIOSFODNN7EXAMPLE", true},
		{"Slack bot token", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", true},
		{"Slack webhook", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", true},
		{"Google API key", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", true},
		{"npm token", "npm_abcdefghijklmnopqrstuvwxyz0123456789", true},
		{"OpenAI key", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", true},
		{"Vault token", "hvs.CAESIJ1abcdefghijklmnopqrstuv", true},
		{"base64 session key", "q8Zr3vN1xT5wLk2Yb7Hc9Md4Fg6Js0PaRe1Ui3Oy", true},
		{"base64url 43-char key", "dGhpcyBpcyBhIDMyIGJ5dGUga2V5IGZvciBIUzI1Ng", true},
		{"hex 32-char API key", "5f2b8c1e9d7a4036b1e8f3c2a9d7e6b4", true},
		{"base64 PEM private key", base64.StdEncoding.EncodeToString([]byte(pem)), true},
		{"PEM private key", pem, true},
		{"OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", true},
		// Near misses: long and random-looking, but identifiers.
		{"sha256 digest", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false},
		{"bare sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false},
		{"git commit", "3f786850e387550fdab836ed7e6dc881de23001b", false},
		{"UUID", "123e4567-e89b-12d3-a456-426614174000", false},
		{"image reference", "registry.example.com/team/orders-api:1.4.2-alpine3.20", false},
		{"image with digest", "ghcr.io/acme/orders@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false},
		{"image tag", "v2026.12.01-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", false},
		{"kebab name", "orders-api-production-eu-west-1-primary-db", false},
		{"snake name", "ORDERS_SERVICE_PRIMARY_DATABASE_CONNECTION_POOL", false},
		{"path", "/var/lib/orders/data/2026/12/01/segments/AbC123", false},
		{"test temp dir", "/tmp/TestCanariesDeployed2766993947/002", false},
		{"relative path", "./build/OrdersApiServer2026Linux64Bin", false},
		{"Java class", "com.example.orders.infrastructure.PostgresOrderRepository", false},
		{"certificate", cert, false},
		{"base64 certificate", base64.StdEncoding.EncodeToString([]byte(cert)), false},
		{"repeated letters", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"hex all digits", "12345678901234567890123456789012", false},
		{"OTLP URL", "otel-collector.observability.svc.cluster.local:4317", false},
		{"short", "Xy7zQ2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Value(tt.value); got != tt.want {
				t.Errorf("Value(%q) = %v, want %v (entropy %.2f)", tt.value, got, tt.want, entropy(tt.value))
			}
		})
	}
}

func TestScrubShapes(t *testing.T) {
	tests := []struct{ name, text, secret string }{
		{"AWS key id in a log line", `level=error msg="s3 denied" key=AKIAIOSFODNN7EXAMPLE`, "AKIAIOSFODNN7EXAMPLE"},
		{"GitHub token in a URL", "clone https://x-access-token:ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789@github.com/a/b", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"},
		{"Slack webhook", "posting to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX failed", "XXXXXXXXXXXXXXXXXXXXXXXX"},
		{"sensitive pair inside a quoted message", `level=info msg="connecting DB_PASSWORD=hunter2xyz now" attempt=2`, "hunter2xyz"},
		{"OpenSSH key in a dump", "key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "b3BlbnNzaC1rZXktdjEAAAAA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Scrub(tt.text); containsStr(got, tt.secret) {
				t.Errorf("Scrub(%q) = %q, still has the secret", tt.text, got)
			}
		})
	}
	// Trace ids and digests stay readable in logs.
	keep := "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 image=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	if got := Scrub(keep); got != keep {
		t.Errorf("Scrub(%q) = %q, want it unchanged", keep, got)
	}
}

func TestRedactURLPaths(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:pa/ss@db/orders", "postgres://u:<redacted>@db/orders"},
		{"postgres://u:pa?ss#x@db/orders", "postgres://u:<redacted>@db/orders"},
		{"https://host:8443/users/@me", "https://host:8443/users/@me"},
		{"https://host/path?email=a@example.com", "https://host/path?email=a@example.com"},
		{"http://example.com/a:b@c", "http://example.com/a:b@c"},
		{"redis://u:12345678@cache:6379", "redis://u:<redacted>@cache:6379"},
	}
	for _, tt := range tests {
		if got := show("X", tt.in); got != tt.want {
			t.Errorf("show(X, %q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShortKey(t *testing.T) {
	for v, want := range map[string]bool{
		"q8Zr2LwX9vTf4KpB":         true,
		"Xk9#mP2!vL8q":             true,
		"q8Zr2LwX9v":               false, // too short
		"gpt-4o-mini":              false,
		"claude-3-haiku-20240307":  false, // no upper case
		"https://a.example/X1y2z3": false,
		"Orders Service 2024":      false, // a sentence
	} {
		if got := ShortKey(v); got != want {
			t.Errorf("ShortKey(%q) = %v, want %v", v, got, want)
		}
	}
}
