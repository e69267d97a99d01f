package main

import "testing"

func TestModuleOf(t *testing.T) {
	mods := []string{"k8s.io/client-go", "k8s.io/api", "helm.sh/helm/v4", "github.com/go-git/go-git/v5", "go.yaml.in/yaml/v3"}
	for _, tc := range []struct{ sym, want string }{
		{"k8s.io/api/core/v1.(*PodSpec).Unmarshal", "k8s.io/api"},
		{"k8s.io/api/core/v1.init", "k8s.io/api"},
		{"type:*k8s.io/client-go/rest.Config", "k8s.io/client-go"},
		{"type:.eq.helm.sh/helm/v4/pkg/chart/v2.Metadata", "helm.sh/helm/v4"},
		{"go:itab.*github.com/go-git/go-git/v5/plumbing/object.Commit,io.Reader", "github.com/go-git/go-git/v5"},
		{"go.yaml.in/yaml/v3.(*parser).parse", "go.yaml.in/yaml/v3"},
		{"type:[]*k8s.io/api/apps/v1.Deployment", "k8s.io/api"},
		{"slices.SortFunc[go.shape.[]k8s.io/api/core/v1.Pod]", "std"},
		{"vendor/golang.org/x/net/http2/hpack.init", "std"},
		{"net/http.(*Transport).RoundTrip", "std"},
		{"go:func.*", "go:func"},
		// A module that only shares a prefix is not the module.
		{"k8s.io/apiextensions-apiserver/pkg/apis.init", "std"},
	} {
		if got := moduleOf(tc.sym, mods); got != tc.want {
			t.Errorf("moduleOf(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}
