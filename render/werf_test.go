package render

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestWerfChart renders a werf project's .helm chart, which has no
// Chart.yaml and calls werf's template functions, as werf would: the
// chart named after werf.yaml's project, the environment and namespace
// in .Values.werf and .Values.global, the image werf builds standing in
// for werf_container_image. The fixture is project's CI fixture, where
// the deploy commands are werf converge.
func TestWerfChart(t *testing.T) {
	p, err := project.Load("../project/testdata/ci/quotes-go-werf")
	if err != nil {
		t.Fatal(err)
	}
	res, err := New(p).Render(context.Background(), "production")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Image, "werf-built/app@sha256:") {
		t.Errorf("image %q, want werf's stand-in for the app image it builds", res.Image)
	}
	for key, want := range map[string]string{"APP_ENV": "production", "UPSTREAM": "https://rates.example.org", "DOCKER_IMAGE_ID": res.Image} {
		if got, _ := res.Config.Value(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if res.Namespace != "quotes-production" {
		t.Errorf("namespace %q, want the one werf converge names", res.Namespace)
	}
	var found bool
	for _, o := range res.Objects {
		if o.Kind == "Deployment" {
			found = o.Name == "quotes" && o.Namespace == "quotes-production"
		}
	}
	if !found {
		t.Errorf("no Deployment quotes in quotes-production: %+v", res.Objects)
	}
}

// TestWerfSecretFile: werf_secret_file, whose content werf decrypts from
// .helm/secret/ as it deploys, renders as a stand-in naming the file (a
// pull secret and a mounted key), so that the rest of the chart renders;
// the committed ciphertext is never what the Secret is said to hold.
func TestWerfSecretFile(t *testing.T) {
	p, err := project.Load("../check/testdata/charts/fastapi-werf-secret-file")
	if err != nil {
		t.Fatal(err)
	}
	res, err := New(p).Render(t.Context(), "production")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]SecretValue{}
	for _, sv := range res.SecretValues {
		got[sv.Secret+"/"+sv.Key] = sv
	}
	for _, tc := range []struct{ key, want string }{
		{"invoices-pull/.dockerconfigjson", "werf-secret-file/dockerconfig"},
		{"invoices-signing/signing.pem", "werf-secret-file/signing.pem"},
	} {
		sv, ok := got[tc.key]
		if !ok || sv.Value != tc.want {
			t.Errorf("%s = %+v, want %q", tc.key, sv, tc.want)
		}
		if sv.Source.Kind == KindValues {
			t.Errorf("%s is said to come from a values file: %s", tc.key, sv.Source)
		}
	}
}
