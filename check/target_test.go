package check

import "testing"

func kube(e *Env, ctx, ns string) *Env {
	e.Spec.Target, e.Spec.Context, e.Spec.Namespace = "kube", ctx, ns
	return e
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
	})
}
