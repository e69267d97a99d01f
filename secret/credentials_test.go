package secret

import (
	"strings"
	"testing"
)

func TestNameShapes(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"PGPASSWORD", true},
		{"MYSQL_ROOT_PASSWORD", true},
		{"DB_PASS", true},
		{"SMTP_PASS", true},
		{"GPG_PASSPHRASE", true},
		{"SSH_KEY_PASSPHRASE", true},
		{"smtpPassword", true},
		{"postgresPassword", true},
		{"auth.rootPassword", true},
		{"DBPassword", true},
		{"clientSecret", true},
		{"minioAccessKey", true},
		{"apiKey", true},
		{"githubToken", true},
		// Near misses.
		{"PASS_THROUGH", false},
		{"BYPASS_CACHE", false},
		{"COMPASS_URL", false},
		{"PGPASSWORD_FILE", false},
		{"passwordMinLength", false},
		{"tokenTtl", false},
		{"existingSecret", false},
		{"auth.existingSecret", false},
		{"existingSecretPasswordKey", false},
		{"passwordKey", false},
		{"secretName", false},
		{"tokenizerModel", false},
		{"keycloakRealm", false},
		{"passThrough", false},
		{"passwordSecret", false},
		{"tlsSecret", false},
		{"imagePullSecrets", false},
		{"postgresql.azure.passwordSecretKey", false}, // the key inside the Secret
		{"adminPasswordSecretName", false},
		{"tlsSecretKey", false},
		{"jwtSecretKey", true}, // a secret key, not a reference to one
		{"clientSecretKey", true},
		{"jwtSecret", true},
		{"sessionSecret", true},
		{"tokenSecret", true},
	}
	for _, tt := range tests {
		if got := Name(tt.key); got != tt.want {
			t.Errorf("Name(%q) = %v, want %v (words %q)", tt.key, got, tt.want, splitWords(tt.key))
		}
	}
}

func TestValueShapesIssue18(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", true},
		{"bearer 9f8e7d6c5b4a39281706", true},
		{"Basic YWRtaW46aHVudGVyMg==", true},
		{"admin:Hunter2x", true},
		{"admin:hunter2!", true},
		{"deploy:S3cr3t!x", true},
		{"https://hooks.internal/notify?password=hunter2", true},
		{"http://ferry.internal:7070/api/loglevel/prod?token=8c1d2e3f4a5b6c7d8e9f", true},
		{"https://bucket.s3.amazonaws.com/x?X-Amz-Signature=abcdef123456&X-Amz-Expires=300", true},
		{"host=db.internal port=5432 user=app password=hunter2 dbname=orders", true},
		{"Server=sql.internal;Database=orders;User Id=app;Password='p@ss w0rd';", true},
		{"Server=sql.internal;Database=orders;Uid=app;Pwd=hunter2;", true},
		{"q8Zr3vN1xT5wLk2Yb7Hc9Md4", true},   // 24 random base64 characters
		{"Kp2rT9vXw4Lm7QzN1bY6Hs3d", true},   // another
		{"3q2+7w8ZrT1vN5xLk9Yb/A==", true},   // 16 random bytes, padded
		{"xT5wLk2Yb7Hc9Md4Fg6Js0PaR", true},  // 25
		{"aB3dE5gH7jK9mN1pQ3sT5vX7zA", true}, // 26
		{"nginx:alpine", false},              // image tags, ports, times
		{"nginx:stable-alpine", false},
		{"node:lts-alpine3.19", false},
		{"redis:7.2", false},
		{"postgres:16-alpine", false},
		{"db:5432", false},
		{"localhost:6379", false},
		{"12:30", false},
		{"acme-dev:europe-west1:inventory", false},
		{"-XX:MaxRAMPercentage=75", false},
		{"urn:example:animal", false},
		{"host=db.internal port=5432 user=app dbname=orders", false},
		{"https://api.example.com/v1/orders?page=2&sort=asc", false},
		{"https://api.example.com/v1/orders?token_type=bearer", false},
		{"Bearer", false},
		{"OrdersApiServer2026Linux", false}, // identifiers of key length
		{"PaymentsServiceV2Postgres", false},
		{"AbstractFactoryBean2024X", false},
		{"MyServiceAccount2024Prod", false},
		{"ExampleUser1234OrdersDb", false},
		{"507f1f77bcf86cd799439011", false}, // a MongoDB ObjectId
		{"123e4567-e89b-12d3-a456-426614174000", false},
		{"eu-west-1a.compute.internal", false},
		{"SHUTDOWN_GRACE_PERIOD=30s", false},
		{"projects/acme-prod/topics/orders", false},
	}
	for _, tt := range tests {
		if got := Value(tt.value); got != tt.want {
			t.Errorf("Value(%q) = %v, want %v (entropy %.2f)", tt.value, got, tt.want, entropy(tt.value))
		}
	}
}

func TestShowKeepsWhatIsNotSecret(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"REMOTE_LOG_URL", "http://ferry.internal:7070/api/loglevel/prod?token=8c1d2e3f4a5b6c7d8e9f", "http://ferry.internal:7070/api/loglevel/prod?token=<redacted>"},
		{"WEBHOOK", "https://u:pw@hooks.internal/x?sig=abc123&ttl=60#frag", "https://u:<redacted>@hooks.internal/x?sig=<redacted>&ttl=60#frag"},
		{"CALLBACK", "https://hooks.internal/x?api_key=k-123&page=2", "https://hooks.internal/x?api_key=<redacted>&page=2"},
		{"PG_DSN", "host=db password=hunter2 dbname=orders", "host=db password=<redacted> dbname=orders"},
		{"MSSQL", "Server=sql;Password='p@ss w0rd';Database=x", "Server=sql;Password='<redacted>';Database=x"},
		{"BASIC_AUTH", "admin:hunter2", "admin:<redacted>"},
		{"AUTH_HEADER_VALUE", "Bearer 9f8e7d6c5b4a39281706", Redacted},
		{"IMAGE", "nginx:stable-alpine", "nginx:stable-alpine"},
	}
	for _, tt := range tests {
		if got := show(tt.key, tt.value); got != tt.want {
			t.Errorf("show(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
}

// TestPairs: under a key named for a user:password pair, a password of
// lower-case letters and digits is one too; elsewhere it is an image tag.
func TestPairs(t *testing.T) {
	tests := []struct {
		key, value, show string
		secret           bool
	}{
		{"BASIC_AUTH", "admin:hunter2", "admin:<redacted>", true},
		{"basicAuth", "ops:letmein9", "ops:<redacted>", true},
		{"REGISTRY_LOGIN", "ci:tok3n42", "ci:<redacted>", true},
		{"HTPASSWD", "admin:hunter2", Redacted, true}, // a credential by its name
		{"AUTH_URL", "admin:hunter2", "admin:hunter2", false},
		{"AUTH_MODE", "oidc:strict", "oidc:strict", false},
		{"IMAGE", "orders:build42", "orders:build42", false},
		{"BASIC_AUTH", "", "", false},
	}
	for _, tt := range tests {
		if got := show(tt.key, tt.value); got != tt.show {
			t.Errorf("show(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.show)
		}
		if got := Is(tt.key, tt.value); got != tt.secret {
			t.Errorf("Is(%q, %q) = %v, want %v", tt.key, tt.value, got, tt.secret)
		}
	}
}

func TestPasswords(t *testing.T) {
	tests := []struct {
		value string
		want  []string // each password's value, in order
	}{
		{"postgres://app:s3cret@db:5432/orders", []string{"s3cret"}},
		{"jdbc:postgresql://u:pa/ss@db/app?password=two", []string{"pa/ss", "two"}},
		{"amqp://u:p1@a:5672,amqp://u:p2@b:5672", []string{"p1", "p2"}},
		{"app:pw@tcp(db:3306)/orders", []string{"pw"}},
		{"host=db password='a b' user=x", []string{"a b"}},
		{"https://host:8443/users/@me", nil},
		{"https://host/path?email=a@example.com", nil},
		{"postgres://app:$(DB_PASSWORD)@db/x", []string{"$(DB_PASSWORD)"}},
		// Slots the service fills in as it builds a link are no
		// credential; a real value beside one still is.
		{"https://app.acme.dev/reset?token={token}", nil},
		{"https://app.acme.dev/reset?token=<token>", nil},
		{"https://app.acme.dev/reset?token=%s&uid=%d", nil},
		{"https://app.acme.dev/reset?token={{ .Token }}", nil},
		{"https://app.acme.dev/reset?token={{.Token}}&lang={{.Lang}}", nil},
		{"https://app.acme.dev/reset?token=%7Btoken%7D", nil},
		{"https://app.acme.dev/reset?token=%(token)s", nil},
		{"https://app.acme.dev/reset?token=:token", nil},
		{"https://app.acme.dev/reset/:token", nil},
		{"https://app.acme.dev/invite?id={0}&sig=Xq7vR2mK9pL4", []string{"Xq7vR2mK9pL4"}},
		{"https://app.acme.dev/reset?token=abc123def", []string{"abc123def"}},
		{"postgres://app:{password}@db/orders", nil},
		{"host=db password=%s dbname=orders", nil},
		// Near misses: braces or a colon inside a real value.
		{"https://app.acme.dev/reset?token=ab{c}d", []string{"ab{c}d"}},
		{"https://app.acme.dev/reset?token=:9f3kQ2", []string{":9f3kQ2"}},
	}
	for _, tt := range tests {
		ps := Passwords(tt.value)
		var got []string
		for _, p := range ps {
			if tt.value[p.Start:p.End] != p.Value {
				t.Errorf("Passwords(%q): span %d:%d is %q, not %q", tt.value, p.Start, p.End, tt.value[p.Start:p.End], p.Value)
			}
			got = append(got, p.Value)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Passwords(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// TestScrubKeepsLocations: scrubbing removes values, never the line
// numbers of a location or the words of an error (issue 17 item 8).
func TestScrubKeepsLocations(t *testing.T) {
	tests := []struct{ in, want string }{
		{"chart/templates/secret.yaml:12: dbPassword must be set", "chart/templates/secret.yaml:12: dbPassword must be set"},
		{"render: template: orders/templates/secret.yaml:12:5: executing \"x\"", "render: template: orders/templates/secret.yaml:12:5: executing \"x\""},
		{"stat secret.env: no such file or directory", "stat secret.env: no such file or directory"},
		{"open /home/u/.config/ferry/secrets.env: permission denied", "open /home/u/.config/ferry/secrets.env: permission denied"},
		{"sops: secret-values-prod.yaml:3: failed to decrypt", "sops: secret-values-prod.yaml:3: failed to decrypt"},
		{"token: not found in the environment", "token: not found in the environment"},
		// Values still go.
		{"DB_PASSWORD: hunter2", "DB_PASSWORD: <redacted>"},
		{"config: password: s3cr3t-xyz retrying", "config: password: <redacted> retrying"},
		{"dial postgres://app:hunter2@db:5432/x?sslmode=disable: refused", "dial postgres://app:<redacted>@db:5432/x?sslmode=disable: refused"},
		{"GET /api/loglevel/prod?token=8c1d2e3f4a5b6c7d8e9f 200", "GET /api/loglevel/prod?token=<redacted> 200"},
		{"GET http://ferry:7070/api/loglevel/prod?token=8c1d2e3f4a5b6c7d8e9f 200", "GET http://ferry:7070/api/loglevel/prod?token=<redacted> 200"},
		{"Authorization: Bearer 9f8e7d6c5b4a39281706 rejected", "Authorization: Bearer <redacted> rejected"},
		{"pq: connect host=db password=hunter2 dbname=x: timeout", "pq: connect host=db password=<redacted> dbname=x: timeout"},
		{"Server=sql;Pwd=hunter2;Database=x", "Server=sql;Pwd=<redacted>;Database=x"},
	}
	for _, tt := range tests {
		if got := Scrub(tt.in); got != tt.want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubRenderError(t *testing.T) {
	values := map[string]any{
		"db": map[string]any{"host": "db.internal", "password": "Tr0ub4dor&3", "url": "postgres://app:pg-canary-91@db/orders"},
		"postgresql": map[string]any{ // a subchart's values
			"auth": map[string]any{"postgresPassword": "sub-canary-77", "existingSecret": "orders-db"},
		},
		"secret":   map[string]any{"create": true},
		"smtpPass": "smtp-canary-55",
		"replicas": 3,
	}
	msg := "execution error at (orders/templates/secret.yaml:12:5): password Tr0ub4dor&3 is too short; sub-canary-77 and pg-canary-91 and smtp-canary-55 were given, create is true for orders-db"
	got := ScrubRenderError(msg, values)
	for _, leak := range []string{"Tr0ub4dor&3", "sub-canary-77", "pg-canary-91", "smtp-canary-55"} {
		if strings.Contains(got, leak) {
			t.Errorf("ScrubRenderError left %q: %s", leak, got)
		}
	}
	for _, keep := range []string{"orders/templates/secret.yaml:12:5", "is too short", "create is true", "orders-db"} {
		if !strings.Contains(got, keep) {
			t.Errorf("ScrubRenderError removed %q: %s", keep, got)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want, line string }{
		{"Alice Example <alice@example.com>", "Alice Example <alice@example.com>", "Alice Example <alice@example.com>"},
		{"eve\x1b[2J\x1b[1;1Hdeploy approved", "evedeploy approved", "evedeploy approved"},
		{"eve\x1b]0;owned\x07", "eve", "eve"},
		{"eve\x1b]52;c;ZWNobyBwd25lZA==\x1b\\x", "evex", "evex"},
		{"eve\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "eveclick", "eveclick"},
		{"ok\rFAILED", "okFAILED", "okFAILED"},
		{"a\x00b\x07c\x7fd\u009b31me", "abcd31me", "abcd31me"},
		{"user\u202egnp.exe", "usergnp.exe", "usergnp.exe"},
		{"line one\nline two\ttabbed", "line one\nline two\ttabbed", "line one line two tabbed"},
		{"bad \xff utf8", "bad \uFFFD utf8", "bad \uFFFD utf8"},
		{"José Müller 李", "José Müller 李", "José Müller 李"},
		{"\x1b[31mred\x1b[0m", "red", "red"},
		{"\x1bPq#0;2;0;0;0\x1b\\after", "after", "after"},
		{"trailing\x1b", "trailing", "trailing"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := PrintableLine(tt.in); got != tt.line {
			t.Errorf("PrintableLine(%q) = %q, want %q", tt.in, got, tt.line)
		}
	}
}
