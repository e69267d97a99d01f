package check

import "testing"

func TestReusedSecret(t *testing.T) {
	testRule(t, "FERRY042", []ruleCase{
		{
			name: "prod's password copied from dev's file",
			in:   inputOf(envOf("dev", "DB_PASSWORD=Chat-Dev-Pass-42!", "DB_USER=chat"), envOf("prod", "DB_PASSWORD=Chat-Dev-Pass-42!", "DB_USER=chat")),
			want: []string{"error dev,prod DB_PASSWORD"},
		},
		{
			name: "near miss: each environment its own",
			in:   inputOf(envOf("dev", "DB_PASSWORD=Chat-Dev-Pass-42!"), envOf("prod", "DB_PASSWORD=Chat-Prod-Pass-77?")),
		},
		{
			name: "near miss: one base line every environment inherits",
			in:   inputOf(envOf("dev", "DB_PASSWORD=postgres@chart/values.yaml:9"), envOf("prod", "DB_PASSWORD=postgres@chart/values.yaml:9")),
		},
		{
			name: "near miss: the same placeholder or switch",
			in:   inputOf(envOf("dev", "API_TOKEN=changeme", "ALLOW_EMPTY_PASSWORD=yes"), envOf("prod", "API_TOKEN=changeme", "ALLOW_EMPTY_PASSWORD=yes")),
		},
	})
}
