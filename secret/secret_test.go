package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"DB_PASSWORD", true},
		{"db-password", true},
		{"spring.datasource.password", true},
		{"REDIS_PASSWD", true},
		{"DB_PWD", true},
		{"JWT_SECRET", true},
		{"CLIENT_SECRETS", true},
		{"GITHUB_TOKEN", true},
		{"STRIPE_APIKEY", true},
		{"OPENAI_API_KEY", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"TLS_PRIVATE_KEY", true},
		{"SIGNING_KEY", true},
		{"ENCRYPTION_KEY", true},
		{"GCP_CREDENTIALS", true},
		{"MINIO_ACCESSKEY", true},
		// Near misses: names about a credential, not the credential.
		{"ACCESS_TOKEN_TTL_MINUTES", false},
		{"AUTH_TOKEN_CLEANUP_INTERVAL_MS", false},
		{"SESSION_TOKEN_TIMEOUT", false},
		{"TW_LLM_MAX_TOKENS", false},
		{"GRAFANA_ONCALL_HMAC_SECRET_ID", false},
		{"SpeechOptions__GoogleCredential__UniverseDomain", false},
		// The user half of a key pair (eval17 Stratum: minioadmin).
		{"AWS_ACCESS_KEY_ID", false},
		{"MINIO_ACCESS_KEY_ID", false},
		// Names of a store and of the key inside a Secret (eval15 BOL-CD).
		{"externalSecrets.secretStoreRef.kind", false},
		{"cron.abNotify.webhookSecret.key", false},
		{"api.tokenSecretRef.key", false},
		{"WEBHOOK_SECRET_KEY", true},
		{"webhook.secret.key.value", true},
		{"jwt.secret.key", true},
		{"minio.accessKeyId", false},
		{"NUM_API_KEYS", false},

		{"ACCESS_TOKEN_TTL", false},
		{"TOKEN_EXPIRY", false},
		{"JWT_ISSUER", false},
		{"TOKEN_ISSUER", false},
		{"DB_PASSWORD_FILE", false},
		{"GOOGLE_APPLICATION_CREDENTIALS_PATH", false},
		{"SECRET_NAME", false},
		{"AUTH_HEADER", false},
		{"TOKEN_URL", false},
		{"TOKEN_ENDPOINT", false},
		{"PASSWORD_MIN_LENGTH", false},
		{"PASSWORD_RECOVERY_ALLOWED_DOMAINS", false},
		{"PASSWORD_RECOVERY_DEFAULT", false},
		{"PASSWORD_RESET_TOKEN", true},
		{"SMTP_PASSWORD_RECOVERY", false},
		{"SECRETS_BACKEND", false},
		{"SECRET_STORE", false},
		{"DB_SECRET_ARN", false},
		{"TOKEN_TYPE", false},
		{"DB_HOST", false},
		{"ACCESSIBILITY_MODE", false},
		{"TOKENIZER_MODEL", false},
		{"SECRETARY_EMAIL", false},
		{"KEYCLOAK_REALM", false},
		{"API_KEY_HEADER", false},
		{"PWD", false},
		{"OLDPWD", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Name(tt.key); got != tt.want {
			t.Errorf("Name(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestShow(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"DB_HOST", "db.internal", "db.internal"},
		{"DB_PASSWORD", "hunter2", Redacted},
		{"DATABASE_URL", "postgres://app:s3cret@db:5432/orders", "postgres://app:<redacted>@db:5432/orders"},
		{"DATABASE_URL", "postgres://app@db:5432/orders", "postgres://app@db:5432/orders"},
		{"REDIS_URL", "redis://:hunter2@cache:6379/0", "redis://:<redacted>@cache:6379/0"},
		{"CALLBACK", "https://api:tok@hooks.example.com/x", "https://api:<redacted>@hooks.example.com/x"},
		{"SPRING_DATASOURCE_URL", "jdbc:postgresql://u:pw@db:5432/app", "jdbc:postgresql://u:<redacted>@db:5432/app"},
		{"MYSQL_DSN", "app:pw@tcp(db:3306)/orders?parseTime=true", "app:<redacted>@tcp(db:3306)/orders?parseTime=true"},
		{"BROKERS", "amqp://u:p1@a:5672,amqp://u:p2@b:5672", "amqp://u:<redacted>@a:5672,amqp://u:<redacted>@b:5672"},
		{"MONGO_URI", "mongodb+srv://u:p%40ss@cluster0.x.net/db", "mongodb+srv://u:<redacted>@cluster0.x.net/db"},
		{"TLS_KEY_PEM", "-----BEGIN EC PRIVATE KEY-----\nMHc...\n-----END EC PRIVATE KEY-----", Redacted},
		{"SESSION", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", Redacted},
		{"AWS_KEY_ID_X", "AKIAIOSFODNN7EXAMPLE", Redacted},
		{"GH", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", Redacted},
		// Near misses: digests, UUIDs, plain hosts, image refs.
		{"IMAGE", "registry.local/orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "registry.local/orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"REQUEST_ID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
		{"EMAIL", "ops@example.com", "ops@example.com"},
		{"GIT_URL", "git@github.example:org/repo.git", "git@github.example:org/repo.git"},
	}
	for _, tt := range tests {
		if got := show(tt.key, tt.value); got != tt.want {
			t.Errorf("show(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
		if secretish := tt.want != tt.value; secretish != Is(tt.key, tt.value) {
			t.Errorf("Is(%q, %q) = %v, want %v", tt.key, tt.value, !secretish, secretish)
		}
	}
}

func TestScrub(t *testing.T) {
	const pw = "Tr0ub4dor&3"
	in := strings.Join([]string{
		"connecting to postgres://orders:" + pw + "@db:5432/orders",
		"DB_PASSWORD=" + pw,
		`config: {"API_KEY": "k-12345678", "DB_HOST": "db"}`,
		"dsn app:" + pw + "@tcp(db:3306)/x",
		"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
		"known canary-value-42 appears",
	}, "\n")
	out := Scrub(in, "canary-value-42", "x")
	for _, leak := range []string{pw, "k-12345678", "canary-value-42", "MIIEow", "dozjgNry"} {
		if strings.Contains(out, leak) {
			t.Errorf("Scrub left %q in:\n%s", leak, out)
		}
	}
	for _, keep := range []string{"db:5432/orders", `"DB_HOST": "db"`, "tcp(db:3306)", "appears"} {
		if !strings.Contains(out, keep) {
			t.Errorf("Scrub removed %q from:\n%s", keep, out)
		}
	}
}

func TestHasher(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "secret.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode = %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewHasher(k1).Sum("hunter2"), NewHasher(k2).Sum("hunter2")
	if a != b || !strings.HasPrefix(a, "hmac-sha256:") {
		t.Errorf("Sum not stable under the same key: %q vs %q", a, b)
	}
	if other := NewHasher(make([]byte, KeySize)).Sum("hunter2"); other == a {
		t.Error("Sum does not depend on the key")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key accepted: %v", err)
	}
}
