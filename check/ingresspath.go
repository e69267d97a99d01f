package check

import (
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// An Ingress path is a regular expression only to a controller told so:
// pathType ImplementationSpecific with its regex annotation
// (nginx.ingress.kubernetes.io/use-regex). Prefix and Exact are defined
// by the API as literal paths, so /api(/|$)(.*) with pathType Prefix
// matches the characters "(/|$)(.*)", which no request has, and a path
// that does not start with / is refused outright.

func init() {
	register(Rule{
		ID: "FERRY098", Name: "regex-path-type", Severity: Error,
		Summary: "An Ingress path is a regular expression but its pathType is Prefix or Exact",
		Help: "Kubernetes defines Prefix and Exact paths as literal paths, matched element by " +
			"element: a path written as a regular expression or glob (/api(/|$)(.*), /.*, /static/*) " +
			"works only where a controller ignores the pathType (ingress-nginx with use-regex or " +
			"rewrite-target), ingress-nginx's strict path validation (strict-validate-path-type) " +
			"refuses the Ingress, and other controllers match it literally, so no request matches. A " +
			"path that does not start with / (.*) is refused by the API server. Use pathType: " +
			"ImplementationSpecific with the controller's regex annotation " +
			"(nginx.ingress.kubernetes.io/use-regex: \"true\"), or a plain prefix (/api) with " +
			"pathType Prefix.",
		Check: checkRegexPathType,
	})
	projectRules["FERRY098"] = true
}

// regexPath reports whether an Ingress path is written as a regular
// expression or a glob.
func regexPath(p string) bool {
	return strings.ContainsAny(p, `()[]{}*+?|^$\`)
}

func checkRegexPathType(in *Input) []Finding {
	var g envFindings
	eachObject(in, "Ingress", func(e *Env, o render.Object) {
		rules, _ := digMap(o.Body, "spec")["rules"].([]any)
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			paths, _ := digMap(rm, "http")["paths"].([]any)
			for _, p := range paths {
				pm, _ := p.(map[string]any)
				path, _ := pm["path"].(string)
				pt, _ := pm["pathType"].(string)
				if (pt != "Prefix" && pt != "Exact") || !regexPath(path) {
					continue
				}
				l := objectLoc(in, e, o, "path", path, func(vp string, v any) bool {
					return leaf(vp) == "path" && scalarString(v) == path
				})
				l.Key = "Ingress/" + o.Name
				refused := ""
				if !strings.HasPrefix(path, "/") {
					refused = " (and the API server refuses a path that does not start with /)"
				}
				g.add(strings.Join([]string{o.Name, path, pt, l.Source}, "\x00"), e, l, Finding{Key: l.Key},
					fmt.Sprintf("Ingress %s routes %q with pathType %s (set at %s), which Kubernetes defines as a literal path: ingress-nginx's strict path validation refuses it and other controllers match no request with it%s; use pathType ImplementationSpecific with the controller's regex annotation (nginx.ingress.kubernetes.io/use-regex: \"true\"), or a plain prefix.",
						o.Name, path, pt, l.Source, refused))
			}
		}
	})
	return g.findings()
}
