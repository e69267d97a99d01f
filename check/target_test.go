package check

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

func kube(e *Env, ctx, ns string) *Env {
	e.Spec.Target, e.Spec.Namespace = "kube", ns
	setting(e.Spec, "context", ctx)
	return e
}

// setting writes key: value into e's ferry.yaml section, as the target's
// key it is.
func setting(e *project.Environment, key, value string) {
	if e.Section == nil {
		e.Section = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	e.Section.Content = append(e.Section.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

func TestSharedNamespace(t *testing.T) {
	testRule(t, "FERRY060", []ruleCase{
		{
			name: "same context and namespace",
			in:   inputOf(kube(envOf("staging"), "prod-cluster", "orders"), kube(envOf("prod"), "prod-cluster", "orders")),
			want: []string{"error prod,staging namespace"},
		},
		{
			name: "near miss: same namespace name on another cluster",
			in:   inputOf(kube(envOf("staging"), "staging-cluster", "orders"), kube(envOf("prod"), "prod-cluster", "orders")),
		},
		{
			name: "near miss: local targets",
			in:   inputOf(envOf("staging"), envOf("prod")),
		},
		{
			name: "gitops environments applied into one context and namespace",
			in:   inputOf(gitops(envOf("staging"), "prod-cluster", "orders"), gitops(envOf("prod"), "prod-cluster", "orders")),
			want: []string{"error prod,staging namespace"},
		},
		{
			name: "near miss: a namespace CI fills in is not known to be shared",
			in:   inputOf(kube(envOf("staging"), "prod-cluster", "${{ steps.env.outputs.namespace }}"), kube(envOf("prod"), "prod-cluster", "${{ steps.env.outputs.namespace }}")),
		},
		{
			name: "near miss: gitops environments on two clusters",
			in:   inputOf(gitops(envOf("staging"), "staging-cluster", "orders"), gitops(envOf("prod"), "prod-cluster", "orders")),
		},
	})
}

func gitops(e *Env, ctx, ns string) *Env {
	kube(e, ctx, ns)
	e.Spec.Target = "gitops"
	return e
}

// rendered gives e the namespaces its rendered objects land in, and the
// values line that set them.
func rendered(e *Env, ns ...string) *Env {
	e.Result.Namespaces = ns
	for _, n := range ns {
		e.Result.Objects = append(e.Result.Objects, render.Object{Kind: "Deployment", Name: "app", Namespace: n})
	}
	e.Result.Values = map[string]any{"namespace": ns[0]}
	e.Result.ValueSources["namespace"] = render.Source{Kind: render.KindValues, File: "values-" + e.Name + ".yaml", Line: 1}
	return e
}

// deployed gives e a CI deploy command that names no cluster.
func deployed(e *Env) *Env {
	e.Spec.Deploy = &project.Deploy{File: ".github/workflows/deploy.yml", Line: 12}
	return e
}

// monitor adds a ServiceMonitor the chart puts into "monitoring".
func monitor(e *Env, name string) *Env {
	e.Result.Namespaces = append(e.Result.Namespaces, "monitoring")
	e.Result.Objects = append(e.Result.Objects, render.Object{Kind: "ServiceMonitor", Name: name, Namespace: "monitoring"})
	return e
}

func TestSharedNamespaceRendered(t *testing.T) {
	testRule(t, "FERRY060", []ruleCase{
		{
			// Argo CD outside the repository: one namespace name on two
			// clusters would be fine.
			name: "manifests name one namespace, nothing says which cluster",
			in:   inputOf(rendered(envOf("staging"), "shop"), rendered(envOf("prod"), "shop")),
			want: []string{"warning prod,staging namespace"},
		},
		{
			name: "manifests name one namespace, both deploy commands in the current context",
			in:   inputOf(deployed(rendered(envOf("staging"), "shop")), deployed(rendered(envOf("prod"), "shop"))),
			want: []string{"error prod,staging namespace"},
		},
		{
			name: "manifests name one namespace, only staging's deploy command is known",
			in:   inputOf(deployed(rendered(envOf("staging"), "shop")), rendered(envOf("prod"), "shop")),
			want: []string{"warning prod,staging namespace"},
		},
		{
			name: "near miss: differently named objects in a shared monitoring namespace",
			in: inputOf(
				monitor(rendered(envOf("staging"), "shop-staging"), "app-staging"),
				monitor(rendered(envOf("prod"), "shop-prod"), "app-prod")),
		},
		{
			name: "the same ServiceMonitor in a shared monitoring namespace",
			in: inputOf(
				monitor(rendered(envOf("staging"), "shop-staging"), "app"),
				monitor(rendered(envOf("prod"), "shop-prod"), "app")),
			want: []string{"warning prod,staging namespace"},
		},
		{
			name: "the same ServiceMonitor in a shared monitoring namespace of one context",
			in: inputOf(
				monitor(rendered(kube(envOf("staging"), "main", "shop-staging"), "shop-staging"), "app"),
				monitor(rendered(kube(envOf("prod"), "main", "shop-prod"), "shop-prod"), "app")),
			want: []string{"error prod,staging namespace"},
		},
		{
			name: "near miss: manifests name each environment's own",
			in:   inputOf(rendered(envOf("staging"), "shop-staging"), rendered(envOf("prod"), "shop")),
		},
	})
	f := findings(t, "FERRY060", inputOf(rendered(envOf("staging"), "shop"), rendered(envOf("prod"), "shop")))
	if len(f) != 1 || f[0].File != "values-prod.yaml" && f[0].File != "values-staging.yaml" || f[0].Line != 1 {
		t.Errorf("FERRY060 should cite the values line that names the namespace, got %+v", f)
	}
}
