package project

import (
	"strings"
	"testing"
)

// TestPrefer: of two commands that deploy one environment, the one that
// defines it is the install over a template, the real deploy over a
// --dry-run or a canary, the job's last (a migration release, then the
// app), else the first found; the kept one says why, naming the other.
func TestPrefer(t *testing.T) {
	up := func(file string, line int, job, release string) *Deploy {
		return &Deploy{File: file, Line: line, job: job, Command: "upgrade", Release: release, Chart: "chart"}
	}
	tests := []struct {
		name      string
		old, d    *Deploy
		newWins   bool
		why, also string
	}{
		{"install over template", &Deploy{File: "ci.yml", Line: 3, Command: "template"}, up("ci.yml", 9, "deploy", "api"), true, "", ""},
		{"template after install", up("ci.yml", 3, "deploy", "api"), &Deploy{File: "ci.yml", Line: 9, Command: "template"}, false, "", ""},
		{"canary release first", up("cd.yml", 10, "prod", "api-canary"), up("cd.yml", 20, "prod", "api"), true, "not the canary", "cd.yml:10"},
		{"canary values after", up("cd.yml", 10, "prod", "api"), &Deploy{File: "cd.yml", Line: 20, job: "prod", Command: "upgrade", Release: "api-c", Values: []string{"chart/values-canary.yaml"}}, false, "not the canary", "cd.yml:20"},
		{"canary by --set", &Deploy{File: "cd.yml", Line: 10, job: "prod", Command: "upgrade", Release: "api", Set: []SetFlag{{Path: "canary.enabled", Value: "true"}}}, up("cd.yml", 20, "prod", "api"), true, "not the canary", ""},
		{"dry run first", &Deploy{File: "d.sh", Line: 5, job: "d", Command: "upgrade", Release: "api", dryRun: true}, up("d.sh", 7, "d", "api"), true, "--dry-run", "d.sh:5"},
		{"the job's last", up("ci.yml", 10, "deploy-prod", "api-migrate"), up("ci.yml", 14, "deploy-prod", "api"), true, "the job's last helm upgrade", "api-migrate"},
		// Near misses: another job, another file, one script two jobs call.
		{"another job's", up("ci.yml", 10, "deploy-prod", "api"), up("ci.yml", 30, "hotfix-prod", "api"), false, "the first found", "ci.yml:30"},
		{"another file's", up(".gitlab-ci.yml", 10, "deploy", "api"), up("deploy.sh", 3, "deploy", "api"), false, "the first found", "deploy.sh:3"},
		{"one script, two callers", &Deploy{File: "bin/deploy", Line: 4, Via: "ci.yml:10", Command: "upgrade"}, &Deploy{File: "bin/deploy", Line: 4, Via: "ci.yml:20", Command: "upgrade"}, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prefer(tt.old, tt.d); got != tt.newWins {
				t.Fatalf("prefer = %v, want %v", got, tt.newWins)
			}
			kept := tt.old
			if tt.newWins {
				kept = tt.d
			}
			if !strings.Contains(kept.Chosen, tt.why) || !strings.Contains(kept.Chosen, tt.also) || (tt.why == "" && kept.Chosen != "") {
				t.Errorf("kept %s says %q, want it to hold %q and %q", kept.Loc(), kept.Chosen, tt.why, tt.also)
			}
		})
	}
}
