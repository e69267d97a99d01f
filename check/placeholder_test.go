package check

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/render"
)

func TestIsPlaceholder(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"your-rds-endpoint.eu-west-1.rds.amazonaws.com", true},
		{"https://YOUR_TENANT.auth0.com", true},
		{"arn:aws:iam::XXXXXXXXXXXX:role/app", true},
		{"arn:aws:iam::123456789012:role/app", true},
		{"https://hooks.example.com/x", true},
		{"noreply@example.org", true},
		{"db.payments.invalid:5432", true},
		{"changeme123", true},
		{"https://<tenant>.eu.auth0.com", true},
		{"TODO", true},
		{"todo", true},
		{"TODO: set the real bucket", true},
		{"${{ secrets.DB_HOST }}", true},
		// Near misses.
		{"todo-api.tools.svc.cluster.local", false},
		{"http://todo-api:3000", false},
		{"Acme Shop <shop@acme.dev>", false},
		{"arn:aws:iam::310987654321:role/app", false},
		{"myexample.com", false},
		{"exampleservice.acme.dev", false},
		{"maxxx", false},
		{"yourself", false},
		{"api.yourdomain.com", true},
		{"yourapp.herokuapp.com", true},
		{"yours.acme.dev", false},
		{"registry.example.com/ml/serving", true},
		{"pg.prod.acme.internal", false},
		{"<your-api-key>", true},
		{"<REPLACE_ME>", true},
		{"postgres://app:<password>@db.acme.internal/orders", true},
		// Markup and code are not stand-ins.
		{"<!DOCTYPE html>\n<html><head><title>Down</title></head><body>back soon</body></html>\n", false},
		{"<html>\n<body>\n<p>back soon\n", false},
		{`<div class="banner">back soon</div>`, false},
		{"<b>Planned maintenance</b> on Sunday", false},
		{"<br>", false},
		{"-Dtypes=List<String>", false},
		{"<?xml version=\"1.0\"?><config/>", false},
		// Markup is full of <tags> (eval5 ibs: a maintenance page).
		{"<!DOCTYPE html>\n<html><head><title>Down</title></head></html>", false},
		{"<?xml version=\"1.0\"?>\n<config><key>v</key></config>", false},
		{"<p>back soon</p>", false},
		{"<project-id>", true},
		// A CHANGE_<WORD> a pipeline's sed was to replace.
		{"CHANGE_COMMIT_ID", true},
		{"CHANGE_ME", true},
		{"REPLACE_DB_HOST", true},
		{"registry.acme.dev/orders:CHANGE_IMAGE_TAG", false}, // a whole image is judged by its parts
		// Near misses: modes and words that start the same way.
		{"CHANGE_DATA_CAPTURE", false},
		{"CHANGE_STREAM", false},
		{"CHANGELOG.md", false},
		{"change_id", false},
		{"Change_Commit_Id", false},
		// A query slot the service fills in; a person's stand-in is not.
		{"https://app.acme.dev/reset?token=<token>", false},
		{"https://app.acme.dev/invite?email=<email>&code=<code>", false},
		{"https://api.acme.dev/v1?key=<api-key>", true},
		{"https://api.acme.dev/v1?key=<your-api-key>", true},
		{"<token>", true},
		// A __WORD__ token inside a registry host (eval14 bk-devops-case).
		{"__PLACEHOLDER__.dkr.ecr.__PLACEHOLDER__.amazonaws.com/mern-server", true},
		{"mongodb+srv://app:x@__ATLAS_CLUSTER__.mongodb.net/shop", true},
		{"PLACEHOLDER", true},
		// Near misses: dunder names, a doubled separator.
		{"python -m __main__", false},
		{"app__init__module", false},
		{"cache__v2__prod", false},
		{"Logging__LogLevel__Default", false},
		{"feature_flags__DARK__MODE", false},
		{"placeholder-text.acme.dev", false},
	}
	for _, tt := range tests {
		if got := isPlaceholder(tt.v); got != tt.want {
			t.Errorf("isPlaceholder(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for v, want := range map[string]string{
		"changeme":                  "changeme",
		"<!DOCTYPE html>\n<html>\n": "<!DOCTYPE html>…",
		strings.Repeat("x", 130):    strings.Repeat("x", 120) + "…",
		strings.Repeat("é", 61):     strings.Repeat("é", 60) + "…",
	} {
		if got := firstLine(v); got != want {
			t.Errorf("firstLine(%.20q) = %q, want %q", v, got, want)
		}
	}
}

func TestBareWordPlaceholder(t *testing.T) {
	testRule(t, "FERRY082", []ruleCase{
		{
			name: "a bare word where another environment has a host",
			in:   inputOf(envOf("staging", "DS_HOST=pg.staging.acme.internal", "DS_NAME=ledger"), envOf("prod", "DS_HOST=host", "DS_NAME=dsname")),
			want: []string{"error prod DS_HOST", "error prod DS_NAME"},
		},
		{
			name: "the same word everywhere is somebody's real name",
			in:   inputOf(envOf("staging", "DB_HOST=postgres"), envOf("prod", "DB_HOST=postgres")),
		},
		{
			name: "a short Service name is no bare word",
			in:   inputOf(envOf("staging", "POSTGRES_HOST=pg.staging.acme.internal"), envOf("prod", "POSTGRES_HOST=postgres")),
		},
		{
			name: "a key not naming a place",
			in:   inputOf(envOf("staging", "EXTRA_ONE=uno"), envOf("prod", "EXTRA_ONE=one")),
		},
	})
}

// CI fills in what its deploy command sets with --set: the expression in
// the values file is not a placeholder then.
func TestPlaceholderSetByCI(t *testing.T) {
	mk := func(ci map[string]string) *Input {
		staging := envOf("staging", "API_URL=https://api.staging.acme.dev")
		prod := envOf("prod", "API_URL=${{ vars.API_URL }}@values-prod.yaml:3")
		prod.Result.ValueSources["env.API_URL"] = render.Source{Kind: render.KindValues, File: "values-prod.yaml", Line: 3}
		prod.SetByCI = ci
		return inputOf(staging, prod)
	}
	testRule(t, "FERRY082", []ruleCase{
		{name: "not set by CI", in: mk(nil), want: []string{"error prod API_URL"}},
		{name: "--set env.API_URL", in: mk(map[string]string{"env.API_URL": ".github/workflows/deploy.yml:42"})},
		{name: "--set of the map above it", in: mk(map[string]string{"env": ".github/workflows/deploy.yml:42"})},
		{name: "another key set by CI", in: mk(map[string]string{"image.tag": ".github/workflows/deploy.yml:42"}), want: []string{"error prod API_URL"}},
	})
}

func TestEmptiedValue(t *testing.T) {
	testRule(t, "FERRY083", []ruleCase{
		{
			name: "prod empties staging's URL",
			in:   inputOf(envOf("staging", "OIDC_AUTH_SERVER_URL=https://sso.staging.acme.dev"), envOf("prod", "OIDC_AUTH_SERVER_URL=")),
			want: []string{"warning prod OIDC_AUTH_SERVER_URL"},
		},
		{
			name: "an earlier environment may leave it empty",
			in:   inputOf(envOf("staging", "SENTRY_DSN="), envOf("prod", "SENTRY_DSN=https://sentry.acme.dev/4")),
		},
		{
			name: "a base default both keep",
			in:   inputOf(envOf("staging", "FEATURE_URL=@chart/values.yaml:4"), envOf("prod", "FEATURE_URL=@chart/values.yaml:4")),
		},
		{
			name: "a base empty the earlier one overrode",
			in:   inputOf(envOf("staging", "FEATURE_URL=https://f.acme.dev"), envOf("prod", "FEATURE_URL=@chart/values.yaml:4")),
		},
	})
}

// TestCredentialData: a value of a Secret's data is a committed secret
// by its key's name or its shape, not because it sits in a Secret.
func TestCredentialData(t *testing.T) {
	tests := []struct {
		key, value string
		want       bool
	}{
		{"password", "s3cret", true},
		{"DB_PASSWORD", "x", true},
		{"DATABASE_URL", "postgres://u:pw@h/db", true},
		{"dsn", "u:pw@tcp(h:3306)/db", true},
		{"api-key", "k", true},
		{"SESSION_SEED", "q8Zr2LwX9vTf4KpB", true}, // a short generated token
		{"BOT_API_KEY", "sk-ant-api03-4Qv9", true},
		{"auth", "admin:$apr1$H65vpo2B$ZkV0qzLn1bG4Yq2k7x3Wd/", true}, // an htpasswd line
		{"DISCORD_NEW_COMMENT", "https://discord.com/api/webhooks/1203344556677889900/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf", true},
		// Near misses: what charts carry in a Secret beside the credential.
		{"username", "orders_app", false},
		{"DB_USER", "orders", false},
		{"database", "orders", false},
		{"rootUser", "admin", false},
		{"postgres-host", "pg.acme.internal", false},
		{"ALLOWED_IPS", "*", false},
		{"FEATURE_SIGNUP", "true", false},
		{"CORS_ORIGINS", "https://a.acme.io, https://b.acme.io", false},
		{"OAUTH_REDIRECT", "https://app.acme.io/auth/callback", false},
		{"BOT_CLAUDE_MODEL", "claude-3-haiku-20240307", false},
		{"BOT_OPENAI_MODEL", "gpt-4o-mini", false},
		{"passwordSecretKey", "password", false},                     // names the key inside another Secret
		{"EVE_CLIENT_ID", "3f1c9d2e7a5b4c8d9e0f1a2b3c4d5e6f", false}, // public, whatever its shape
		{"AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", true},
		{"DISCORD_CHANNEL_IDS", "1203344556677889900,1203344556677889901", false},
		{"BACKEND_DISCORD_URL", "https://discord.com/channels/1203344556677889900", false},
	}
	for _, tt := range tests {
		if got := credentialData(tt.key, tt.value); got != tt.want {
			t.Errorf("credentialData(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// TestValuesHoldingIsUnique: a host found under one dotted path and also
// in a list item (which has none) cites no line rather than the wrong one.
func TestValuesHoldingIsUnique(t *testing.T) {
	res := &render.Result{
		Values: map[string]any{
			"service": map[string]any{"client": map[string]any{"host": "grpc.your-domain.net"}},
			"ingress": map[string]any{"hosts": []any{map[string]any{"host": "grpc.your-domain.net"}}},
			"api":     map[string]any{"host": "api.your-domain.net"},
		},
		ValueSources: map[string]render.Source{
			"service.client.host": {Kind: render.KindValues, File: "values-prod.yaml", Line: 162},
			"api.host":            {Kind: render.KindValues, File: "values-prod.yaml", Line: 170},
		},
	}
	e := &Env{Name: "prod", Result: res}
	if src, p, ok := e.valuesHolding("grpc.your-domain.net"); ok {
		t.Errorf("valuesHolding = %s at %s, want no line: a list item holds it too", p, src)
	}
	if src, p, ok := e.valuesHolding("api.your-domain.net"); !ok || p != "api.host" || src.Line != 170 {
		t.Errorf("valuesHolding = %s at %s (%v), want api.host at values-prod.yaml:170", p, src, ok)
	}
}

// TestDedupeKeepsDifferentValues: two environments' findings cited at one
// template with no line, about different values, stay two findings.
func TestDedupeKeepsDifferentValues(t *testing.T) {
	f := func(env, host string) Finding {
		return Finding{Severity: Error, Key: "ingress.host", Environments: []string{env},
			Locations: []Location{{Environment: env, Value: host, File: "chart/templates/ingress.yaml"}}, Message: env + ": placeholder " + host}
	}
	got := dedupe([]Finding{f("test", "api.your-test.net"), f("prod", "api.your-prod.net"), f("qa", "api.your-test.net")})
	if len(got) != 2 || len(got[0].Environments) != 2 || len(got[1].Environments) != 1 {
		t.Errorf("dedupe = %+v, want test and qa's host as one finding, prod's as another", got)
	}
}

func TestPathPrefix(t *testing.T) {
	for _, tt := range []struct {
		key, v string
		want   bool
	}{
		{"MEDIA_SERVER_PREFIX", "/media-server", true},
		{"BASE_PATH", "/app", true},
		{"basePath", "/docs", true},
		{"server.servlet.context-path", "/orders", true},
		{"NEXT_PUBLIC_BASE_PATH", "/shop", true},
		// Near misses: a URL, a file path, a name prefix, a network path.
		{"API_PREFIX", "https://api.acme.io/v1", false},
		{"DATA_PATH", "/data", false},
		{"CACHE_KEY_PREFIX", "orders:", false},
		{"ASSET_PREFIX", "//cdn.acme.io", false},
		{"OIDC_AUTH_SERVER_URL", "/auth", false},
	} {
		if got := pathPrefix(tt.key, tt.v); got != tt.want {
			t.Errorf("pathPrefix(%q, %q) = %v, want %v", tt.key, tt.v, got, tt.want)
		}
	}
}
