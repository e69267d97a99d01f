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
