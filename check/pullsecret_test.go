package check

import (
	"encoding/base64"
	"slices"
	"testing"
)

func TestRegistryPasswords(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("ci-bot:s3cr3t-from-auth"))
	for _, tt := range []struct {
		name, doc string
		want      []string
	}{
		{"dockerconfigjson with password and auth", `{"auths":{"registry.acme.io":{"username":"ci-bot","password":"s3cr3t-from-auth","auth":"` + auth + `"}}}`, []string{"s3cr3t-from-auth"}},
		{"auth only", `{"auths": {"registry.acme.io": {"auth": "` + auth + `"}}}`, []string{"s3cr3t-from-auth"}},
		{"legacy dockercfg", `{"registry.acme.io":{"password":"legacy-pass"}}`, []string{"legacy-pass"}},
		{"near miss: not JSON", `registry.acme.io ci-bot`, nil},
		{"near miss: no password", `{"auths":{"registry.acme.io":{"username":"ci-bot"}}}`, nil},
	} {
		if got := registryPasswords(tt.doc); !slices.Equal(got, tt.want) {
			t.Errorf("%s: registryPasswords = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPublicCertificate(t *testing.T) {
	cert := "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3J\n-----END CERTIFICATE-----\n"
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIO\n-----END EC PRIVATE KEY-----\n"
	for _, tt := range []struct {
		key, value string
		want       bool
	}{
		{"tls.crt", cert, true},
		{"ca.crt", base64.StdEncoding.EncodeToString([]byte(cert)), true},
		{"tls.key", key, false},
		{"bundle.pem", cert + key, false},
		{"password", "hunter2-but-longer", false},
	} {
		if got := publicCertificate(tt.key, tt.value); got != tt.want {
			t.Errorf("publicCertificate(%s) = %v, want %v", tt.key, got, tt.want)
		}
	}
}
