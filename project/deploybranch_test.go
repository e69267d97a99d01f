package project

import (
	"strconv"
	"strings"
	"testing"
)

// TestBranches reads scripts that branch on the environment and checks,
// for each environment, which of the script's helm commands runs: the
// command of its own branch, a function's command where the branch calls
// it, and none of another branch's.
func TestBranches(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		// runs maps an environment to the lines of the helm commands that
		// run for it when $ENV names it.
		runs map[string]string
	}{
		{
			name: "if else with functions",
			script: `ENV=$1
review() {
  helm upgrade "$BRANCH" ./chart -f values-uat.yaml
}
main() {
  helm upgrade app ./chart -f values-$ENV.yaml
}
if [[ "$ENV" == "uat" ]]; then
  review
else
  main
fi`,
			runs: map[string]string{"uat": "3", "staging": "6", "prod": "6"},
		},
		{
			name: "elif chain",
			script: `if [ "$ENV" = "dev" ]; then
  helm upgrade app ./chart -f values-dev.yaml
elif [ "$ENV" = "prod" ] || [ "$ENV" = "production" ]; then
  helm upgrade app ./chart -f values-prod.yaml --atomic
else
  helm upgrade app ./chart -f values-$ENV.yaml
fi`,
			runs: map[string]string{"dev": "2", "prod": "4", "production": "4", "qa": "6"},
		},
		{
			name: "case with a default arm and one-line arms",
			script: `case "$ENV" in
  qa|staging) helm upgrade app ./chart -n "app-$ENV" ;;
  prod*)
    helm upgrade app ./chart -n app-prod
    ;;
  *)
    helm upgrade "app-$ENV" ./chart -n sandbox
    ;;
esac`,
			runs: map[string]string{"qa": "2", "staging": "2", "prod": "4", "prod-eu": "4", "dev": "7"},
		},
		{
			name: "a branch on something else runs for every environment",
			script: `if [ -n "$DRY_RUN" ]; then
  helm upgrade app ./chart --dry-run
fi
helm upgrade app ./chart`,
			runs: map[string]string{"dev": "2,4", "prod": "2,4"},
		},
		{
			name: "a test before && or ||",
			script: `[[ "$ENV" == "prod" ]] && helm upgrade app ./chart -f values-prod.yaml
[ "$ENV" = "prod" ] || helm upgrade app ./chart -f values-$ENV.yaml`,
			runs: map[string]string{"prod": "1", "dev": "2"},
		},
		{
			name: "a function nobody calls stays where it is written",
			script: `purge() {
  helm upgrade app ./chart --reset-values
}
echo done`,
			runs: map[string]string{"dev": "2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := withAssignments(scriptLines([]byte(tc.script), 1, "deploy"))
			for env, want := range tc.runs {
				var got []string
				for _, l := range lines {
					if !strings.Contains(l.text, "helm upgrade") {
						continue
					}
					if runs, _ := runsFor(l.guard, "ENV", env); runs {
						got = append(got, strconv.Itoa(l.line))
					}
				}
				if strings.Join(got, ",") != want {
					t.Errorf("%s: helm commands on lines %v run, want %s", env, got, want)
				}
			}
		})
	}
}
