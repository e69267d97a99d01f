package view

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
)

// TestNoSecretPrinted: view tells secret.Shown (whose table test is
// secret's TestShownPrintsNoSecret) what it knows of a rendered value;
// whatever an entry holds, nothing NewConfigEntry returns — its JSON,
// its table text, a diff side — carries the secret, while what is not
// secret stays visible.
func TestNoSecretPrinted(t *testing.T) {
	const pw = "s3cr3t-Canary-77aa"
	values := render.Source{Kind: render.KindValues, File: "values-prod.yaml", Line: 7}
	tests := []struct {
		name  string
		entry render.Entry
		want  string // what the table shows
	}{
		{"sensitive name", render.Entry{Key: "DB_PASSWORD", Value: pw, Secret: true, Source: values}, secret.Redacted},
		{"from a Secret", render.Entry{Key: "TOKEN", Value: pw, Secret: true, FromSecret: true, Source: values}, secret.Redacted},
		{"DSN from a Secret", render.Entry{Key: "DATABASE_URL", Value: "postgres://app:" + pw + "@db/orders", Secret: true, FromSecret: true, Source: values}, secret.Redacted},
		{"encrypted", render.Entry{Key: "LABEL", Value: pw, Secret: true, Source: render.Source{Kind: render.KindValues, File: "secrets.enc.yaml", Encrypted: true}}, secret.Redacted},
		{"DSN by shape", render.Entry{Key: "DATABASE_URL", Value: "postgres://app:" + pw + "@db:5432/orders", Secret: true, Source: values}, "postgres://app:" + secret.Redacted + "@db:5432/orders"},
		{"DSN a renderer missed", render.Entry{Key: "CACHE_URL", Value: "redis://:" + pw + "@cache:6379/0", Source: values}, "redis://:" + secret.Redacted + "@cache:6379/0"},
		{"sensitive name a renderer missed", render.Entry{Key: "SIGNING_KEY", Value: pw, Source: values}, secret.Redacted},
		{"secret flag, plain-looking value", render.Entry{Key: "X", Value: pw, Secret: true, Source: values}, secret.Redacted},
		{"secret shadows", render.Entry{Key: "API_TOKEN", Value: pw, Secret: true, Source: values,
			Shadows: []render.Shadowed{{Value: pw, Source: values}}}, secret.Redacted},
		{"a plain key hides a secret", render.Entry{Key: "MODE", Value: "fast", Source: values,
			Shadows: []render.Shadowed{{Value: pw, Secret: true, Source: values}, {Value: "amqp://u:" + pw + "@mq/", Source: values}}}, "fast"},
		{"external", render.Entry{Key: "DB_PASSWORD", Secret: true, External: true, Source: render.Source{Kind: render.KindExternal, Detail: "Secret db/password"}}, secret.Redacted},
		{"plain", render.Entry{Key: "DB_HOST", Value: "db.internal", Source: values}, "db.internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := NewConfigEntry(tt.entry)
			if got := ce.Text(); got != tt.want {
				t.Errorf("shows %q, want %q", got, tt.want)
			}
			b, err := json.Marshal(ce)
			if err != nil {
				t.Fatal(err)
			}
			other := tt.entry
			other.Value = "other"
			diff := NewChanges([]render.Change{{Key: tt.entry.Key, Change: "changed", From: &tt.entry, To: &other}})
			d, _ := json.Marshal(diff)
			for what, out := range map[string]string{"JSON": string(b), "text": ce.Text(), "diff": string(d) + diff[0].From.Value} {
				if strings.Contains(out, pw) {
					t.Errorf("the %s of %s carries the secret: %s", what, tt.entry.Key, out)
				}
			}
			if !strings.Contains(string(b), `"key":"`+tt.entry.Key+`"`) {
				t.Errorf("the key is not shown: %s", b)
			}
		})
	}
	// A stored snapshot follows the same rule: a secret (a keyed hash)
	// wholly hidden, a URL's password replaced.
	stored := Entries([]state.Entry{
		{Key: "DB_PASSWORD", Value: "hmac-sha256:" + pw, Secret: true},
		{Key: "DATABASE_URL", Value: "postgres://app:" + pw + "@db/orders"},
		{Key: "SIGNING_KEY", Value: pw},
	})
	want := []string{secret.Redacted, "postgres://app:" + secret.Redacted + "@db/orders", secret.Redacted}
	for i, e := range stored {
		if e.Value != want[i] {
			t.Errorf("stored %s shows %q, want %q", e.Key, e.Value, want[i])
		}
	}
}
