package render

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// A value the chart requires and no file sets renders with a stand-in
// whose source says where it is required; the configuration shows it as
// set outside the repository, never the stand-in itself.
func TestRenderOutside(t *testing.T) {
	dir := testtree.Write(t, map[string]string{
		"chart/Chart.yaml":       "apiVersion: v2\nname: desk\nversion: 0.1.0\n",
		"chart/values.yaml":      "app:\n  smtpHost: \"\"\n",
		"chart/values-prod.yaml": "replicas: 2\n",
		"chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: desk\nspec:\n" +
			"  selector: {matchLabels: {app: desk}}\n  template:\n    metadata: {labels: {app: desk}}\n" +
			"    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/desk:1.0.0\n          env:\n" +
			"            - name: SMTP_HOST\n              value: {{ .Values.app.smtpHost | required \"from Vault\" | quote }}\n",
	})
	p, err := project.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := New(p)
	if _, err := r.Render(t.Context(), "prod"); err == nil || !strings.Contains(err.Error(), "from Vault") {
		t.Fatalf("Render = %v, want the required value's error", err)
	}
	res, err := r.RenderOutside(t.Context(), "prod", 2, []Outside{{Path: "app.smtpHost", File: "chart/templates/deploy.yaml", Line: 15}})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := res.Config.Get("SMTP_HOST")
	if !ok || !e.External || e.Display() != "(set outside the repository)" {
		t.Errorf("SMTP_HOST = %+v (shown %q), want external, set outside the repository", e, e.Display())
	}
	if got, want := e.Source.String(), "external set outside the repository (required at chart/templates/deploy.yaml:15)"; got != want {
		t.Errorf("source = %q, want %q", got, want)
	}
	if _, err := r.RenderOutside(t.Context(), "prod", 2, []Outside{{Path: "app..key"}}); err == nil {
		t.Error("a path --set cannot parse rendered")
	}
}
