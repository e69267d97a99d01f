package check

import "testing"

func TestPlainToRemoteDB(t *testing.T) {
	tests := []struct {
		v, host, param string
	}{
		{"jdbc:postgresql://ledger.c7xk2m9q1ab4.eu-central-1.rds.amazonaws.com:5432/ledger?sslmode=disable", "ledger.c7xk2m9q1ab4.eu-central-1.rds.amazonaws.com", "sslmode=disable"},
		{"jdbc:postgresql://rc1a-x.mdb.yandexcloud.net:6432/advert?ssl=false&sslmode=disable", "rc1a-x.mdb.yandexcloud.net", "sslmode=disable"},
		{"mysql://app@db.example.org:3306/shop?tls=false", "db.example.org", "tls=false"},
		{"postgres://app:pa?ss;x@34.90.1.2:5432/orders?sslmode=disable", "34.90.1.2", "sslmode=disable"},
		// Inside the cluster, on a private or loopback address, or with TLS on: no finding.
		{"postgresql://postgres:5432/ledger?sslmode=disable", "", ""},
		{"postgresql://postgres.ledger.svc.cluster.local:5432/ledger?sslmode=disable", "", ""},
		{"postgresql://postgres.ledger.svc:5432/ledger?sslmode=disable", "", ""},
		{"postgresql://10.20.0.15:5432/ledger?sslmode=disable", "", ""},
		{"postgresql://db.corp.internal:5432/ledger?sslmode=disable", "", ""},
		{"postgresql://localhost:5432/ledger?sslmode=disable", "", ""},
		{"postgresql://db.example.org:5432/ledger?sslmode=require", "", ""},
		{"https://api.example.org/?ssl=false", "", ""},
		{"sslmode=disable", "", ""},
	}
	for _, tt := range tests {
		host, param, ok := plainToRemoteDB(tt.v)
		if ok != (tt.host != "") || host != tt.host || param != tt.param {
			t.Errorf("plainToRemoteDB(%q) = %q, %q, %v; want %q, %q", tt.v, host, param, ok, tt.host, tt.param)
		}
	}
}

func TestPlainAuthURL(t *testing.T) {
	tests := []struct {
		key, v, host string
	}{
		{"KEYCLOAK_URL", "http://192.168.14.55:8080", "192.168.14.55"},
		{"OIDC_ISSUER", "http://sso.acme-corp.com/realms/main", "sso.acme-corp.com"},
		{"auth.oidc.issuerUrl", "http://login.example.org", "login.example.org"},
		// https, inside the cluster, loopback, or not an identity provider: no finding.
		{"KEYCLOAK_URL", "https://sso.acme-corp.com", ""},
		{"KEYCLOAK_URL", "http://keycloak:8080", ""},
		{"KEYCLOAK_URL", "http://keycloak.auth.svc.cluster.local:8080", ""},
		{"OIDC_ISSUER", "http://localhost:8080", ""},
		{"API_URL", "http://api.acme-corp.com", ""},
		{"AUTHOR_NAME", "http://blog.acme-corp.com", ""},
	}
	for _, tt := range tests {
		host, ok := plainAuthURL(tt.key, tt.v)
		if ok != (tt.host != "") || (ok && host != tt.host) {
			t.Errorf("plainAuthURL(%q, %q) = %q, %v; want %q", tt.key, tt.v, host, ok, tt.host)
		}
	}
}
