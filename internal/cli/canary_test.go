package cli

import (
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
)

// canaries are secrets planted in every place a secret can live in a
// project, each distinct so that a leak names its source.
var canaries = map[string]string{
	"values → chart Secret":    "cnry-ValuesSecret-4c1f9a",
	"literal base64 Secret":    "cnry-LiteralB64-7d2e0b",
	"ferry.yaml env:":          "cnry-FerryYamlEnv-3e4f5a",
	"secrets file":             "cnry-SecretsFile-6b7c8d",
	"configs/.env":             "cnry-ConfigsEnv-9e0f1a",
	"DSN userinfo":             "cnry-DsnUserinfo-91ab3c",
	"ENCRYPTION_KEY name":      "cnry-EncryptionKey-5e6f7a",
	"SIGNING_KEY name":         "cnry-SigningKey-0b1c2d",
	"configs overlay":          "cnry-ConfigsOverlay-2b3c4d",
	"values, sensitive config": "cnry-ValuesConfig-5d6e7f",
}

// canaryProject plants every canary: a Secret rendered from values (and
// copied by a $(VAR) reference), a Secret with a literal base64 value, a
// sensitive name in values, a DSN with a password, *_KEY names,
// ferry.yaml env:, a secrets file for an external Secret, configs/.env and
// its overlay.
func canaryProject(t *testing.T) string {
	t.Helper()
	c := canaries
	b64 := base64.StdEncoding.EncodeToString([]byte(c["literal base64 Secret"]))
	secrets := filepath.Join(t.TempDir(), "staging.env")
	if err := os.WriteFile(secrets, []byte("EXTERNAL_PASSWORD="+c["secrets file"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := shopAPI()
	files["ferry.yaml"] = `service: shop-api
chart: chart
path: [staging, prod]
environments:
  staging:
    soak: 1m
    secretsFile: ` + secrets + `
    env:
      HTTP_PORT: "18100"
      AWS_ACCESS_KEY: ` + c["ferry.yaml env:"] + `
  prod:
    soak: 30m
`
	files["chart/templates/literal-secret.yaml"] = `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-literal
data:
  API_KEY: ` + b64 + `
`
	// The base Deployment, with an env: list after its envFrom.
	files["chart/templates/deployment.yaml"] += `          env:
            - name: LEGACY_DB_AUTH
              value: "$(DB_PASSWORD)"
            - name: APP_ENV
              value: {{ .Values.appEnv | quote }}
            - name: API_KEY
              valueFrom:
                secretKeyRef: {name: {{ .Release.Name }}-literal, key: API_KEY}
            - name: EXTERNAL_PASSWORD
              valueFrom:
                secretKeyRef: {name: shop-api-external, key: password}
`
	files["values-staging.yaml"] = `appEnv: staging
config:
  DB_HOST: staging-db.internal
  SMTP_PASSWORD: ` + c["values, sensitive config"] + `
  DATABASE_URL: postgres://shop:` + c["DSN userinfo"] + `@staging-db.internal:5432/shop
  ENCRYPTION_KEY: ` + c["ENCRYPTION_KEY name"] + `
  SIGNING_KEY: ` + c["SIGNING_KEY name"] + `
secret:
  DB_PASSWORD: ` + c["values → chart Secret"] + `
`
	files["values-prod.yaml"] = "appEnv: prod\nconfig:\n  DB_HOST: prod-db.internal\nsecret:\n  DB_PASSWORD: other\n"
	files["configs/.env"] = "APP_NAME=shop-api\nLOG_LEVEL=INFO\nAPI_TOKEN=" + c["configs/.env"] + "\n"
	files["configs/.staging.env"] = "LOG_LEVEL=DEBUG\nREDIS_PASSWORD=" + c["configs overlay"] + "\n"
	return testtree.Write(t, files)
}

// TestCanaries runs every read command in every format, with -v, over
// the canary project and greps stdout and stderr for every planted
// secret, and for its base64 form: zero hits.
func TestCanaries(t *testing.T) {
	dir := canaryProject(t)
	commands := []string{
		"render staging", "render staging -o json", "render staging -o dotenv", "render staging --shadows",
		"diff staging prod", "diff staging prod -o json", "diff prod staging",
		"check", "check -o json", "check -o sarif", "check --strict",
		"status", "status -o json", "history staging", "history staging -o json",
		"verify staging", "verify staging -o json", "drift staging", "drift staging -o json",
	}
	for _, args := range commands {
		t.Run(args, func(t *testing.T) {
			out, errOut, code := run(t, "-C "+dir+" -v "+args)
			if code == ExitUsage && !strings.HasPrefix(args, "verify") && !strings.HasPrefix(args, "drift") {
				t.Errorf("ferry %s: exit 2 on a valid project: %s", args, errOut)
			}
			deployed := strings.HasPrefix(args, "verify") || strings.HasPrefix(args, "drift")
			if out == "" && !deployed {
				t.Errorf("ferry %s: exit %d and nothing on stdout: %s", args, code, errOut)
			}
			if *canaryLog {
				t.Logf("ferry %s: exit %d\n%s%s", args, code, out, errOut)
			}
			assertNoCanary(t, args, out+errOut)
		})
	}
}

// TestCanaryInParseError: a parse error right after a secret line names
// the line and nothing of the file.
func TestCanaryInParseError(t *testing.T) {
	dir := canaryProject(t)
	broken := "APP_NAME=shop-api\nAPI_TOKEN=" + canaries["configs/.env"] + "\nGREETING=\"unterminated " + canaries["configs/.env"] + "\n"
	if err := os.WriteFile(filepath.Join(dir, "configs", ".env"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range []string{"render staging", "render staging -o json", "diff staging prod", "check", "check -o json"} {
		out, errOut, code := run(t, "-C "+dir+" -v "+args)
		if code != ExitUsage || !strings.Contains(errOut, "configs/.env:3") {
			t.Errorf("ferry %s = %d %q, want 2 naming configs/.env:3", args, code, errOut)
		}
		assertNoCanary(t, args, out+errOut)
	}
}

var canaryLog = flag.Bool("canary.log", false, "log every command's output in TestCanaries")

func assertNoCanary(t *testing.T, args, text string) {
	t.Helper()
	for where, c := range canaries {
		for _, form := range []string{c, base64.StdEncoding.EncodeToString([]byte(c))} {
			if i := strings.Index(text, form); i >= 0 {
				lo, hi := strings.LastIndex(text[:i], "\n")+1, min(len(text), i+len(form)+40)
				t.Errorf("ferry %s printed the %s canary: …%s…", args, where, text[lo:hi])
			}
		}
	}
}

// TestCanariesDeployed deploys the canary project's stand-in service on
// the local target and greps what the commands that read a running
// environment print: zero hits, whatever the process holds.
func TestCanariesDeployed(t *testing.T) {
	slow(t, "builds and runs a service")
	dir := canaryProject(t)
	for _, f := range []string{"main.go", "go.mod"} {
		data, err := os.ReadFile(filepath.Join("../../platform/local/testdata/svc", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml, err := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml = []byte(strings.Replace(string(yaml), `HTTP_PORT: "18100"`, fmt.Sprintf(`HTTP_PORT: "%d"`+"\n      METRICS_PORT: \"0\"", freePort(t)), 1))
	if err := os.WriteFile(filepath.Join(dir, "ferry.yaml"), yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run(t, "-C "+dir+" down staging") })

	for _, args := range []string{"build", "deploy staging"} {
		out, errOut, code := run(t, "-C "+dir+" -v "+args)
		if code != 0 {
			t.Fatalf("ferry %s: exit %d\n%s%s", args, code, out, errOut)
		}
		assertNoCanary(t, args, out+errOut)
	}
	for _, args := range []string{
		"verify staging", "verify staging -o json", "drift staging", "drift staging -o json",
		"status", "status -o json", "history staging", "history staging -o json",
	} {
		out, errOut, code := run(t, "-C "+dir+" -v "+args)
		if code != 0 {
			t.Errorf("ferry %s: exit %d\n%s%s", args, code, out, errOut)
		}
		if *canaryLog {
			t.Logf("ferry %s: exit %d\n%s%s", args, code, out, errOut)
		}
		assertNoCanary(t, args, out+errOut)
	}
}

// TestCanariesOnPage: the page of ferry serve shows render and diff of
// the canary project (HTML and its JSON API) without any planted secret,
// while showing the keys and the values that are not secret.
func TestCanariesOnPage(t *testing.T) {
	h := serveHandler(t, canaryProject(t))
	for _, tt := range []struct{ path, want string }{
		{"/config/staging", "staging-db.internal"},
		{"/config/staging?with=prod", "prod-db.internal"},
		{"/config/prod?with=staging", "DB_PASSWORD"},
		{"/api/render/staging", `"key": "DATABASE_URL"`},
		{"/api/render/prod", `"environment": "prod"`},
		{"/api/diff/staging/prod", `"key": "DB_HOST"`},
		{"/api/diff/prod/staging", `"key": "SMTP_PASSWORD"`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			rec := serveGet(h, tt.path)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.Contains(body, tt.want) {
				t.Errorf("GET %s = %d, want 200 showing %q:\n%.2000s", tt.path, rec.Code, tt.want, body)
			}
			assertNoCanary(t, "serve GET "+tt.path, body)
		})
	}
}
