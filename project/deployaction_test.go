package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestCalledFromTheRepository: local actions and reusable workflows are
// read through the repository's confined file system and no further. A
// repository is untrusted input: an action directory or workflow file
// that is a symbolic link out of it, or a uses: that climbs out with
// "..", must not make ferry read (and print) a file outside; cycles of
// actions or workflows that call each other end; a chain deeper than
// maxCalls is not followed. Outside the repository lies a composite
// action and a workflow deploying the release "escaped".
func TestCalledFromTheRepository(t *testing.T) {
	const (
		action = "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: helm upgrade --install %s ./chart -n ns-prod\n"
		caller = "jobs:\n  deploy-prod:\n    environment: prod\n    steps:\n      - uses: ./%s\n"
		calls  = "jobs:\n  deploy-prod:\n    uses: ./%s\n    with: {namespace: ns-prod}\n"
		called = "on:\n  workflow_call:\n    inputs:\n      namespace: {type: string}\njobs:\n  helm:\n    steps:\n      - run: helm upgrade --install %s ./chart -n ${{ inputs.namespace }}\n"
		uses   = "runs:\n  using: composite\n  steps:\n    - uses: ./%s\n"
	)
	f := func(format string, args ...any) string {
		return strings.ReplaceAll(fmt.Sprintf(format, args...), "\t", "  ")
	}
	tests := []struct {
		name  string
		files map[string]string
		links map[string]string // link → target; "OUT" stands for the outside directory
		want  []string          // releases deployed, in order
	}{
		{"action in the repository", map[string]string{
			".github/workflows/cd.yml":          f(caller, ".github/actions/deploy"),
			".github/actions/deploy/action.yml": f(action, "api"),
		}, nil, []string{"api"}},
		{"action directory linked out", map[string]string{
			".github/workflows/cd.yml": f(caller, ".github/actions/deploy"),
		}, map[string]string{".github/actions/deploy": "OUT/action"}, nil},
		{"action file linked out", map[string]string{
			".github/workflows/cd.yml": f(caller, ".github/actions/deploy"),
		}, map[string]string{".github/actions/deploy/action.yml": "OUT/action/action.yml"}, nil},
		{"actions directory linked out, nested", map[string]string{
			".github/workflows/cd.yml":         f(caller, ".github/actions/outer"),
			".github/actions/outer/action.yml": f(uses, "vendor/deploy"),
		}, map[string]string{"vendor": "OUT"}, nil},
		{"action linked inside the repository", map[string]string{
			".github/workflows/cd.yml":     f(caller, ".github/actions/deploy"),
			"ci/actions/deploy/action.yml": f(action, "api"),
		}, map[string]string{".github/actions/deploy": "../../ci/actions/deploy"}, []string{"api"}},
		{"uses climbs out", map[string]string{
			".github/workflows/cd.yml": f(caller, "../out/action"),
		}, nil, nil},
		{"reusable workflow linked out", map[string]string{
			".github/workflows/cd.yml": f(calls, ".github/workflows/deploy.yml"),
		}, map[string]string{".github/workflows/deploy.yml": "OUT/deploy.yml"}, nil},
		{"workflows directory of the called file linked out", map[string]string{
			".github/workflows/cd.yml": f(calls, "shared/deploy.yml"),
		}, map[string]string{"shared": "OUT"}, nil},
		{"service in a monorepo", map[string]string{
			".git/HEAD":                         "ref: refs/heads/main\n",
			".github/workflows/cd.yml":          f(caller, ".github/actions/deploy"),
			".github/actions/deploy/action.yml": strings.Replace(f(action, "api"), "./chart", "./svc/chart", 1),
			"svc/chart/Chart.yaml":              chartYAML,
		}, nil, []string{"api"}},
		{"reusable workflow", map[string]string{
			".github/workflows/cd.yml":     f(calls, ".github/workflows/deploy.yml"),
			".github/workflows/deploy.yml": f(called, "api"),
		}, nil, []string{"api"}},
		{"actions that use each other", map[string]string{
			".github/workflows/cd.yml":     f(caller, ".github/actions/a"),
			".github/actions/a/action.yml": f(uses, ".github/actions/b") + "    - shell: bash\n      run: helm upgrade --install api ./chart -n ns-prod\n",
			".github/actions/b/action.yml": f(uses, ".github/actions/a"),
		}, nil, []string{"api"}},
		{"an action that uses itself", map[string]string{
			".github/workflows/cd.yml":     f(caller, ".github/actions/a"),
			".github/actions/a/action.yml": f(uses, ".github/actions/a") + "    - shell: bash\n      run: helm upgrade --install api ./chart -n ns-prod\n",
		}, nil, []string{"api"}},
		{"workflows that call each other", map[string]string{
			".github/workflows/cd.yml": f(calls, ".github/workflows/a.yml"),
			".github/workflows/a.yml":  "on: {workflow_call: {}}\n" + f(calls, ".github/workflows/b.yml") + "  helm:\n    steps:\n      - run: helm upgrade --install api ./chart -n ns-prod\n",
			".github/workflows/b.yml":  "on: {workflow_call: {}}\n" + f(calls, ".github/workflows/a.yml"),
		}, nil, []string{"api"}},
		{"a chain past maxCalls", map[string]string{
			".github/workflows/cd.yml":      f(caller, ".github/actions/a1"),
			".github/actions/a1/action.yml": f(uses, ".github/actions/a2"),
			".github/actions/a2/action.yml": f(uses, ".github/actions/a3"),
			".github/actions/a3/action.yml": f(uses, ".github/actions/a4"),
			".github/actions/a4/action.yml": f(uses, ".github/actions/a5"),
			".github/actions/a5/action.yml": f(action, "deep"),
		}, nil, nil},
		{"a chain within maxCalls", map[string]string{
			".github/workflows/cd.yml":      f(caller, ".github/actions/a1"),
			".github/actions/a1/action.yml": f(uses, ".github/actions/a2"),
			".github/actions/a2/action.yml": f(uses, ".github/actions/a3"),
			".github/actions/a3/action.yml": f(action, "deep"),
		}, nil, []string{"deep"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			out, repo := filepath.Join(base, "out"), filepath.Join(base, "repo")
			write(t, out, map[string]string{
				"action/action.yml": f(action, "escaped"),
				"deploy.yml":        f(called, "escaped"),
				"deploy/action.yml": f(action, "escaped"),
			})
			files := map[string]string{"chart/Chart.yaml": chartYAML, "chart/values.yaml": "replicaCount: 1\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			write(t, repo, files)
			for link, target := range tc.links {
				l := filepath.Join(repo, filepath.FromSlash(link))
				if err := os.MkdirAll(filepath.Dir(l), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(strings.Replace(filepath.FromSlash(target), "OUT", out, 1), l); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			dir := repo
			if _, ok := tc.files["svc/chart/Chart.yaml"]; ok {
				dir = filepath.Join(repo, "svc")
			}
			for _, d := range findDeploys(dir) {
				got = append(got, d.Release)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("releases %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMonorepoRootWorkflow: a service inside a repository reads the
// workflows at the repository's root (their path from the service starts
// with ../, which once sent them down the Azure Pipelines branch and out),
// and takes only the command that deploys its own chart.
func TestMonorepoRootWorkflow(t *testing.T) {
	repo := t.TempDir()
	write(t, repo, map[string]string{
		".git/HEAD": "ref: refs/heads/main\n",
		".github/workflows/cd.yml": "jobs:\n  deploy-prod:\n    environment: prod\n    steps:\n" +
			"      - run: helm upgrade --install api ./services/api/chart -n api-prod -f services/api/chart/values-prod.yaml\n" +
			"      - run: helm upgrade --install web ./services/web/chart -n web-prod -f services/web/chart/values-prod.yaml\n",
		"services/api/chart/Chart.yaml": chartYAML, "services/api/chart/values-prod.yaml": "replicaCount: 2\n",
		"services/web/chart/Chart.yaml": chartYAML, "services/web/chart/values-prod.yaml": "replicaCount: 3\n",
	})
	for _, svc := range []string{"api", "web"} {
		p, err := Load(filepath.Join(repo, "services", svc))
		if err != nil {
			t.Fatal(err)
		}
		e := p.Environments[0]
		if e.Name != "prod" || e.Release != svc || e.Namespace != svc+"-prod" || e.From.Definition == "" || !strings.HasPrefix(e.From.Definition, "CI ../../.github/workflows/cd.yml:") {
			t.Errorf("%s: prod is release %q in %q from %q", svc, e.Release, e.Namespace, e.From.Definition)
		}
	}
}

// TestMatrixEntries expands strategy.matrix as GitHub does for the
// shape deploys use: one list, include: merged into the entries it
// matches or added; a matrix ferry does not expand is the job as written.
func TestMatrixEntries(t *testing.T) {
	tests := []struct {
		name, matrix string
		want         []string // each entry
	}{
		{"one list", "environment: [staging, prod]", []string{"map[environment:staging]", "map[environment:prod]"}},
		{"a product of lists", "env: [staging, prod]\nregion: [eu, us]", []string{"map[]"}},
		{"exclude", "env: [staging, prod]\nexclude:\n  - {env: staging}", []string{"map[]"}},
		{"include merges and adds", "env: [staging, prod]\ninclude:\n  - {env: prod, namespace: shop}\n  - {env: preview, namespace: shop-pr}\n  - {tier: web}",
			[]string{"map[env:staging tier:web]", "map[env:prod namespace:shop tier:web]", "map[env:preview namespace:shop-pr]"}},
		{"include before the list", "include:\n  - {env: prod, namespace: shop}\nenv: [staging, prod]", []string{"map[env:staging]", "map[env:prod namespace:shop]"}},
		{"include alone", "include:\n  - {env: dev, ns: a}\n  - {env: prod, ns: b}", []string{"map[env:dev ns:a]", "map[env:prod ns:b]"}},
		{"a list CI computes", "env: ${{ fromJSON(needs.plan.outputs.envs) }}", []string{"map[]"}},
		{"a list of maps", "target: [{env: dev}, {env: prod}]", []string{"map[]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.matrix), &doc); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range matrixEntries(doc.Content[0]) {
				got = append(got, fmt.Sprint(m))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}
