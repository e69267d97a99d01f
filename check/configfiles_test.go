package check

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfigFile(t *testing.T) {
	tests := []struct {
		name, kind, text string
		want             []string // key=value@line
	}{
		{"ini", "ini", "; comment\n[database]\nhost = db.acme.internal\npassword: 'pw'\n", []string{"database.host=db.acme.internal@3", "database.password=pw@4"}},
		{"properties", "properties", "# c\n! c\nspring.datasource.url=jdbc:postgresql://h/db\ncache.port: 6379\n", []string{"spring.datasource.url=jdbc:postgresql://h/db@3", "cache.port=6379@4"}},
		{"yaml", "yaml", "spring:\n  datasource:\n    password: pw\nhosts:\n  - a\n", []string{"spring.datasource.password=pw@3", "hosts[0]=a@5"}},
		{"json", "yaml", "{\"db\": {\"host\": \"h\", \"port\": 5432}}", []string{"db.host=h@1", "db.port=5432@1"}},
		{"env", "env", "export A=1\nB=\"two words\"\n# c\nC=3 # comment\nA=4\n", []string{"A=1@1", "B=two words@2", "C=3@4", "A=4@5"}},
		{"broken yaml", "yaml", "a: [\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range parseConfigFile(tt.kind, tt.text) {
				got = append(got, fmt.Sprintf("%s=%s@%d", f.Key, f.Value, f.Line))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigFileKind(t *testing.T) {
	for name, want := range map[string]string{
		"settings.ini": "ini", "app.properties": "properties", "application.yaml": "yaml", "config.json": "yaml",
		".env": "env", "features.env": "env", ".env.production": "env", "nginx.conf": "", "index.html": "", "ca.crt": "",
	} {
		if got := configFileKind(name); got != want {
			t.Errorf("configFileKind(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFileSecret(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		want       bool
	}{
		{"database.password", "prod-pw-1", true},
		{"spring.datasource.password", "${DS_PASSWORD}", false},
		{"db.url", "postgres://u:pw@h/db", true},
		{"db.url", "postgres://u:${DB_PASSWORD}@h/db", false},
		{"database.password", "%(DB_PASSWORD)s", false},
		{"database.user", "orders", false},
		{"auth.enabled", "true", false},
	} {
		if got := fileSecret(fileEntry{Key: tt.key, Value: tt.value}); got != tt.want {
			t.Errorf("fileSecret(%s) = %v, want %v", tt.key, got, tt.want)
		}
	}
}
