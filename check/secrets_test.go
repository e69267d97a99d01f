package check

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/render"
)

// withPodEnv renders a Deployment whose container takes DB_PASSWORD from
// a Secret and everything else from the ConfigMap "app-config".
func withPodEnv(e *Env) *Env {
	// What the pod reads, as render lists it from the envFrom and
	// valueFrom below.
	withWorkload(e, render.Workload{Reads: []string{"ConfigMap/app-config", "Secret/app-secrets", "Secret/db"}})
	e.Result.Objects = append(e.Result.Objects,
		render.Object{Kind: "Deployment", Name: "app", Body: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{
				"name":    "app",
				"envFrom": []any{map[string]any{"configMapRef": map[string]any{"name": "app-config"}}, map[string]any{"secretRef": map[string]any{"name": "app-secrets"}}},
				"env":     []any{map[string]any{"name": "DB_PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db", "key": "password"}}}},
			}},
		}}}}},
		render.Object{Kind: "ConfigMap", Name: "app-config", Body: map[string]any{"data": map[string]any{"API_TOKEN": "x"}}},
		render.Object{Kind: "Secret", Name: "app-secrets", Body: map[string]any{"stringData": map[string]any{"STRIPE_API_KEY": "x"}}},
	)
	// render marks what the pod reads from a Secret.
	var entries []render.Entry
	for _, en := range e.Result.Config.Entries {
		en.FromSecret = en.Key == "DB_PASSWORD" || en.Key == "STRIPE_API_KEY"
		entries = append(entries, en)
	}
	e.Result.Config = render.NewConfig(entries)
	return e
}

func TestSecretInConfig(t *testing.T) {
	testRule(t, "FERRY040", []ruleCase{
		{
			name: "literal password in every values file",
			in:   inputOf(envOf("staging", "DB_PASSWORD=hunter2"), envOf("prod", "DB_PASSWORD=hunter3")),
			want: []string{"error staging DB_PASSWORD", "error prod DB_PASSWORD"},
		},
		{
			name: "one base line inherited by both is one finding",
			in:   inputOf(envOf("staging", "API_TOKEN=t"+base+"40"), envOf("prod", "API_TOKEN=t"+base+"40")),
			want: []string{"error prod,staging API_TOKEN"},
		},
		{
			name: "token in a rendered ConfigMap",
			in:   inputOf(withPodEnv(envOf("prod", "API_TOKEN=abc", "STRIPE_API_KEY=sk", "DB_PASSWORD=pw"))),
			want: []string{"error prod API_TOKEN"},
		},
		{
			// A ConfigMap no pod reads (an operator reads it by name) is
			// as readable as any other (eval9 fastapi).
			name: "token in a ConfigMap no pod reads",
			in: inputOf(func() *Env {
				e := envOf("prod")
				e.Result.Objects = append(e.Result.Objects, render.Object{Kind: "ConfigMap", Name: "operator-pod-env", Body: map[string]any{"data": map[string]any{
					"AWS_SECRET_ACCESS_KEY": "q8Vt2mWc9rLkP0sXa7dZb3nHy6JfE1uGo4TiR5eK", "AWS_ACCESS_KEY_ID": "${WALG_KEY_ID}",
					"pod_environment_secret": "postgres-pod-secrets", "CLONE_AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": "eu-west-1",
				}}})
				return e
			}()),
			want: []string{"error prod AWS_SECRET_ACCESS_KEY"},
		},
		{
			name: "near miss: external Secret, placeholder, names of where a secret lives",
			in:   inputOf(envOf("prod", "DB_PASSWORD=@ext", "API_TOKEN=REPLACE_WITH_TOKEN", "TOKEN_URL=https://auth/token", "DB_PASSWORD_FILE=/run/secrets/db", "SECRET_NAME=orders")),
		},
	})
}

func TestSecretBakedIntoImage(t *testing.T) {
	e := envOf("prod", "DB_PASSWORD=@ext")
	en, _ := e.Result.Config.Get("DB_PASSWORD")
	en.Shadows = []render.Shadowed{{Value: "devpass", Source: render.Source{Kind: render.KindFile, File: "configs/.env", Line: 4}}}
	e.Result.Config = render.NewConfig([]render.Entry{en})
	fs := findings(t, "FERRY040", inputOf(e))
	if len(fs) != 1 || fs[0].File != "configs/.env" || fs[0].Line != 4 {
		t.Fatalf("FERRY040 over a shadowed configs/.env password = %+v, want one finding at configs/.env:4", fs)
	}
	if strings.Contains(fs[0].Message, "devpass") {
		t.Errorf("FERRY040 message prints the secret: %s", fs[0].Message)
	}
}

// TestFilePath: an absolute path is where a credential is kept, never the
// credential; a secret that only starts with a slash is still one.
func TestFilePath(t *testing.T) {
	for v, want := range map[string]bool{
		"/data/tokens-eth.json":      true,
		"/run/secrets/db-password":   true,
		"/etc/orders/tls/key.pem":    true,
		"/var/lib/app/":              true,
		"/token":                     false, // one segment: too like a value
		"/3kd9fJ+Qk/Zx8aLm==":        false, // base64
		"/AbC9xYz/QweRty":            false, // mixed case: a generated secret
		"/2024/05":                   false,
		"s3cr3t/with/slashes":        false,
		"https://vault.internal/v1/": false,
	} {
		if got := filePath(v); got != want {
			t.Errorf("filePath(%q) = %v, want %v", v, got, want)
		}
	}
}
