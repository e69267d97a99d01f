package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"
)

// canary is planted wherever a bad-input case can put a secret; no message
// may carry it.
const canary = "cAnAry-7Q2vX9wLk"

// shopAPI is a realistic project: a chart with helpers, a ConfigMap, a
// Secret and a Deployment, base and per-environment values, configs/ with
// an overlay, and a ferry.yaml.
func shopAPI() map[string]string {
	return map[string]string{
		"ferry.yaml": `service: shop-api
chart: chart
path: [staging, prod]
environments:
  staging:
    soak: 1m
    env:
      HTTP_PORT: "18100"
  prod:
    soak: 30m
`,
		"chart/Chart.yaml": "apiVersion: v2\nname: shop-api\nversion: 0.3.1\nappVersion: \"1.4.2\"\n",
		"chart/values.yaml": `image:
  repository: registry.example.com/shop-api
  tag: 1.4.2
config:
  APP_NAME: shop-api
  HTTP_PORT: "8000"
  DB_HOST: localhost
secret:
  DB_PASSWORD: ""
`,
		"chart/templates/_helpers.tpl": `{{- define "shop.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
`,
		"chart/templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  labels:
    {{- include "shop.labels" . | nindent 4 }}
data:
  {{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
`,
		"chart/templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secret
stringData:
  DB_PASSWORD: {{ .Values.secret.DB_PASSWORD | quote }}
`,
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels:
      {{- include "shop.labels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "shop.labels" . | nindent 8 }}
    spec:
      containers:
        - name: shop-api
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          envFrom:
            - configMapRef:
                name: {{ .Release.Name }}-config
            - secretRef:
                name: {{ .Release.Name }}-secret
`,
		"values-staging.yaml":  "config:\n  DB_HOST: staging-db.internal\nsecret:\n  DB_PASSWORD: " + canary + "\n",
		"values-prod.yaml":     "config:\n  DB_HOST: prod-db.internal\nsecret:\n  DB_PASSWORD: " + canary + "-prod\n",
		"configs/.env":         "APP_NAME=shop-api\nLOG_LEVEL=INFO\n",
		"configs/.staging.env": "LOG_LEVEL=DEBUG\n",
	}
}

// badInput is one case: files replace (or, when "-", remove) the base
// project's; setup changes the tree further; args run in it.
type badInput struct {
	name  string
	files map[string]string
	setup func(t *testing.T, dir string)
	args  string
	code  int
	where string // substring the message must hold: file:line, or what names the input
}

func badInputCases() []badInput {
	const y = "ferry.yaml"
	withYAML := func(body string) map[string]string { return map[string]string{y: body} }
	envFile := func(body string) map[string]string { return map[string]string{"configs/.env": body} }
	stagingValues := func(body string) map[string]string { return map[string]string{"values-staging.yaml": body} }
	tmpl := func(body string) map[string]string { return map[string]string{"chart/templates/extra.yaml": body} }
	return []badInput{
		// Usage.
		{name: "unknown command", args: "rendr staging", code: 2, where: `unknown command "rendr"`},
		{name: "unknown flag", args: "render staging --shadow", code: 2, where: "unknown flag: --shadow"},
		{name: "missing argument", args: "render", code: 2, where: "render takes 1 argument(s), got 0"},
		{name: "extra argument", args: "render staging prod", code: 2, where: "render takes 1 argument(s), got 2"},
		{name: "bad output format", args: "render staging -o yaml", code: 2, where: "yaml"},
		{name: "bad colour", args: "--color=sometimes render staging", code: 2, where: "auto, always, never"},
		{name: "env arg with ../", args: "render ../../etc", code: 2, where: `environment name "../../etc"`},
		{name: "env arg upper-case", args: "render Staging", code: 2, where: `environment name "Staging"`},
		{name: "env arg with a slash", args: "deploy staging/x", code: 2, where: `environment name "staging/x"`},
		{name: "promote to a bad name", args: "promote staging ../prod", code: 2, where: `environment name "../prod"`},
		{name: "unknown environment", args: "render qa", code: 2, where: `"qa"`},
		{name: "diff with an unknown side", args: "diff staging qa", code: 2, where: `"qa"`},
		{name: "history of a bad name", args: "history ../../x", code: 2, where: `environment name "../../x"`},
		{name: "down an upper-case name", args: "down PROD", code: 2, where: `environment name "PROD"`},
		{name: "rollback to a non-number", args: "rollback staging --to latest", code: 2, where: "latest"},
		{name: "status in yaml", args: "status -o yaml", code: 2, where: "yaml"},
		{name: "project dir missing", args: "-C does-not-exist render staging", code: 2, where: "does-not-exist"},
		{name: "project dir is a file", args: "-C ferry.yaml render staging", code: 2, where: "not a directory"},

		// ferry.yaml.
		{name: "yaml syntax error", files: withYAML("service: shop-api\npath: [staging, prod\nenvironments: {}\n"), args: "render staging", code: 2, where: "ferry.yaml:"},
		{name: "yaml unknown field", files: withYAML("service: shop-api\nchart: chart\nenviroments:\n  staging: {}\n"), args: "render staging", code: 2, where: `ferry.yaml:3: unknown field "enviroments"`},
		{name: "yaml unknown env field", files: withYAML("environments:\n  staging:\n    sok: 1m\n"), args: "render staging", code: 2, where: `ferry.yaml:3: environment "staging": unknown field "sok" for target local`},
		{name: "yaml bad target", files: withYAML("environments:\n  staging:\n    target: mars\n"), args: "render staging", code: 2, where: `ferry.yaml:3: environment "staging": target: unknown target "mars"`},
		{name: "yaml bad soak", files: withYAML("environments:\n  staging:\n    soak: soon\n"), args: "render staging", code: 2, where: "ferry.yaml:3:"},
		{name: "yaml negative soak", files: withYAML("environments:\n  staging:\n    soak: -5m\n"), args: "render staging", code: 2, where: "ferry.yaml:3: environment \"staging\": soak -5m0s is negative"},
		{name: "yaml smoke with neither", files: withYAML("environments:\n  staging:\n    smoke:\n      - name: nothing\n"), args: "render staging", code: 2, where: "ferry.yaml:2:"},
		{name: "yaml smoke with both", files: withYAML("environments:\n  staging:\n    smoke:\n      - http: GET /\n        run: true\n"), args: "render staging", code: 2, where: "ferry.yaml:2:"},
		{name: "yaml env name with ../", files: withYAML("environments:\n  staging: {}\n  ../../tmp/x:\n    soak: 1m\n"), args: "render staging", code: 2, where: `ferry.yaml:3: environment name "../../tmp/x"`},
		{name: "yaml env name upper-case", files: withYAML("environments:\n  Prod: {}\n"), args: "render staging", code: 2, where: `ferry.yaml:2: environment name "Prod"`},
		{name: "yaml path with ../", files: withYAML("path:\n  - staging\n  - ../prod\n"), args: "render staging", code: 2, where: `ferry.yaml:3: path: environment name "../prod"`},
		{name: "yaml path names an unknown env", files: withYAML("path:\n  - staging\n  - prdo\n"), args: "render staging", code: 2, where: `ferry.yaml:3: path names "prdo"`},
		{name: "yaml path names an env twice", files: withYAML("path: [staging, prod, staging]\n"), args: "render staging", code: 2, where: `"staging" twice`},
		{name: "yaml chart outside", files: withYAML("chart: ../other-chart\n"), args: "render staging", code: 2, where: "ferry.yaml:1: chart: ../other-chart is outside"},
		{name: "yaml main outside", files: withYAML("main: /usr/src/app\n"), args: "render staging", code: 2, where: "ferry.yaml:1: main: /usr/src/app is outside"},
		{name: "yaml values outside", files: withYAML("environments:\n  staging:\n    values:\n      - chart/values.yaml\n      - ../../etc/values.yaml\n"), args: "render staging", code: 2, where: "ferry.yaml:5:"},
		{name: "yaml values absolute", files: withYAML("environments:\n  staging:\n    values: [/etc/hostname]\n"), args: "render staging", code: 2, where: "ferry.yaml:3:"},
		{name: "yaml values a directory", files: withYAML("environments:\n  staging:\n    values: [chart/templates]\n"), args: "render staging", code: 2, where: "ferry.yaml:3: environment \"staging\": values file chart/templates: is a directory"},
		{name: "yaml values a FIFO", files: withYAML("environments:\n  staging:\n    values: [pipe.yaml]\n"), setup: fifo("pipe.yaml"), args: "render staging", code: 2, where: "ferry.yaml:3: environment \"staging\": values file pipe.yaml: is not a regular file"},
		{name: "yaml values missing", files: withYAML("environments:\n  staging:\n    values: [values-stagign.yaml]\n"), args: "render staging", code: 2, where: "values-stagign.yaml"},
		{name: "yaml secretsFile a directory", files: withYAML("environments:\n  staging:\n    secretsFile: /etc\n"), args: "render staging", code: 2, where: "ferry.yaml:3: environment \"staging\": secretsFile /etc: is a directory"},
		{name: "yaml secretsFile a FIFO", files: withYAML("environments:\n  staging:\n    secretsFile: secrets.env\n"), setup: fifo("secrets.env"), args: "render staging", code: 2, where: "ferry.yaml:3:"},
		{name: "yaml not a mapping", files: withYAML("- staging\n- prod\n"), args: "render staging", code: 2, where: "ferry.yaml:1:"},
		{name: "yaml environments a list", files: withYAML("service: shop-api\nenvironments: [staging, prod]\n"), args: "render staging", code: 2, where: "ferry.yaml:2:"},
		{name: "yaml tab indentation", files: withYAML("environments:\n\tstaging: {}\n"), args: "render staging", code: 2, where: "ferry.yaml:2:"},
		{name: "yaml env value with a secret, then an error", files: withYAML("environments:\n  staging:\n    env:\n      API_TOKEN: " + canary + "\n    bogus: 1\n"), args: "render staging", code: 2, where: `ferry.yaml:5: environment "staging": unknown field "bogus" for target local`},

		// Values files.
		{name: "values syntax error after a secret", files: stagingValues("secret:\n  DB_PASSWORD: " + canary + "\nconfig: [unclosed\n"), args: "render staging", code: 2, where: "values-staging.yaml:"},
		{name: "values bad indentation", files: stagingValues("config:\n  DB_HOST: a\n   LOG_LEVEL: b\n"), args: "render staging", code: 2, where: "values-staging.yaml:3:"},
		{name: "values unclosed flow list", files: stagingValues("config:\n  DB_HOST: a\n  HOSTS: [a, b\n  LOG_LEVEL: b\nsecret:\n  DB_PASSWORD: " + canary + "\n"), args: "render staging", code: 2, where: "values-staging.yaml:3:"},
		{name: "values file a directory", setup: replaceWithDir("values-staging.yaml"), args: "render staging", code: 2, where: "values-staging.yaml: is a directory"},
		{name: "values file a directory under values/", files: map[string]string{"values-staging.yaml": "-"}, setup: mkdir("values/staging.yaml/inner"), args: "render staging", code: 2, where: "values/staging.yaml: is a directory"},
		{name: "chart values syntax error", files: map[string]string{"chart/values.yaml": "image:\n  repository: registry.example.com/shop-api\n   tag: 1.4.2\nconfig:\n  APP_NAME: shop-api\n"}, args: "render staging", code: 2, where: "chart/values.yaml:3: mapping values are not allowed"},
		{name: "chart values a FIFO", setup: replaceWithFIFO("chart/values.yaml"), args: "render staging", code: 2, where: "chart/values.yaml: is not a regular file"},
		{name: "chart values a directory", setup: replaceWithDir("chart/values.yaml"), args: "render staging", code: 2, where: "chart/values.yaml: is a directory"},
		{name: "chart values unclosed quote", files: map[string]string{"chart/values.yaml": "image:\n  repository: registry.example.com/shop-api\n  tag: \"1.4.2\nconfig:\n  APP_NAME: shop-api\n"}, args: "render staging", code: 2, where: "chart/values.yaml:3: found unexpected end of stream"},
		{name: "values with 30k keys and a required value unset", files: tmpl("kind: ConfigMap\nx: {{ required \"db.host is required\" .Values.dbHost }}\n"), setup: long("values-staging.yaml", "secret:\n  DB_PASSWORD: "+canary+"\n", "key%d: v\n", 30000), args: "render staging", code: 2, where: "chart/templates/extra.yaml:2: db.host is required"},
		{name: "values with 30k nested keys and a required value unset", files: tmpl("kind: ConfigMap\nx: {{ required \"db.host is required\" .Values.dbHost }}\n"), setup: long("values-staging.yaml", "config:\n", "  KEY_%d: v\n", 30000), args: "render staging", code: 2, where: "chart/templates/extra.yaml:2: db.host is required"},
		{name: "values a list", files: stagingValues("- a\n- b\n"), args: "render staging", code: 2, where: "values-staging.yaml"},
		{name: "values over 10 MiB", setup: big("values-staging.yaml", "k%d: v\n"), args: "render staging", code: 2, where: "10 MiB"},
		{name: "values file a FIFO", setup: replaceWithFIFO("values-staging.yaml"), args: "render staging", code: 2, where: "values-staging.yaml: is not a regular file"},

		// configs/.env.
		{name: "env unterminated quote after a secret", files: envFile("APP_NAME=shop-api\nDB_PASSWORD=" + canary + "\nGREETING=\"hello\n"), args: "render staging", code: 2, where: "configs/.env:3: unterminated quoted value"},
		{name: "env line without =", files: envFile("APP_NAME=shop-api\noops line\nDB_PASSWORD=" + canary + "\n"), args: "render staging", code: 2, where: "configs/.env:2:"},
		{name: "env bad key", files: envFile("DB_PASSWORD=" + canary + "\nBAD-KEY=1\n"), args: "render staging", code: 2, where: "configs/.env:2: unexpected character in variable name"},
		{name: "env overlay bad", files: map[string]string{"values-staging.yaml": "config:\n  APP_ENV: staging\n", "configs/.staging.env": "LOG_LEVEL=DEBUG\nAPI_KEY='" + canary + "\n"}, args: "render staging", code: 2, where: "configs/.staging.env:2: unterminated quoted value"},
		{name: "env a FIFO", setup: replaceWithFIFO("configs/.env"), args: "render staging", code: 2, where: "configs/.env"},
		{name: "env a directory", setup: replaceWithDir("configs/.env"), args: "render staging", code: 2, where: "configs/.env"},
		{name: "env over 10 MiB", setup: big("configs/.env", "K%d=v\n"), args: "render staging", code: 2, where: "10 MiB"},
		{name: "env unterminated quote in 20k lines", setup: long("configs/.env", "A=\"open\n", "K%d=v\n", 20000), args: "render staging", code: 2, where: "configs/.env:1:"},

		// Chart.
		{name: "Chart.yaml syntax error", files: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: [shop-api\n"}, args: "render staging", code: 2, where: "Chart.yaml"},
		{name: "template parse error", files: tmpl("kind: ConfigMap\n{{ if .Values.x }\n"), args: "render staging", code: 2, where: "extra.yaml:2"},
		{name: "template fail", files: tmpl("{{ fail \"set image.tag\" }}\n"), args: "render staging", code: 2, where: "extra.yaml:1"},
		{name: "template required", files: tmpl("kind: ConfigMap\nx: {{ required \"db.host is required\" .Values.db.host }}\n"), args: "render staging", code: 2, where: "extra.yaml:2"},
		{name: "template nil pointer", files: tmpl("kind: ConfigMap\nx: {{ .Values.nope.deeper.still }}\n"), args: "render staging", code: 2, where: "extra.yaml:2"},
		{name: "template renders bad YAML", files: tmpl("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n"), args: "render staging", code: 2, where: "extra.yaml"},
		{name: "unvendored dependency", files: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: shop-api\nversion: 0.3.1\ndependencies:\n  - name: redis\n    version: 18.0.0\n    repository: oci://charts.example.com/bitnami\n"}, args: "render staging", code: 2, where: "redis"},

		{name: "Chart.yaml apiVersion v9", files: map[string]string{"chart/Chart.yaml": "name: shop-api\napiVersion: v9\nversion: 0.3.1\n"}, args: "render staging", code: 2, where: `chart/Chart.yaml:2: apiVersion "v9" is not supported (supported: v1, v2)`},
		{name: "Chart.yaml syntax error at its line", files: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: shop-api\n  version: 0.3.1\n"}, args: "render staging", code: 2, where: "chart/Chart.yaml:3:"},
		{name: "template required in an include", files: map[string]string{"chart/templates/_db.tpl": "{{- define \"shop.db\" -}}\nhost: {{ .Values.db | default dict | dig \"host\" \"\" }}\nport: {{ required \"db.port is required\" .Values.dbPort }}\n{{- end }}\n", "chart/templates/extra.yaml": "kind: ConfigMap\ndata:\n  {{- include \"shop.db\" . | nindent 2 }}\n"}, args: "render staging", code: 2, where: "chart/templates/_db.tpl:3: db.port is required (included from chart/templates/extra.yaml:3)"},
		{name: "template fail in a nested include", files: map[string]string{"chart/templates/_db.tpl": "{{- define \"shop.db\" -}}\n{{ include \"shop.check\" . }}\n{{- end }}\n{{- define \"shop.check\" -}}\n\n{{ fail \"db is not configured\" }}\n{{- end }}\n", "chart/templates/extra.yaml": "kind: ConfigMap\nx: {{ include \"shop.db\" . }}\n"}, args: "render staging", code: 2, where: "chart/templates/_db.tpl:6: db is not configured"},
		{name: "template infinite include", files: map[string]string{"chart/templates/_loop.tpl": "{{- define \"shop.loop\" -}}\nx: {{ include \"shop.loop\" . }}\n{{- end }}\n", "chart/templates/extra.yaml": "kind: ConfigMap\ndata:\n  x: {{ include \"shop.loop\" . }}\n"}, args: "render staging", code: 2, where: "chart/templates/_loop.tpl:2: rendering template has a nested reference name: shop.loop"},
		{name: "chart without a name", files: map[string]string{"chart/Chart.yaml": "apiVersion: v2\nversion: 0.3.1\n"}, args: "render staging", code: 2, where: "Chart.yaml"},

		// check and diff on bad input.
		{name: "check with a bad env file", files: envFile("DB_PASSWORD=" + canary + "\nX=\"open\n"), args: "check", code: 2, where: "configs/.env:2"},
		{name: "diff with a bad values file", files: map[string]string{"values-prod.yaml": "secret:\n  DB_PASSWORD: " + canary + "\n  : bad\n"}, args: "diff staging prod", code: 2, where: "values-prod.yaml"},
		{name: "check -o json with bad yaml", files: withYAML("environments:\n  staging:\n    soak: -1s\n"), args: "check -o json", code: 2, where: "ferry.yaml:3"},
	}
}

func TestBadInput(t *testing.T) {
	cases := badInputCases()
	if len(cases) < 60 {
		t.Fatalf("%d cases, want at least 60", len(cases))
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			files := shopAPI()
			for k, v := range tt.files {
				if v == "-" {
					delete(files, k)
					continue
				}
				files[k] = v
			}
			dir := testtree.Write(t, files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			args := tt.args
			if !strings.HasPrefix(args, "-C ") {
				args = "-C " + dir + " " + args
			} else {
				args = "-C " + filepath.Join(dir, strings.Fields(args)[1]) + " " + strings.Join(strings.Fields(args)[2:], " ")
			}

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			out, errOut, code := run(t, args)
			took := time.Since(start)
			runtime.ReadMemStats(&after)

			if code != tt.code {
				t.Errorf("ferry %s: exit %d, want %d\nstderr: %s", tt.args, code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.where) {
				t.Errorf("ferry %s: stderr %q lacks %q", tt.args, errOut, tt.where)
			}
			if strings.Contains(out+errOut, canary) {
				t.Errorf("ferry %s printed the planted secret:\n%s%s", tt.args, out, errOut)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n") + 1; n > maxMessageLines+1 {
				t.Errorf("ferry %s: %d lines on stderr, want at most %d", tt.args, n, maxMessageLines+1)
			}
			if len(errOut) > 1000 {
				t.Errorf("ferry %s: %d bytes on stderr, want a short message", tt.args, len(errOut))
			}
			// A guard against hanging on bad input, not a performance
			// target (render/bench_test.go and bench/ measure those): on
			// a 2-core machine shared with a compiling test suite, a
			// 30k-key render takes up to 5 s.
			if took > 20*time.Second {
				t.Errorf("ferry %s took %v, want at most 20s", tt.args, took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
				t.Errorf("ferry %s allocated %d MiB, want at most 200", tt.args, alloc>>20)
			}
		})
	}
}

func fifo(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdir(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func replaceWithFIFO(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		fifo(name)(t, dir)
	}
}

func replaceWithDir(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(p, "inner"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// big writes name as lines of format until it passes 11 MiB.
func big(name, format string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		var b strings.Builder
		for i := 0; b.Len() <= 11<<20; i++ {
			fmt.Fprintf(&b, format, i)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// long writes name as head followed by n lines of format.
func long(name, head, format string, n int) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		var b strings.Builder
		b.WriteString(head)
		for i := range n {
			fmt.Fprintf(&b, format, i)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
