package render

import "testing"

// The API server validates names per kind (k8s.io/kubernetes
// pkg/apis/*/validation): RBAC objects as path segments, Services as
// DNS-1035 labels, Namespaces as DNS-1123 labels, the rest (custom
// resources too) as DNS subdomains.
func TestAPINameRules(t *testing.T) {
	const rbac = "rbac.authorization.k8s.io/v1"
	for _, tt := range []struct {
		kind, apiVersion, name string
		ok                     bool
	}{
		{"ClusterRole", rbac, "system:auth-delegator", true},
		{"RoleBinding", rbac, "shop:Reader_2", true},
		{"ClusterRoleBinding", rbac, "cert-manager-webhook:dynamic-serving", true},
		{"Role", rbac, "shop/reader", false},
		{"Role", rbac, "50%", false},
		{"ClusterRole", rbac, "..", false},
		{"ConfigMap", "v1", "shop:watch-list", false},
		{"Deployment", "apps/v1", "shop.api", true},
		{"Role", "example.com/v1", "shop:reader", false}, // a CRD's Role is no RBAC Role
		{"Service", "v1", "milvus.shop-dev.svc", false},
		{"Service", "v1", "3d-tiles", false},
		{"Service", "v1", "tiles-3d", true},
		{"Namespace", "v1", "shop.dev", false},
		{"Namespace", "v1", "shop-dev", true},
	} {
		if got := badName(tt.kind, tt.apiVersion, tt.name); (got == "") != tt.ok {
			t.Errorf("badName(%s %s %q) = %q, want ok=%v", tt.apiVersion, tt.kind, tt.name, got, tt.ok)
		}
	}
}
