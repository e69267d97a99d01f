package check

import (
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// An Ingress host that renders empty is a value an environment never
// filled in (ingress.host: "" in values-prod.yaml). In a TLS entry the
// API server refuses it (a TLS host must be a DNS name), so the release
// fails; in a rule it silently makes the rule a catch-all for every host
// the controller serves. A rule that leaves host out on purpose is not
// reported.

func init() {
	register(Rule{
		ID: "FERRY097", Name: "empty-ingress-host", Severity: Error,
		Summary: "An Ingress rule or TLS entry renders with an empty host",
		Help: "A host that renders as \"\" (or null) is a value the environment never set. In " +
			"spec.tls[].hosts the API server refuses it, so the release fails to install (an " +
			"error); in spec.rules[].host it makes the rule answer for every host name the " +
			"controller serves (a warning). A rule that leaves host out is a deliberate catch-all " +
			"and is not reported. Set the environment's host in its values file, or leave the " +
			"Ingress out (ingress.enabled: false) where it has none.",
		Check: checkEmptyIngressHost,
	})
	projectRules["FERRY097"] = true
}

// emptyHosts says where an Ingress has an empty host: in a rule, in a
// TLS entry.
func emptyHosts(o render.Object) (rule, tls bool) {
	spec := digMap(o.Body, "spec")
	rules, _ := spec["rules"].([]any)
	for _, r := range rules {
		m, _ := r.(map[string]any)
		if h, ok := m["host"]; ok && scalarString(h) == "" {
			rule = true
		}
	}
	tlss, _ := spec["tls"].([]any)
	for _, t := range tlss {
		m, _ := t.(map[string]any)
		hs, _ := m["hosts"].([]any)
		for _, h := range hs {
			if scalarString(h) == "" {
				tls = true
			}
		}
	}
	return rule, tls
}

func checkEmptyIngressHost(in *Input) []Finding {
	var g envFindings
	eachObject(in, "Ingress", func(e *Env, o render.Object) {
		rule, tls := emptyHosts(o)
		if !rule && !tls {
			return
		}
		l := objectLoc(in, e, o, "host", "", func(p string, v any) bool {
			return strings.Contains(strings.ToLower(leaf(p)), "host") && scalarString(v) == ""
		})
		l.Key = "Ingress/" + o.Name
		sev, what := Warning, "a rule with host \"\", which answers for every host name the controller serves"
		switch {
		case rule && tls:
			sev, what = Error, "host \"\" in a TLS entry, which the API server refuses, so the release fails to install, and in a rule, which would answer for every host name"
		case tls:
			sev, what = Error, "host \"\" in a TLS entry, which the API server refuses (a TLS host must be a DNS name), so the release fails to install"
		}
		g.add(strings.Join([]string{o.Name, string(sev), l.Source}, "\x00"), e, l,
			Finding{Key: l.Key, Severity: sev},
			fmt.Sprintf("Ingress %s has %s (set at %s): set the environment's host, or disable the Ingress where it has none.", o.Name, what, l.Source))
	})
	return g.findings()
}
