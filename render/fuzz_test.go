package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// FuzzValues renders a real chart over an arbitrary values file for one
// environment: the values walk that records provenance and Helm's own
// parse both see the input. Rendering must not panic nor take more than
// 5 s; a refusal is one line naming the file; every source line it reports
// lies inside the file it names.
func FuzzValues(f *testing.F) {
	for _, seed := range []string{
		"config:\n  DB_HOST: staging-db\n  LOG_LEVEL: DEBUG\n",
		"config:\n  DB_HOST: a\n  DB_HOST: b\n",
		"config: [1, 2]\n", "config:\n  nested:\n    deep: {a: [1, {b: c}]}\n",
		"a: &x {b: 1}\nconfig: *x\n", "config:\n  K: |\n    multi\n    line\n", "\xef\xbb\xbfconfig: {A: 1}\n",
		"config:\n  DB_PASSWORD: hunter2\n", "config: null\n", "- just\n- a list\n", "config:\n\tTAB: 1\n", "{",
		"config:\n  " + strings.Repeat("K: v\n  ", 50),
	} {
		f.Add(seed)
	}
	dir := testtree.Write(f, map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
		"chart/values.yaml": "image: {repository: svc, tag: 1.0.0}\nconfig:\n  APP_NAME: svc\n",
		"chart/templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: svc}
data:
  {{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | toString | quote }}
  {{- end }}
`,
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: svc}
spec:
  template:
    spec:
      containers:
        - name: svc
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          envFrom:
            - configMapRef: {name: svc}
`,
		"values-staging.yaml": "",
	})
	valuesPath := filepath.Join(dir, "values-staging.yaml")
	f.Fuzz(func(t *testing.T, values string) {
		if err := os.WriteFile(valuesPath, []byte(values), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := project.Load(dir)
		if err != nil {
			t.Skip("not a project:", err) // project's own fuzz target covers ferry.yaml
		}
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("Render took over 5s on %q", values)) })
		res, err := Render(context.Background(), p, "staging")
		watchdog.Stop()
		if err != nil {
			msg := err.Error()
			if strings.Count(msg, "\n") > 5 || strings.Contains(msg, "goroutine ") {
				t.Errorf("Render error is not a short message: %q", msg)
			}
			return
		}
		lines := map[string]int{
			"values-staging.yaml": strings.Count(values, "\n") + 1,
			"chart/values.yaml":   3,
		}
		for _, e := range res.Config.Entries {
			if n, ok := lines[e.Source.File]; ok && e.Source.Line > n {
				t.Errorf("%s: source %s:%d is past the end of the file (%d lines)", e.Key, e.Source.File, e.Source.Line, n)
			}
		}
	})
}
