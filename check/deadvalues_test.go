package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrydev/ferry/render"
)

func unread(e *Env, path string, src render.Source) *Env {
	e.Result.Unread = append(e.Result.Unread, render.Unread{Path: path, Source: src})
	return e
}

func TestUnreadValuesKey(t *testing.T) {
	prod := render.Source{Kind: render.KindValues, File: "values-prod.yaml", Line: 4}
	base := render.Source{Kind: render.KindValues, File: "chart/values.yaml", Line: 9}
	ci := render.Source{Kind: render.KindCI, File: ".github/workflows/deploy.yml", Line: 30, Detail: "--set sso.issuerUrl"}
	in := func(envs ...*Env) *Input {
		i := inputOf(envs...)
		i.Project.Chart, i.Project.Dir = "chart", t.TempDir()
		return i
	}
	testRule(t, "FERRY085", []ruleCase{
		{
			name: "prod's own file sets a key no template reads",
			in:   in(envOf("staging"), unread(envOf("prod"), "sso.issuerUrl", prod)),
			want: []string{"warning prod sso.issuerUrl"},
		},
		{
			name: "the CI's --set sets one",
			in:   in(unread(envOf("staging"), "sso.issuerUrl", ci), unread(envOf("prod"), "sso.issuerUrl", ci)),
			want: []string{"warning prod,staging sso.issuerUrl"},
		},
		{
			name: "each environment's file sets it: one finding",
			in: in(unread(envOf("dev"), "autoscaling.maxReplicas", render.Source{Kind: render.KindValues, File: "values-dev.yaml", Line: 30}),
				unread(envOf("prod"), "autoscaling.maxReplicas", render.Source{Kind: render.KindValues, File: "values-prod.yaml", Line: 33})),
			want: []string{"warning dev,prod autoscaling.maxReplicas"},
		},
		{
			// Issue 17 asks for dead keys "base or not" (eval9: open-vsx's
			// clamav.resources): once for the chart, naming every
			// environment.
			name: "the chart's own default nobody reads",
			in:   in(unread(envOf("staging"), "nameOverride", base), unread(envOf("prod"), "nameOverride", base)),
			want: []string{"warning prod,staging nameOverride"},
		},
	})
}

func TestUnprovidedReference(t *testing.T) {
	ref := func(e *Env, optional bool) *Env {
		e.Result.Unprovided = append(e.Result.Unprovided, render.Reference{Kind: "Secret", Name: "sso-client", Key: "secret",
			Namespace: e.Name, Workload: "Deployment/api", Template: "chart/templates/deployment.yaml", Optional: optional})
		return e
	}
	testRule(t, "FERRY086", []ruleCase{
		{
			name: "a Secret nothing provides",
			in:   inputOf(ref(envOf("staging"), false), ref(envOf("prod"), false)),
			want: []string{"info prod,staging Secret/sso-client/secret"},
		},
		{
			name: "near miss: optional",
			in:   inputOf(ref(envOf("staging"), true), ref(envOf("prod"), true)),
		},
	})
}

func TestReferenceLine(t *testing.T) {
	dir := t.TempDir()
	tmpl := `spec:
  containers:
    - name: api
      env:
        - name: SSO_SECRET
          valueFrom:
            secretKeyRef:
              name: sso-client
              key: secret
      envFrom:
        - secretRef:
            name: {{ .Release.Name }}
  volumes:
    - name: certs
      secret:
        secretName: api-certs
`
	if err := os.WriteFile(filepath.Join(dir, "deployment.yaml"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		want int
	}{
		{"sso-client", 8},
		{"api-certs", 16},
		// the Secret's name is computed; the container named api is not it.
		{"api", 0},
	} {
		if got := referenceLine(newTree(dir), dir, render.Reference{Kind: "Secret", Name: tt.name, Template: "deployment.yaml"}); got != tt.want {
			t.Errorf("referenceLine(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestUnprovidedReferenceSecretsFile(t *testing.T) {
	e := envOf("staging")
	setting(e.Spec, "secretsFile", "~/.config/ferry/api/staging.env")
	e.Result.Unprovided = []render.Reference{{Kind: "Secret", Name: "db", Key: "password", Namespace: "staging", Workload: "Deployment/api", Template: "t.yaml"}}
	if f := findings(t, "FERRY086", inputOf(e)); len(f) != 0 {
		t.Errorf("a local environment with a secretsFile gets its Secrets from ferry, got %+v", f)
	}
	e.Spec.Target = "kube"
	if f := findings(t, "FERRY086", inputOf(e)); len(f) != 1 {
		t.Errorf("on a cluster the secretsFile does not make the Secret: want 1 finding, got %+v", f)
	}
}
