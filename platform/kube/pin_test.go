package kube

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const testDigest = "sha256:4c1e04ab1a0f5ad8e2a6c4bd92b04bbdb6a7bd5b5e2b8bc2d0e3bd53c2f0a1d7"

func TestPinner(t *testing.T) {
	tests := []struct {
		name     string
		repo     string
		manifest string
		// wantImages are substrings the output must hold; wantPinned the
		// containers pinned; wantErr a substring of the refusal.
		wantImages []string
		wantPinned []string
		wantErr    string
	}{
		{
			name: "deployment with a sidecar: only the service's container",
			repo: "registry.example.test/shop/orders-api",
			manifest: `---
# Source: orders-api/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
  annotations:
    postrenderer.helm.sh/postrender-filename: orders-api/templates/deployment.yaml
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.example.test/shop/orders-api:1.4.2
          args: [migrate]
      containers:
        - name: envoy
          image: envoyproxy/envoy:v1.33.0
        - name: orders-api
          image: "registry.example.test/shop/orders-api:1.4.2"
---
apiVersion: v1
kind: Service
metadata:
  name: orders-api
spec:
  ports: [{port: 80}]
`,
			wantImages: []string{"image: registry.example.test/shop/orders-api@" + testDigest, "envoyproxy/envoy:v1.33.0", "kind: Service", "postrenderer.helm.sh/postrender-filename: orders-api/templates/deployment.yaml"},
			wantPinned: []string{"Deployment/orders-api container migrate", "Deployment/orders-api container orders-api"},
		},
		{
			name: "short name matches its normalised form; a digest the template wrote is replaced",
			repo: "orders-api",
			manifest: `apiVersion: batch/v1
kind: CronJob
metadata: {name: orders-report}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: docker.io/library/orders-api@sha256:0000000000000000000000000000000000000000000000000000000000000000
`,
			wantImages: []string{"image: orders-api@" + testDigest},
			wantPinned: []string{"CronJob/orders-report container report"},
		},
		{
			name: "no container runs the image",
			repo: "orders-api",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: web, image: "nginx:1.27"}]}}}
`,
			wantErr: "renders no workload container with image orders-api",
		},
		{
			name: "same image name from another repository",
			repo: "registry.example.test/shop/orders-api",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata: {name: orders-api}
spec: {template: {spec: {containers: [{name: app, image: "ghcr.io/acme/orders-api:1.4.2"}]}}}
`,
			wantErr: "Deployment/orders-api container app runs ghcr.io/acme/orders-api:1.4.2, not ferry.yaml's image registry.example.test/shop/orders-api",
		},
		{
			name: "ConfigMap mentioning the image is not a workload",
			repo: "orders-api",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {image: "orders-api:1.0.0"}
`,
			wantErr: "renders no workload container",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pinner{repo: tt.repo, digest: testDigest}
			out, err := p.Run(bytes.NewBufferString(tt.manifest))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrBadInput) {
					t.Fatalf("err = %v, want bad input containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantImages {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Join(p.pinned, "|") != strings.Join(tt.wantPinned, "|") {
				t.Errorf("pinned %q, want %q", p.pinned, tt.wantPinned)
			}
			if got := manifestDigest(out.String(), tt.repo); got != testDigest {
				t.Errorf("manifestDigest of the output = %q, want %q", got, testDigest)
			}
		})
	}
}

func TestDigestOf(t *testing.T) {
	for in, want := range map[string]string{
		"orders-api@" + testDigest:                       testDigest,
		"docker-pullable://orders-api@" + testDigest:     testDigest,
		"docker.io/library/orders-api:1.2@" + testDigest: testDigest,
		testDigest:         testDigest,
		"orders-api:1.4.2": "",
		"":                 "",
	} {
		if got := digestOf(in); got != want {
			t.Errorf("digestOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLabelValue(t *testing.T) {
	for in, want := range map[string]string{
		"alice@laptop.local":    "alice_laptop.local",
		"1.4.2":                 "1.4.2",
		"-x-":                   "x",
		strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := labelValue(in); got != want {
			t.Errorf("labelValue(%q) = %q, want %q", in, got, want)
		}
	}
}
