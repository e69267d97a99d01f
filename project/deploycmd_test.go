package project

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// describe prints what Load made of a repository's deploy commands: the
// order and why, every command found, and each environment's definition
// with where each part came from.
func describe(p *Project) string {
	var b strings.Builder
	fmt.Fprintf(&b, "chart %s, order %s\n  %s\n", p.Chart, strings.Join(p.Path, " → "), p.OrderReason)
	for _, d := range p.Deploys {
		fmt.Fprintf(&b, "deploy %s: helm %s release=%q chart=%q namespace=%q env=%q values=%q", d.Loc(), d.Command, d.Release, d.Chart, d.Namespace, d.Env, d.Values)
		if d.Throwaway {
			b.WriteString(" (a throwaway cluster of its own)")
		}
		if d.Lint {
			b.WriteString(" (a check of the chart)")
		}
		for _, s := range d.Set {
			fmt.Fprintf(&b, " set %s=%s", s.Path, s.Value)
			if s.Line > 0 {
				fmt.Fprintf(&b, " (line %d)", s.Line)
			}
			if s.ByCI {
				b.WriteString(" (by CI)")
			}
		}
		b.WriteString("\n")
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, w := range p.Unchecked {
		fmt.Fprintf(&b, "unchecked: %s\n", w)
	}
	for _, e := range p.Environments {
		fmt.Fprintf(&b, "env %s: %s\n", e.Name, e.From.Definition)
		fmt.Fprintf(&b, "  release %s (%s)\n  namespace %s (%s)\n  values %s (%s)\n", e.Release, e.From.Release, e.Namespace, e.From.Namespace, strings.Join(e.Values, ", "), e.From.Values)
		if e.NamespaceFromContext != "" {
			fmt.Fprintf(&b, "  namespace: the kube context's (no -n at %s)\n", e.NamespaceFromContext)
		}
		for _, s := range e.Set {
			fmt.Fprintf(&b, "  --set %s=%s by CI=%v", s.Path, s.Value, s.ByCI)
			if s.ValueLine > 0 {
				fmt.Fprintf(&b, " ($%s at %s:%d)", s.Var, e.Deploy.File, s.ValueLine)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// TestDeployCommands reads the CI files of realistic repositories (a
// Node service deployed by GitHub Actions, a Spring one by GitLab CI
// with YAML anchors, a Flask one by a Makefile with ferry.yaml
// overriding a namespace, a Go one by a deploy script written for every
// environment) and compares what each environment is made of with the
// golden file. Near misses planted: a commented-out helm command, a helm
// template lint of values-prod.yaml, a Redis install of another chart.
func TestDeployCommands(t *testing.T) {
	if n := eachGolden(t, "testdata/ci/*", func(t *testing.T, dir string) string {
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return describe(p)
	}); n < 4 {
		t.Fatalf("%d fixtures, want at least 4", n)
	}
}

// eachGolden runs got on every fixture directory pattern matches, as a
// subtest, and compares its text with the directory's .golden file
// (-update rewrites it). It returns how many directories it ran.
func eachGolden(t *testing.T, pattern string, got func(t *testing.T, dir string) string) int {
	t.Helper()
	dirs, _ := filepath.Glob(pattern)
	var n int
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out := got(t, dir)
			golden := dir + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("%s (-want +got):\n%s", dir, diff)
			}
		})
	}
	return n
}

// FuzzDeployCommand feeds arbitrary CI files, Makefiles and scripts to the
// deploy-command reader: it must never panic, every command it finds must
// stand at a line of the input, and a --set must have a key.
func FuzzDeployCommand(f *testing.F) {
	for _, seed := range []string{
		"jobs:\n  d:\n    environment: prod\n    steps:\n      - run: helm upgrade --install x ./chart -n ns -f values-prod.yaml --set a=b,c={d,e}\n",
		"deploy:\n  environment: {name: prod}\n  script:\n    - helm install x chart --namespace=ns --values a.yaml,b.yaml\n",
		"deploy-prod:\n\thelm upgrade -i $(R) chart \\\n\t\t-n$(NS)\n",
		"helm template chart -f 'values ${{ x }}.yaml' --set-string a=\"b c\"\n",
		"x: &a {<<: *a}\n", "helm upgrade",
		"E=qa\n[ -n \"$T\" ] && E=prod\ncat <<EOF\nhelm upgrade a b\nEOF\nsudo -E helm upgrade $E-x chart -f values-$E.yaml --set a=$E;\n", "helm upgrade --install a b --set", "jobs: [1]\n", "'unterminated",
		"A=(\n --set a=b\n)\nH=\nR=$(cd \"$(dirname \"$0\")/..\" && pwd)\n$H upgrade x $R/c \"${A[@]}\" -n ${1:-x}\n",
		"define d\n\t$(HELM) upgrade $(1) c \\\n\t -n $(2)\nendef\nt:\n\t$(call d,a,b)\n",
		"jobs:\n  deploy_prod:\n    steps:\n      - run: aws eks update-kubeconfig --name c\n      - run: {command: ./bin/deploy prod}\n",
		"f() {\n  helm upgrade $1 c -f values-$2.yaml\n}\ncase \"$E\" in\n  a|b) f x a ;;\n  *)\n    if [[ $E == c ]]; then f y c; elif [ \"$E\" != d ]; then\n f z; else f; fi\n;;\nesac\n",
		"on: {workflow_call: {inputs: {e: {default: prod}}}}\njobs:\n  a:\n    uses: ./a.yml\n    with: {e: x}\n  b:\n    uses: ./b.yml\n  c:\n    environment: ${{ inputs.e }}\n    steps:\n      - uses: ./act\n        with: {e: y}\n      - run: helm upgrade --install r ./c -n ${{ inputs.e }}\nruns:\n  using: composite\n  steps:\n    - uses: ./other\n    - run: helm upgrade --install r ./c -f v-${{ inputs.e }}.yaml\n",
		"commands:\n  d:\n    parameters: {e: {type: string}}\n    steps:\n      - checkout: {path: ~/git}\n      - run: helm upgrade x ~/git/c -f ~/git/v-<< parameters.e >>.yaml\njobs:\n  j:\n    steps:\n      - d: {e: prod}\nworkflows:\n  w:\n    jobs:\n      - j: {name: k}\n",
		"orbs:\n  helm: circleci/helm@2\njobs:\n  d:\n    parameters: {v: {type: string}}\n    steps:\n      - helm/upgrade-helm-chart: {chart: ./c, release-name: r, namespace: n, values: << parameters.v >>, values-to-override: \"a=1,b=$X,\"}\nworkflows:\n  w:\n    jobs:\n      - d: {name: prod-deploy, v: values-prod.yaml}\n",
		"script:\n  - werf converge --env prod --release r --namespace n --values .helm/values-prod.yaml --set a=b\n",
		"if [[ $R == main ]]; then\n  NS=prod\n  VF=values.yaml\nelif [[ $R == dev ]]; then\n  NS=dev\n  VF=values-dev.yaml\nelse\n  exit 1\nfi\nhelm upgrade x c -n $NS -f $VF\n",
		"stages:\n- stage: P\n  jobs:\n  - deployment: D\n    environment: prod-$(x)\n    variables: [{name: x, value: y}]\n    strategy: {runOnce: {deploy: {steps: [{task: HelmDeploy@0, inputs: {namespace: n, chartPath: c, valueFile: \"a\\nb\", overrideValues: \"k=v\\nl=w\"}}]}}}\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n := strings.Count(in, "\n") + 2
		var lines []shellLine
		lines = append(lines, ciYAMLLines([]byte(in), false)...)
		lines = append(lines, ciYAMLLines([]byte(in), true)...)
		// Every local action and reusable workflow the input uses is the
		// input itself: nesting and cycles must end.
		self := func(uses, from string, line int) ([]byte, string, string) { return []byte(in), uses, "ci.yml:1" }
		lines = append(lines, ciYAMLLinesWith([]byte(in), false, self)...)
		lines = append(lines, makeLines([]byte(in), "", nil)...)
		lines = append(lines, scriptLines([]byte(in), 1, "deploy-prod")...)
		lines = append(lines, circleLines([]byte(in))...)
		az, _ := azureLines([]byte(in))
		lines = append(lines, az...)
		for _, l := range lines {
			l.cluster("ci.yml", "ci.yml")
			l.clusterFromVars("ci.yml")
			l.writes()
		}
		for _, l := range withAssignments(lines) {
			d, ok := parseHelm(l, t.TempDir(), t.TempDir())
			if !ok {
				continue
			}
			if d.Line < 1 || d.Line > n {
				t.Errorf("command at line %d of a %d-line input", d.Line, n)
			}
			for _, s := range d.Set {
				if s.Path == "" && s.Value != "" {
					t.Errorf("--set without a key: %+v", s)
				}
			}
		}
	})
}

// TestParseHelm covers command shapes seen in public repositories.
func TestParseHelm(t *testing.T) {
	tests := []struct {
		line                           string
		release, chart, ns, set, value string
	}{
		{"helm upgrade --install ai-dev ./helm/ai --namespace ai-dev --create-namespace -f helm/ai/values-dev.yaml --set global.imageTag=$(git rev-parse --short HEAD)",
			"ai-dev", "helm/ai", "ai-dev", "global.imageTag", "$(git rev-parse --short HEAD)"},
		{"helm upgrade --install --namespace apps user-manager --set image.tag=${{ env.COMMIT_HASH }} ./user-manager",
			"user-manager", "user-manager", "apps", "image.tag", "${{ env.COMMIT_HASH }}"},
		{"VERSION=`git rev-parse HEAD`; helm upgrade tools . --install --set version=`git describe` --namespace=apps-production --values=values.yaml",
			"tools", ".", "apps-production", "version", "`git describe`"},
		// Helm under another name (issue 17): helm3, microk8s helm3, a
		// variable the script sets from a function or CI sets.
		{"helm3 upgrade x y --set image.tag=$TAG", "x", "y", "", "image.tag", "$TAG"},
		{"microk8s helm3 upgrade --install api ./chart -n apps --set image.tag=$TAG", "api", "chart", "apps", "image.tag", "$TAG"},
		{"${HELM_BIN} upgrade --install api ./chart -n apps --set image.tag=${TAG}", "api", "chart", "apps", "image.tag", "${TAG}"},
		{"$HELM upgrade --install api ./chart -n apps --set image.tag=$TAG", "api", "chart", "apps", "image.tag", "$TAG"},
		{"helm3 status api --namespace apps", "", "", "", "", ""}, // not a deploy; helm lint is read as a check of the chart (d.Lint, the CI goldens)
		{"helmfile upgrade x y --set image.tag=$TAG", "", "", "", "", ""},
		{"${KUBECTL} upgrade x y --set image.tag=$TAG", "", "", "", "", ""},
		{"echo ${HELM_BIN} upgrade --install api ./chart --set image.tag=$TAG", "", "", "", "", ""},
		{"echo helm upgrade is run by CI", "", "", "", "", ""},
		{"echo helm upgrade ${PARAM} --install --namespace=${NS} api charts/ --set image.tag=${version}", "", "", "", "", ""},
		{"printf 'helm upgrade --install api ./chart -n prod --set a=%s\\n' $TAG", "", "", "", "", ""},
		{"log \"helm upgrade --install\" api ./chart", "", "", "", "", ""},
		{"# helm upgrade --install api ./chart --set a=$B", "", "", "", "", ""},
		{"KUBECONFIG=/tmp/kc sudo helm upgrade --install api ./chart -n apps --set image.tag=$TAG",
			"api", "chart", "apps", "image.tag", "$TAG"},
		{"timeout 10m sudo -E helm upgrade --install api ./chart -n apps --set image.tag=$TAG",
			"api", "chart", "apps", "image.tag", "$TAG"},
		{"grep -q 5 helm upgrade --install api ./chart -n apps --set image.tag=$TAG", "", "", "", "", ""},
		{"set -e; if helm upgrade --install api ./chart -n apps --set image.tag=$TAG; then echo ok; fi",
			"api", "chart", "apps", "image.tag", "$TAG"},
		{"make lint && helm upgrade --install api ./chart -n apps --set image.tag=${TAG} 2>&1 | tee log",
			"api", "chart", "apps", "image.tag", "${TAG}"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		d, ok := parseHelm(shellLine{text: tt.line, line: 1}, dir, dir)
		if tt.release == "" {
			if ok {
				t.Errorf("%q: found %+v, want nothing", tt.line, d)
			}
			continue
		}
		if !ok {
			t.Errorf("%q: no command found", tt.line)
			continue
		}
		if d.Release != tt.release || d.Chart != tt.chart || d.Namespace != tt.ns || len(d.Set) == 0 || d.Set[0].Path != tt.set || d.Set[0].Value != tt.value || !d.Set[0].ByCI {
			t.Errorf("%q:\n got %+v\nwant release %s chart %s ns %s set %s=%s by CI", tt.line, d, tt.release, tt.chart, tt.ns, tt.set, tt.value)
		}
	}
}

// TestScriptHereDocuments: a here-document's lines are text a command
// reads (usage printed with cat <<EOF), not commands; one a shell reads
// (ssh host bash <<EOF) holds commands.
func TestScriptHereDocuments(t *testing.T) {
	script := `#!/bin/sh
usage() {
  cat <<-'EOF'
	usage: deploy.sh ENV
	  runs: helm upgrade --install api ./chart -n api-$ENV
	EOF
}
ssh deploy@bastion bash <<EOF
helm upgrade --install api ./chart -n api-prod
EOF
cat > values-ci.yaml <<YAML
x: helm upgrade
YAML
`
	var got []int
	for _, l := range scriptLines([]byte(script), 1, "deploy") {
		if strings.Contains(l.text, "helm upgrade") {
			got = append(got, l.line)
		}
	}
	if diff := cmp.Diff([]int{9}, got); diff != "" {
		t.Errorf("lines with a helm command (-want +got):\n%s", diff)
	}
}

// TestScriptAssignments: a variable assigned literally before a command
// is expanded in it; one assigned from an argument or a command, or one
// of several values under conditions, is left for CI to fill in.
func TestScriptAssignments(t *testing.T) {
	script := `ENVIRON=prod
export NS="orders-$ENVIRON"
TARGET=$1
TAG=$(git rev-parse --short HEAD)
if [ "$FAST" = 1 ]; then
  MODE=fast
fi
REGION=eu
[ -n "$US" ] && REGION=us
PARAM=""
if [ "$DEBUG" = true ]; then
  PARAM="--debug --dry-run"
fi
helm upgrade $PARAM --install orders-$ENVIRON ./chart -n $NS --set secretName=orders-${ENVIRON}-secret,target=$TARGET,tag=$TAG,mode=$MODE,region=$REGION
`
	lines := withAssignments(scriptLines([]byte(script), 1, "deploy"))
	d, ok := parseHelm(lines[len(lines)-1], t.TempDir(), t.TempDir())
	if !ok {
		t.Fatal("no command found")
	}
	got := []string{d.Release, d.Namespace}
	for _, s := range d.Set {
		got = append(got, fmt.Sprintf("%s=%s by CI %v", s.Path, s.Value, s.ByCI))
	}
	want := []string{"orders-prod", "orders-prod", "secretName=orders-prod-secret by CI false", "target=$TARGET by CI true",
		"tag=$TAG by CI true", "mode=$MODE by CI true", "region=$REGION by CI true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c := lines[len(lines)-1].choices["REGION"]; !cmp.Equal(c, []string{"eu", "us"}) {
		t.Errorf("REGION choices = %q, want eu, us", c)
	}
}

// TestWorkflowStepsAreShells: a variable one workflow step assigns is
// not set in the next step (each run: is its own shell), while a GitLab
// job's script lines share one.
func TestWorkflowStepsAreShells(t *testing.T) {
	gh := `jobs:
  deploy:
    environment: prod
    steps:
      - run: STAGE=canary
      - run: helm upgrade --install api ./chart -n api-$STAGE
      - run: |
          STAGE=prod
          helm upgrade --install api ./chart -n api-$STAGE
`
	gl := `deploy:
  environment: prod
  script:
    - STAGE=prod
    - helm upgrade --install api ./chart -n api-$STAGE
`
	var got []string
	for _, l := range withAssignments(ciYAMLLines([]byte(gh), false)) {
		if d, ok := parseHelm(l, t.TempDir(), t.TempDir()); ok {
			got = append(got, d.Namespace)
		}
	}
	for _, l := range withAssignments(ciYAMLLines([]byte(gl), true)) {
		if d, ok := parseHelm(l, t.TempDir(), t.TempDir()); ok {
			got = append(got, d.Namespace)
		}
	}
	if diff := cmp.Diff([]string{"api-$STAGE", "api-prod", "api-prod"}, got); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}

// TestUnresolvedDeployKeepsValuesFile: CI deploys prod with a values
// file ferry cannot resolve (a repository variable), so prod keeps its
// discovered values-prod.yaml rather than losing it; staging, which no
// command deploys, is an environment of its own.
func TestUnresolvedDeployKeepsValuesFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"chart/Chart.yaml":          chartYAML,
		"chart/values.yaml":         "replicaCount: 1\n",
		"chart/values-prod.yaml":    "replicaCount: 3\n",
		"chart/values-staging.yaml": "replicaCount: 1\n",
		".github/workflows/cd.yml": "jobs:\n  deploy:\n    environment: prod\n    steps:\n" +
			"      - run: helm upgrade --install api ./chart -n api -f ${{ vars.VALUES_FILE }} --set image.tag=${{ github.sha }}\n",
	})
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, e := range p.Environments {
		got[e.Name] = e.Values
	}
	want := map[string][]string{
		"staging": {"chart/values.yaml", "chart/values-staging.yaml"},
		"prod":    {"chart/values.yaml", "chart/values-prod.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" || len(p.Warnings) != 0 {
		t.Errorf("values (-want +got):\n%s\nwarnings: %q", diff, p.Warnings)
	}
}

// TestThrowaway: a job, target or test script that makes its own
// cluster installs the chart to test it; a deploy script that makes one
// only for "local" still deploys the real environments.
func TestThrowaway(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             bool
	}{
		{"workflow job with kind-action", ".github/workflows/ci.yml",
			"jobs:\n  smoke:\n    steps:\n      - uses: helm/kind-action@v1.10.0\n      - run: helm install app ./chart --set image.tag=latest\n", true},
		{"gitlab job making a k3d cluster", ".gitlab-ci.yml",
			"it:\n  script:\n    - k3d cluster create it\n    - helm install app ./chart\n", true},
		{"makefile target loading into kind", "Makefile",
			"e2e:\n\tkind load docker-image app:latest\n\thelm install app ./chart\n", true},
		{"helm aimed at a kind context", "Makefile",
			"deploy:\n\thelm upgrade --install app ./chart --kube-context kind-app\n", true},
		{"test script", "e2e.sh", "kind create cluster\nhelm install app ./chart\n", true},
		{"deploy script with a local branch", "deploy.sh",
			"ENV=$1\nif [ \"$ENV\" = local ]; then kind create cluster; fi\nhelm upgrade --install app ./chart -f values-$ENV.yaml\n", false},
		{"deploy job", ".github/workflows/deploy.yml",
			"jobs:\n  deploy:\n    environment: prod\n    steps:\n      - run: helm upgrade --install app ./chart -f values-prod.yaml\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(tt.file)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			ds := findDeploys(dir)
			if len(ds) != 1 {
				t.Fatalf("found %d deploy commands, want 1: %+v", len(ds), ds)
			}
			if ds[0].Throwaway != tt.want {
				t.Errorf("Throwaway = %v, want %v", ds[0].Throwaway, tt.want)
			}
		})
	}
}

// TestGitLabExtends: jobs that extend a hidden template run its script
// with their own environment; a job's own keys win over the template's.
func TestGitLabExtends(t *testing.T) {
	dir := t.TempDir()
	ci := `.deploy:
  script:
    - helm upgrade --install "api-${CI_ENVIRONMENT_NAME}" chart -n api -f chart/values-${CI_ENVIRONMENT_NAME}.yaml
deploy-staging:
  extends: .deploy
  environment: staging
.base:
  environment: nowhere
  script:
    - echo base
deploy-prod:
  extends: [.base, .deploy]
  environment: prod
`
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(ci), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range findDeploys(dir) {
		got = append(got, d.Env+" "+d.Release)
	}
	want := []string{"staging api-staging", "prod api-prod"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deploys (-want +got):\n%s", diff)
	}
}

// TestCutExpansions: ${SHA::7}, ${REF#refs/heads/}, ${IMAGE%:*} and
// ${B//\//-} cut or change a value at run time — CI's value, even when
// the script assigned the variable, and never a literal tail ("7}").
// ${NS:-x} of an assigned variable is still its value.
func TestCutExpansions(t *testing.T) {
	l := shellLine{assigned: map[string]string{"SHA": "0123456789abcdef", "NS": "orders"}}
	for in, want := range map[string]string{
		"ghcr.io/acme/api:${GITHUB_SHA::7}": "ghcr.io/acme/api:${GITHUB_SHA::7}",
		"${SHA:0:12}":                       "${SHA:0:12}",
		"${SHA: -4}":                        "${SHA: -4}",
		"${GITHUB_REF#refs/heads/}":         "${GITHUB_REF#refs/heads/}",
		"${IMAGE%:*}":                       "${IMAGE%:*}",
		"pr-${BRANCH//\\//-}":               "pr-${BRANCH//\\//-}",
		"${NS:-payments}":                   "orders",
		"${NS-payments}":                    "orders",
		"${NS:?unset}":                      "${NS:?unset}",
	} {
		if got := l.expand(in); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
		if !IsCIExpr(in) {
			t.Errorf("IsCIExpr(%q) = false, want a value set at run time", in)
		}
		if masked := MaskCIExprs(in); strings.Contains(masked, "}") {
			t.Errorf("MaskCIExprs(%q) = %q leaves a tail of the expression", in, masked)
		}
	}
}

// TestOktetoManifest: an Okteto manifest's deploy: entries — a string,
// a {name, command}, or under deploy.commands — are shell lines at
// their own line; dev: commands (a developer's shell) are not.
func TestOktetoManifest(t *testing.T) {
	manifest := `deploy:
  - okteto build api
  - helm upgrade --install api chart -f chart/values-dev.yaml --set image=${OKTETO_BUILD_API_IMAGE}
  - name: migrate
    command: kubectl apply -f k8s/job.yaml
dev:
  api:
    command: helm upgrade --install api chart
`
	commands := `deploy:
  commands:
    - name: helm
      command: helm upgrade --install api chart
`
	for in, want := range map[string][]string{manifest: {"2 okteto build api", "3 helm upgrade --install api chart -f chart/values-dev.yaml --set image=${OKTETO_BUILD_API_IMAGE}", "5 kubectl apply -f k8s/job.yaml"}, commands: {"4 helm upgrade --install api chart"}, "deploy: {compose: docker-compose.yml}\n": nil} {
		var got []string
		for _, l := range oktetoLines([]byte(in)) {
			got = append(got, fmt.Sprintf("%d %s", l.line, l.text))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
	}
}

// TestCIMatch: a name CI writes with variables (${APP}-db,
// $(NS)-${{ env.X }}) matches a name with at least one character for
// each variable and the literal parts in order — as the regexp it
// replaced did.
func TestCIMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, name string
		want          bool
	}{
		{"orders-db", "orders-db", true},
		{"orders-db", "orders-dbx", false},
		{"${APP}-db", "orders-db", true},
		{"${APP}-db", "-db", false},
		{"${APP}-db", "orders-db-2", false},
		{"pg-$ENV", "pg-prod", true},
		{"pg-$ENV", "pg-", false},
		{"${A}-x-${B}", "a-x-x-b", true},
		{"${A}-x-${B}", "a-x-", false},
		{"${A}${B}", "ab", true},
		{"${A}${B}", "a", false},
		{"s-${{ env.STAGE }}-cfg", "s-prod-cfg", true},
		{"s-${{ env.STAGE }}-cfg", "t-prod-cfg", false},
		{"$(NS)-a-a", "n-a-a-a", true},
		{"cost$", "cost$", true},
	} {
		if got := ciMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("ciMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// TestFlagArms: a command expanding a variable that branches set to
// flags is read once per path — a case's arms (plus "none matched"
// when it has no *) arm) or an if with its else — and not split by an
// if without else, whose other path ferry cannot see.
func TestFlagArms(t *testing.T) {
	for script, want := range map[string][]string{
		"if [ \"$DEBUG\" = true ]; then\n  PARAM=\"--debug --dry-run\"\nfi\nhelm upgrade $PARAM api ./chart\n": {"0 map[]"},
		"if [ \"$ENV\" = prod ]; then\n  EXTRA=\"-f values-prod.yaml\"\nelse\n  EXTRA=\"-f values-dev.yaml\"\nfi\nhelm upgrade api ./chart $EXTRA\n": {
			"1 map[ENV:prod EXTRA:-f values-prod.yaml]", "3 map[EXTRA:-f values-dev.yaml]"},
		"case \"$NS\" in\n  shop-prod) EXTRA=\"-f values-prod.yaml\" ;;\n  shop-qa) EXTRA=\"-f values-qa.yaml\" ;;\nesac\nhelm upgrade api ./chart -n $NS $EXTRA\n": {
			"2 map[EXTRA:-f values-prod.yaml NS:shop-prod]", "3 map[EXTRA:-f values-qa.yaml NS:shop-qa]", "0 map[]"},
	} {
		lines := flagArms(withAssignments(scriptLines([]byte(script), 1, "deploy")))
		var got []string
		for _, l := range lines {
			if strings.HasPrefix(l.text, "helm") {
				got = append(got, fmt.Sprintf("%d %v", l.armAt, l.assigned))
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s(-want +got):\n%s", script, diff)
		}
	}
}
