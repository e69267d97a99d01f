package check

import (
	"fmt"
	"slices"

	"github.com/ferrydev/ferry/project"
)

// staleAcceptance reports ferry.yaml acceptances that accept nothing. It
// is not part of the catalogue (Rules does not list it): it checks the
// check's own configuration, and a reason that no longer applies must not
// outlive the finding it excused.
var staleAcceptance = Rule{
	ID: "FERRY000", Name: "stale-acceptance", Severity: Warning,
	Summary: "An accept: entry of ferry.yaml matches no finding",
	Help: "An acceptance that matches nothing (the problem was fixed, the rule ID or an " +
		"environment is misspelt) would silently accept the next, unrelated finding of that " +
		"rule. Delete it, or correct its rule and environments; give every acceptance a reason.",
}

// accepts reports whether a accepts f: same rule, and every environment of
// f is among a's (an acceptance without environments covers them all).
func accepts(a project.Acceptance, f Finding) bool {
	if a.Rule != f.Rule {
		return false
	}
	if len(a.Environments) == 0 {
		return true
	}
	for _, e := range f.Environments {
		if !slices.Contains(a.Environments, e) {
			return false
		}
	}
	return true
}

// applyAcceptances marks the findings that an acceptance covers, in
// place, and returns findings for the acceptances that are stale.
func applyAcceptances(in *Input, list []project.Acceptance, fs []Finding) []Finding {
	var out []Finding
	envs := names(in.Envs)
	for _, a := range list {
		matched := 0
		for i := range fs {
			if accepts(a, fs[i]) {
				matched++
				if !fs[i].Accepted {
					fs[i].Accepted, fs[i].Reason, fs[i].AcceptLine = true, a.Reason, a.Line
				}
			}
		}
		var msg string
		_, known := RuleByID(a.Rule)
		var unknownEnv string
		for _, e := range a.Environments {
			if !slices.Contains(envs, e) && unknownEnv == "" {
				unknownEnv = e
			}
		}
		switch {
		case !known || a.Rule == staleAcceptance.ID:
			msg = fmt.Sprintf("%s:%d accepts %q, which is no rule of the catalogue: correct the rule ID or delete the entry.", project.FileName, a.Line, a.Rule)
		case unknownEnv != "":
			msg = fmt.Sprintf("%s:%d accepts %s in %q, an environment the project does not have: correct the environment or delete the entry.", project.FileName, a.Line, a.Rule, unknownEnv)
		case matched == 0:
			msg = fmt.Sprintf("%s:%d accepts %s but it matches no finding any more: delete the entry.", project.FileName, a.Line, a.Rule)
		case a.Reason == "":
			msg = fmt.Sprintf("%s:%d accepts %s without a reason: say why the finding is acceptable.", project.FileName, a.Line, a.Rule)
		default:
			continue
		}
		f := complete(staleAcceptance, Finding{
			Environments: slices.Clone(a.Environments), Key: a.Rule, Message: msg,
			File: project.FileName, Line: a.Line,
			Locations: []Location{{Key: "accept", Value: a.Rule, Source: fmt.Sprintf("%s:%d", project.FileName, a.Line), File: project.FileName, Line: a.Line}},
		})
		out = append(out, f)
	}
	return out
}
