package check

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/render"
)

func withImage(e *Env, image string) *Env {
	e.Result.Image = image
	e.Result.ValueSources["image.repository"] = render.Source{Kind: render.KindValues, File: "chart/values.yaml", Line: 6}
	e.Result.ValueSources["image.tag"] = render.Source{Kind: render.KindValues, File: "values-" + e.Name + ".yaml", Line: 2}
	return e
}

func TestImageRef(t *testing.T) {
	for _, tt := range []struct{ ref, repo, tag, digest string }{
		{"orders-api", "orders-api", "", ""},
		{"orders-api:1.0", "orders-api", "1.0", ""},
		{"reg:5000/team/orders-api", "reg:5000/team/orders-api", "", ""},
		{"reg:5000/orders-api:1.0@sha256:abc", "reg:5000/orders-api", "1.0", "sha256:abc"},
		// What CI fills in is the tag, whatever ':' and '/' it holds.
		{"eu.gcr.io/p/api:$(shell git rev-parse --verify origin/dev)", "eu.gcr.io/p/api", "$(shell git rev-parse --verify origin/dev)", ""},
		{"ghcr.io/acme/app:${{ github.ref_name }}", "ghcr.io/acme/app", "${{ github.ref_name }}", ""},
		{"${REGISTRY}/app:${TAG:-dev/latest}", "${REGISTRY}/app", "${TAG:-dev/latest}", ""},
	} {
		repo, tag, digest := imageRef(tt.ref)
		if repo != tt.repo || tag != tt.tag || digest != tt.digest {
			t.Errorf("imageRef(%q) = %q, %q, %q, want %q, %q, %q", tt.ref, repo, tag, digest, tt.repo, tt.tag, tt.digest)
		}
	}
}

func TestCIDefault(t *testing.T) {
	for _, tt := range []struct{ tag, want string }{
		{"${tag:-latest}", "latest"},
		{"${TAG-1.4.2}", "1.4.2"},
		{"${TAG}", ""},
		{"${{ github.sha }}", ""},
		{"$(shell git rev-parse HEAD)", ""},
		{"1.4.2", ""},
	} {
		if got, _ := ciDefault(tt.tag); got != tt.want {
			t.Errorf("ciDefault(%q) = %q, want %q", tt.tag, got, tt.want)
		}
	}
}

func TestOneImage(t *testing.T) {
	testRule(t, "FERRY001", []ruleCase{
		{
			name: "another repository in prod",
			in:   inputOf(withImage(envOf("staging"), "reg/orders-api:1.2"), withImage(envOf("prod"), "reg/orders-api-hotfix:1.2")),
			want: []string{"error prod,staging image.repository"},
		},
		{
			name: "near miss: same repository, other tags and a digest",
			in:   inputOf(withImage(envOf("staging"), "reg/orders-api:1.3"), withImage(envOf("prod"), "reg/orders-api:1.2@sha256:abc")),
		},
		{
			name: "near miss: a local environment runs the developer's own build",
			in:   inputOf(withImage(envOf("local"), "localhost:5000/orders-api:dev"), withImage(envOf("dev"), "orders-api:local"), withImage(envOf("prod"), "ghcr.io/acme/orders-api:1.0")),
		},
	})
}

func TestMutableImage(t *testing.T) {
	testRule(t, "FERRY002", []ruleCase{
		{
			name: "latest and no tag",
			in:   inputOf(withImage(envOf("staging"), "orders-api:latest"), withImage(envOf("prod"), "orders-api")),
			want: []string{"error staging image.tag", "error prod image.tag"},
		},
		{
			name: "a CI variable that falls back to latest",
			in:   inputOf(withImage(envOf("staging"), "orders-api:${TAG:-latest}"), withImage(envOf("prod"), "orders-api:${TAG:-1.4.2}")),
			want: []string{"error staging image.tag", "info prod image.tag"},
		},
		{
			name: "last environment pinned by a version tag: advice only",
			in:   inputOf(withImage(envOf("staging"), "orders-api:1.2"), withImage(envOf("prod"), "orders-api:1.2")),
			want: []string{"info prod image.tag"},
		},
		{
			name: "a commit or CI-substituted tag in the last environment: advice only",
			in:   inputOf(withImage(envOf("staging"), "orders-api:sha-28b16cb"), withImage(envOf("prod"), "orders-api:$CI_COMMIT_SHA-prod")),
			want: []string{"info prod image.tag"},
		},
		{
			name: "branch and environment names move",
			in:   inputOf(withImage(envOf("staging"), "orders-api:master"), withImage(envOf("prod"), "orders-api:prod")),
			want: []string{"error staging image.tag", "error prod image.tag"},
		},
		{
			name: "near miss: a name tag the deploy script sets for the image it builds",
			in: inputOf(func() *Env {
				e := withImage(envOf("dev"), "kairos-node:local")
				e.SetByCI = map[string]string{"image.tag": "deploy-dev.sh:20"}
				return e
			}(), withImage(envOf("prod"), "kairos-node@sha256:abc")),
		},
		{
			name: "near miss: a developer's build in a loopback registry",
			in:   inputOf(withImage(envOf("local"), "localhost:5000/kong/python:dev-build"), withImage(envOf("prod"), "kong/python@sha256:abc")),
		},
		{
			name: "a name that is no version, before the last environment",
			in:   inputOf(withImage(envOf("staging"), "orders-api:clean-up-repo"), withImage(envOf("prod"), "orders-api:2.0.1")),
			want: []string{"warning staging image.tag", "info prod image.tag"},
		},
		{
			name: "near miss: tag before the last environment, digest in it",
			in:   inputOf(withImage(envOf("staging"), "orders-api:1.2"), withImage(envOf("prod"), "orders-api@sha256:abc")),
		},
	})
}

// TestImageLocOwnTag: an image finding cites the tag line of that image,
// and "unknown" where render could not tell — never the service's
// image.tag for a subchart's image.
func TestImageLocOwnTag(t *testing.T) {
	pg := func(c render.Container) *Env {
		e := withImage(envOf("prod"), "docker.io/bitnami/postgresql:15.3.0")
		e.Result.Values = map[string]any{"image": map[string]any{"tag": "4.12.1"}}
		c.Name, c.Image, c.Template = "postgresql", e.Result.Image, "chart/charts/postgresql/templates/statefulset.yaml"
		return withWorkload(e, render.Workload{Kind: "StatefulSet", Containers: []render.Container{c}})
	}
	own := render.Source{Kind: render.KindValues, File: "chart/charts/postgresql/values.yaml", Line: 188}
	for _, tt := range []struct {
		name string
		e    *Env
		want string
	}{
		{"render traced its own tag", pg(render.Container{ImageTag: own}), "chart/charts/postgresql/values.yaml:188"},
		{"render could not tell", pg(render.Container{ImageTag: render.Source{Kind: render.KindUnknown}}), ":0"},
		{"untraced, image.tag holds another value", pg(render.Container{}), ":0"},
		{"traced, image.tag holds another value", pg(render.Container{ImageTraced: true, ImageFrom: []string{"image.tag"}, ImageTag: render.Source{Kind: render.KindUnknown}}), ":0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := imageLoc(tt.e, "tag", "15.3.0")
			if got := l.File + ":" + itoa(l.Line); got != tt.want {
				t.Errorf("imageLoc = %s (%s), want %s", got, l.Source, tt.want)
			}
		})
	}
}

func TestForeignImage(t *testing.T) {
	base := func(e *Env) *Env {
		e.Result.ValueSources["image.repository"] = render.Source{Kind: render.KindValues, File: "charts/values.yaml", Line: 4}
		return e
	}
	testRule(t, "FERRY019", []ruleCase{
		{
			name: "stage and prod pull the repository built for dev",
			in: inputOf(base(withImage(envOf("dev"), "123.dkr.ecr.eu-west-1.amazonaws.com/connect-order-dev:42")),
				base(withImage(envOf("stage"), "123.dkr.ecr.eu-west-1.amazonaws.com/connect-order-dev:42")),
				base(withImage(envOf("prod"), "123.dkr.ecr.eu-west-1.amazonaws.com/connect-order-dev:42"))),
			want: []string{"error prod,stage image.repository"},
		},
		{
			name: "near miss: each environment its own repository, and devops is no environment",
			in: inputOf(withImage(envOf("dev"), "acr.io/acme/dev/ingestion:1"), withImage(envOf("test"), "acr.io/acme/test/ingestion:1"),
				withImage(envOf("prod"), "acr.io/devops/prod/ingestion:1")),
		},
	})
}

func TestFoldTagLines(t *testing.T) {
	tagged := func(env, wl, img, file string, line int) Finding {
		src := fmt.Sprintf("%s:%d", file, line)
		return Finding{Rule: "FERRY002", Severity: Error, Environments: []string{env}, Key: "image.tag", File: file, Line: line, Workload: wl,
			Locations: []Location{{Environment: env, Key: "version", Value: "latest", Source: src, File: file, Line: line}},
			Message:   fmt.Sprintf("%s: image %s is tagged latest (set at %s): set an immutable version tag or a digest.", env, img, src)}
	}
	fs := []Finding{
		tagged("staging", "Deployment/api", "ghcr.io/acme/api:latest", "chart/values.yaml", 2),
		tagged("staging", "Deployment/editor", "ghcr.io/acme/editor:latest", "chart/values.yaml", 2),
		tagged("prod", "Deployment/api", "ghcr.io/acme/api:latest", "chart/values.yaml", 2),
		tagged("prod", "Deployment/editor", "ghcr.io/acme/editor:latest", "chart/values.yaml", 2),
		// Near miss: another line is another thing to fix.
		tagged("prod", "Deployment/worker", "ghcr.io/acme/worker:latest", "chart/values-prod.yaml", 4),
	}
	got := mergeShared(foldTagLines(fs))
	if len(got) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(got), got)
	}
	f := got[0]
	want := "prod and staging: images ghcr.io/acme/api:latest, ghcr.io/acme/editor:latest are tagged latest (set at chart/values.yaml:2): set an immutable version tag or a digest."
	if f.Message != want || f.Workload != "Deployment/api, Deployment/editor" || len(f.Locations) != 1 {
		t.Errorf("folded finding:\n%s (%s, %d locations)\nwant\n%s", f.Message, f.Workload, len(f.Locations), want)
	}
	if got[1].Line != 4 || !strings.HasPrefix(got[1].Message, "prod: image ghcr.io/acme/worker:latest is tagged") {
		t.Errorf("the other line's finding changed: %+v", got[1])
	}
}

// TestFlowMappingTagKey: image: {repository: x, tag: 3.4.1} sets both on
// one line; the tag's location is keyed image.tag, not image.repository.
func TestFlowMappingTagKey(t *testing.T) {
	for _, r := range checkCorpus(t, filepath.Join(corpusDir, "spring-flow-image-autoscaling")) {
		for _, f := range r.Findings {
			if f.Rule != "FERRY002" {
				continue
			}
			if l := f.Locations[0]; l.Key != "image.tag" || l.Value != "3.4.1" || l.Line != 2 {
				t.Errorf("FERRY002 location %s=%s at line %d, want image.tag=3.4.1 at line 2", l.Key, l.Value, l.Line)
			}
			return
		}
	}
	t.Error("no FERRY002 finding")
}
