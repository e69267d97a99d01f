package check

import "testing"

// TestWritesIsACommand: a line makes a values file only when a tool that
// writes files runs on it, not when the tool's name is part of a path
// (Azure's $(pipeline.workspace)/install/… hid FERRY091 on a real
// repository).
func TestWritesIsACommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`sops -d secrets/values-prod.enc.yaml > values-prod.yaml`, true},
		{`cp deploy/values-base.yaml values-prod.yaml`, true},
		{`echo "$VALUES" | base64 -d > values-prod.yaml`, true},
		{`  install -m 0600 /tmp/v.yaml values-prod.yaml`, true},
		{`test -f x && cp a values-prod.yaml`, true},
		{`(cd deploy; envsubst < values.tpl) > values-prod.yaml`, true},
		{`helm template chart -o rendered/`, true},
		// near misses: the words inside paths and names
		{`valueFile: $(pipeline.workspace)/install/values.eastus2.prod.yaml`, false},
		{`chartPath: ./deploy/copy/chart`, false},
		{`- script: ./scripts/sops-check.sh values-prod.yaml`, false},
		{`valueFile: values-prod.yaml`, false},
	} {
		if got := writes.Get().MatchString(tc.line); got != tc.want {
			t.Errorf("writes(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
