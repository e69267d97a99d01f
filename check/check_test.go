package check

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/project"
)

// catalogue is DESIGN.md's rule catalogue: IDs, names and severities are
// a contract.
var catalogue = []string{
	"FERRY001 one-image error",
	"FERRY002 mutable-image error",
	"FERRY003 image-without-repository error",
	"FERRY010 shared-database error",
	"FERRY011 shared-redis error",
	"FERRY012 shared-broker error",
	"FERRY013 shared-bucket error",
	"FERRY014 shared-telemetry warning",
	"FERRY015 db-port-default warning",
	"FERRY016 mqtt-public-broker error",
	"FERRY017 missing-datasource-key warning",
	"FERRY018 loopback-datasource error",
	"FERRY019 foreign-environment error",
	"FERRY020 tracer-url-scheme error",
	"FERRY021 tracer-url-port error",
	"FERRY022 tracer-ratio error",
	"FERRY023 log-level error",
	"FERRY030 app-env-mismatch warning",
	"FERRY031 app-env-branch error",
	"FERRY032 app-env-in-file warning",
	"FERRY040 secret-in-config error",
	"FERRY041 committed-secret error",
	"FERRY042 reused-secret error",
	"FERRY050 bad-duration error",
	"FERRY051 grace-exceeds-termination error",
	"FERRY052 port-mismatch error",
	"FERRY053 invalid-value error",
	"FERRY054 metrics-off-drain warning",
	"FERRY055 config-not-rolled warning",
	"FERRY056 missing-config-key error",
	"FERRY057 invalid-manifest error",
	"FERRY058 service-link-collision error",
	"FERRY059 duplicate-manifest-key error",
	"FERRY060 shared-namespace error",
	"FERRY061 removed-api-version error",
	"FERRY070 connection-budget warning",
	"FERRY080 unknown-values-key warning",
	"FERRY081 duplicate-values-key warning",
	"FERRY082 placeholder-value error",
	"FERRY083 emptied-value warning",
	"FERRY084 env-file-key-repeated warning",
	"FERRY085 unread-values-key warning",
	"FERRY086 unprovided-reference info",
	"FERRY087 unrendered-template error",
	"FERRY088 unset-values-read warning",
	"FERRY089 unsafe-production-setting error",
	"FERRY090 overlay-overridden warning",
	"FERRY091 missing-values-file error",
	"FERRY092 render-failed error",
	"FERRY093 shared-secret-store error",
	"FERRY094 secret-in-command error",
	"FERRY095 duplicate-object error",
	"FERRY096 unmatched-target-port error",
	"FERRY097 empty-ingress-host error",
	"FERRY098 regex-path-type error",
	"FERRY099 misnamed-reference warning",
	"FERRY100 ci-secret-in-env warning",
	"FERRY101 image-built-per-environment warning",
}

func TestCatalogue(t *testing.T) {
	var got []string
	for _, r := range Rules() {
		got = append(got, r.ID+" "+r.Name+" "+string(r.Severity))
		if r.Summary == "" || r.Help == "" || r.Check == nil {
			t.Errorf("rule %s lacks a summary, help or check", r.ID)
		}
	}
	if diff := cmp.Diff(catalogue, got); diff != "" {
		t.Errorf("Rules() (-want +got):\n%s", diff)
	}
	// Rules that encode GoFr's behaviour cite it.
	for _, id := range []string{"FERRY015", "FERRY016", "FERRY017", "FERRY032", "FERRY053", "FERRY054"} {
		if r, _ := RuleByID(id); !strings.Contains(r.Help, "GoFr") {
			t.Errorf("%s help does not cite GoFr: %s", id, r.Help)
		}
	}
}

func TestAcceptances(t *testing.T) {
	mk := func(accept ...project.Acceptance) *Input {
		in := inputOf(envOf("staging", "APP_ENV=staging", "S3_BUCKET=b", "LOG_LEVEL=loud"), envOf("prod", "APP_ENV=prod", "S3_BUCKET=b"))
		in.Project.Accept = accept
		return in
	}
	tests := []struct {
		name   string
		accept []project.Acceptance
		want   []string // rule environments accepted
		sum    Summary
	}{
		{
			name: "nothing accepted",
			want: []string{"FERRY013 prod,staging false", "FERRY023 staging false"},
			sum:  Summary{Errors: 2},
		},
		{
			name:   "accepted in the named environments",
			accept: []project.Acceptance{{Rule: "FERRY013", Environments: []string{"staging", "prod"}, Reason: "shared fixtures", Line: 3}},
			want:   []string{"FERRY013 prod,staging true", "FERRY023 staging false"},
			sum:    Summary{Errors: 1, Accepted: 1},
		},
		{
			name:   "acceptance for fewer environments does not cover the finding",
			accept: []project.Acceptance{{Rule: "FERRY013", Environments: []string{"staging"}, Reason: "r", Line: 3}},
			want:   []string{"FERRY013 prod,staging false", "FERRY023 staging false", "FERRY000 staging false"},
			sum:    Summary{Errors: 2, Warnings: 1},
		},
		{
			name: "stale, unknown rule, unknown environment, no reason",
			accept: []project.Acceptance{
				{Rule: "FERRY011", Reason: "old", Line: 4},
				{Rule: "FERRY999", Reason: "typo", Line: 7},
				{Rule: "FERRY023", Environments: []string{"qa"}, Reason: "r", Line: 9},
				{Rule: "FERRY023", Line: 11},
			},
			want: []string{"FERRY013 prod,staging false", "FERRY023 staging true", "FERRY000  false", "FERRY000  false", "FERRY000  false", "FERRY000 qa false"},
			sum:  Summary{Errors: 1, Warnings: 4, Accepted: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Run(mk(tt.accept...))
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Rule+" "+strings.Join(f.Environments, ",")+" "+map[bool]string{true: "true", false: "false"}[f.Accepted])
				if f.Rule == "FERRY000" && (f.File != "ferry.yaml" || f.Line == 0) {
					t.Errorf("stale acceptance at %s:%d, want its ferry.yaml line", f.File, f.Line)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.sum, rep.Summary); diff != "" {
				t.Errorf("Run summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	for _, tt := range []struct {
		sum            Summary
		strict, failed bool
	}{
		{Summary{}, true, false},
		{Summary{Warnings: 1}, false, false},
		{Summary{Warnings: 1}, true, true},
		{Summary{Errors: 1}, false, true},
		{Summary{Accepted: 3}, true, false},
	} {
		if got := (&Report{Summary: tt.sum}).Failed(tt.strict); got != tt.failed {
			t.Errorf("Report{%+v}.Failed(%v) = %v, want %v", tt.sum, tt.strict, got, tt.failed)
		}
	}
}

// TestUncheckedValuesFile: a values file of an environment's name that CI
// deploys with other files (payments-node's values-prod.yaml, beside a
// workflow that passes values-production.yaml) is among the report's
// problems, as an info naming the file, so JSON and SARIF readers see
// it; the run stays complete.
func TestUncheckedValuesFile(t *testing.T) {
	p, err := project.Load("../project/testdata/ci/payments-node")
	if err != nil {
		t.Fatal(err)
	}
	in, err := Load(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	var got []Problem
	for _, pr := range in.Problems {
		if strings.Contains(pr.Message, "so this file is not checked") {
			got = append(got, pr)
		}
	}
	if len(got) != 1 || got[0].File != "chart/values-prod.yaml" || !got[0].Info {
		t.Fatalf("problems %+v, want one info about chart/values-prod.yaml", in.Problems)
	}
}
