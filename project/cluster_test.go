package project

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestClusterKey: two environments deployed to one namespace name are
// told apart by the cluster each CI job points at, and only when every
// environment's cluster is known; a switch in one job does not leak into
// the next, and a cluster CI fills in is unknown.
func TestClusterKey(t *testing.T) {
	job := func(name, env, setup, ns string) string {
		return "  " + name + ":\n    runs-on: ubuntu-latest\n    environment: " + env + "\n    steps:\n      - uses: actions/checkout@v4\n" + setup +
			"      - run: helm upgrade --install orders ./chart -n " + ns + " -f chart/values-" + env + ".yaml --set image.tag=${{ github.sha }}\n"
	}
	step := func(cmd string) string { return "      - run: " + cmd + "\n" }
	// withEnv gives a job an env: block (its first line is line n of cd.yml).
	withEnv := func(j, env string) string {
		return strings.Replace(j, "    steps:\n", "    env:\n"+env+"    steps:\n", 1)
	}
	tests := []struct {
		name string
		jobs string
		want map[string]string
		at   map[string]string // where each cluster was chosen, when asserted
	}{
		{"different EKS clusters", job("stg", "staging", step("aws eks update-kubeconfig --region eu-west-1 --name orders-staging"), "orders") +
			job("prd", "prod", step("aws eks update-kubeconfig --name=orders-prod --region eu-west-1"), "orders"),
			map[string]string{"staging": "EKS cluster orders-staging", "prod": "EKS cluster orders-prod"}, nil},
		{"EKS global options before the subcommand", job("stg", "staging", step("aws eks --region ${{ env.AWS_REGION }} update-kubeconfig --name \"orders-staging\""), "orders") +
			job("prd", "prod", step("aws --profile ops eks --region eu-west-1 --no-cli-pager update-kubeconfig --name orders-prod"), "orders"),
			map[string]string{"staging": "EKS cluster orders-staging", "prod": "EKS cluster orders-prod"}, nil},
		{"an EKS command that is not update-kubeconfig", job("stg", "staging", step("aws eks --region eu-west-1 describe-cluster --name orders-staging"), "orders") +
			job("prd", "prod", step("aws eks --region eu-west-1 update-kubeconfig --name orders-prod"), "orders"),
			map[string]string{"staging": "", "prod": ""}, nil}, // staging's cluster is unknown, so neither is keyed
		{"GKE and AKS", job("stg", "staging", step("gcloud container clusters get-credentials orders-stg --zone europe-west1-b"), "orders") +
			job("prd", "prod", step("az aks get-credentials -g rg-orders --name orders-aks-prod"), "orders"),
			map[string]string{"staging": "GKE cluster orders-stg", "prod": "AKS cluster orders-aks-prod"}, nil},
		{"one context for both", job("stg", "staging", step("kubectl config use-context shared"), "orders") +
			job("prd", "prod", step("kubectl config use-context shared"), "orders"),
			map[string]string{"staging": "context shared", "prod": "context shared"}, nil},
		{"helm --kube-context wins over the job's", job("stg", "staging", step("kubectl config use-context shared"), "orders --kube-context stg-ctx") +
			job("prd", "prod", "", "orders --kube-context=prod-ctx"),
			map[string]string{"staging": "context stg-ctx", "prod": "context prod-ctx"}, nil},
		{"the job's KUBECONFIG, one CI file variable each", withEnv(job("stg", "staging", "", "orders"), "      KUBECONFIG: ${{ runner.temp }}/kubeconfig\n") +
			withEnv(job("prd", "prod", "", "orders"), "      REGION: eu-west-1\n      KUBECONFIG: $PROD_KUBECONFIG\n"),
			map[string]string{"staging": "", "prod": ""}, nil}, // a path CI makes: unknown, so one cluster
		{"KUBECONFIG variables of their own", withEnv(job("stg", "staging", "", "orders"), "      KUBECONFIG: $STAGING_KUBECONFIG\n") +
			withEnv(job("prd", "prod", "", "orders"), "      REGION: eu-west-1\n      KUBECONFIG: ${PROD_KUBECONFIG}\n"),
			map[string]string{"staging": "kubeconfig $STAGING_KUBECONFIG", "prod": "kubeconfig ${PROD_KUBECONFIG}"},
			map[string]string{"staging": ".github/workflows/cd.yml:7 (KUBECONFIG)", "prod": ".github/workflows/cd.yml:16 (KUBECONFIG)"}},
		{"werf's kubeconfig, one GitHub secret each", withEnv(job("stg", "staging", "", "orders"), "      WERF_KUBECONFIG_BASE64: ${{ secrets.KUBE_CONFIG_STAGING }}\n") +
			withEnv(job("prd", "prod", "", "orders"), "      WERF_KUBECONFIG_BASE64: ${{ secrets.KUBE_CONFIG_PROD }}\n"),
			map[string]string{"staging": "kubeconfig ${{ secrets.KUBE_CONFIG_STAGING }}", "prod": "kubeconfig ${{ secrets.KUBE_CONFIG_PROD }}"}, nil},
		{"HELM_KUBECONTEXT", withEnv(job("stg", "staging", "", "orders"), "      HELM_KUBECONTEXT: ops-staging\n") +
			withEnv(job("prd", "prod", "", "orders"), "      HELM_KUBECONTEXT: ops-prod\n"),
			map[string]string{"staging": "context ops-staging", "prod": "context ops-prod"}, nil},
		{"use-context and --kube-context name the job's variable", withEnv(job("stg", "staging", step(`kubectl config use-context "$KUBE_CONTEXT"`), "orders"), "      KUBE_CONTEXT: acme/agents:staging\n") +
			withEnv(job("prd", "prod", "", `orders --kube-context "${KUBE_CONTEXT}"`), "      KUBE_CONTEXT: acme/agents:prod\n"),
			map[string]string{"staging": "context acme/agents:staging", "prod": "context acme/agents:prod"},
			map[string]string{"staging": ".github/workflows/cd.yml:10, KUBE_CONTEXT at .github/workflows/cd.yml:7", "prod": ".github/workflows/cd.yml:19 (--kube-context, KUBE_CONTEXT at .github/workflows/cd.yml:16)"}},
		// Near misses: unknown stays one cluster, as before.
		{"the next job does not inherit a switch", job("stg", "staging", step("aws eks update-kubeconfig --name orders-staging"), "orders") +
			job("prd", "prod", "", "orders"),
			map[string]string{"staging": "", "prod": ""}, nil},
		{"a cluster CI fills in", job("stg", "staging", step("aws eks update-kubeconfig --name ${{ vars.CLUSTER }}"), "orders") +
			job("prd", "prod", step("aws eks update-kubeconfig --name orders-prod"), "orders"),
			map[string]string{"staging": "", "prod": ""}, nil},
		{"a switch after the deploy", job("stg", "staging", "", "orders") + "      - run: aws eks update-kubeconfig --name orders-staging\n" +
			job("prd", "prod", step("aws eks update-kubeconfig --name orders-prod"), "orders"),
			map[string]string{"staging": "", "prod": ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{
				"chart/Chart.yaml":          chartYAML,
				"chart/values.yaml":         "replicaCount: 1\n",
				"chart/values-staging.yaml": "replicaCount: 1\n",
				"chart/values-prod.yaml":    "replicaCount: 3\n",
				".github/workflows/cd.yml":  "on: push\njobs:\n" + tt.jobs,
			})
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, at := map[string]string{}, map[string]string{}
			for _, e := range p.Environments {
				got[e.Name] = ClusterKey(e, p)
				if e.Deploy != nil {
					at[e.Name] = e.Deploy.ClusterAt
				}
				if e.Deploy == nil || e.Namespace != "orders" {
					t.Errorf("%s: deploy %v, namespace %q: want CI's, orders", e.Name, e.Deploy, e.Namespace)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cluster keys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.at, at); tt.at != nil && diff != "" {
				t.Errorf("where each cluster was chosen (-want +got):\n%s", diff)
			}
		})
	}
}
