package render

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/project"
)

// What the API server would reject in the objects ferry reads: ferry
// must not show a configuration that can never be installed.

// Invalid is one thing the API server (or Helm) would refuse.
type Invalid struct {
	File string
	Line int // 0 when the line cannot be told
	Msg  string
	// ByRelease is set for a name that is invalid only because of the
	// release name in it: with a valid release in its place, it passes.
	ByRelease bool `json:"-"`
}

var (
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1035Label     = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// validRelease is Helm's release-name rule (pkg/chart/common/util).
func validRelease(name string) bool {
	return len(name) <= 53 && dns1123Subdomain.MatchString(name)
}

// badName says why the API server refuses name for an object of kind,
// "" when it takes it. Most kinds want a DNS subdomain; a Service a
// DNS-1035 label, a Namespace a DNS-1123 label, and the RBAC kinds only a
// path segment (system:auth-delegator is a valid ClusterRole).
func badName(kind, apiVersion, name string) string {
	switch {
	case kind == "Service":
		if len(name) > 63 || !dns1035Label.MatchString(name) {
			return fmt.Sprintf("Service name %q is not a DNS-1035 label (lower case, starting with a letter, at most 63 characters)", name)
		}
	case kind == "Namespace":
		if len(name) > 63 || !dns1123Label.MatchString(name) {
			return fmt.Sprintf("Namespace name %q is not a DNS label (lower case letters, digits and '-', at most 63 characters)", name)
		}
	case strings.HasPrefix(apiVersion, "rbac.authorization.k8s.io/"):
		// k8s.io/apimachinery content.IsPathSegmentName
		if name == "." || name == ".." || strings.ContainsAny(name, "/%") {
			return fmt.Sprintf("%s name %q cannot be a URL path segment (no '/', '%%', '.' or '..')", kind, name)
		}
	case len(name) > 253 || !dns1123Subdomain.MatchString(name):
		return fmt.Sprintf("name %q is not a DNS subdomain (lower case letters, digits, '-' and '.')", name)
	}
	return ""
}

// apiCheck lists what the API server would reject in objs: a non-string
// env value or ConfigMap data, Secret data that is not base64, names that
// are not DNS names.
func (r *resolver) apiCheck(objs []manifest, release string) []Invalid {
	var out []Invalid
	if !validRelease(release) {
		out = append(out, Invalid{Msg: fmt.Sprintf("release name %q is not a lower-case DNS name of at most 53 characters: Helm refuses it", release)})
	}
	for _, o := range objs {
		kind, name := str(o.body, "kind"), str(o.body, "metadata", "name")
		add := func(key, msg string) {
			// The object goes last, in parentheses: "Secret x-secret: …"
			// would read as a key: value pair to secret.Scrub.
			out = append(out, Invalid{File: o.template, Line: r.lineOf(o.template, key), Msg: msg + " (" + kind + "/" + name + ")"})
		}
		if name != "" {
			if msg := badName(kind, str(o.body, "apiVersion"), name); msg != "" {
				add("name", msg)
				out[len(out)-1].ByRelease = release != "" && strings.Contains(name, release) &&
					badName(kind, str(o.body, "apiVersion"), strings.ReplaceAll(name, release, "r")) == ""
			}
		}
		switch kind {
		case "Ingress":
			// networking/v1 ValidateIngressCreate: both set, they must agree
			class, hasClass := dig(o.body, "metadata", "annotations")["kubernetes.io/ingress.class"].(string)
			if spec, ok := dig(o.body, "spec")["ingressClassName"].(string); ok && hasClass && class != spec {
				add("ingressClassName", fmt.Sprintf("annotation kubernetes.io/ingress.class %q and ingressClassName %q differ: the API server refuses to create it; keep one", class, spec))
			}
		case "ConfigMap":
			d, _ := o.body["data"].(map[string]any)
			for _, k := range sortedKeys(d) {
				if _, ok := d[k].(string); !ok && d[k] != nil {
					add(k, fmt.Sprintf("data %s is %v, not a string: quote it", k, scalar(d[k])))
				}
			}
		case "Secret":
			d, _ := o.body["data"].(map[string]any)
			for _, k := range sortedKeys(d) {
				v, ok := d[k].(string)
				if !ok && d[k] != nil { // null is stored as an empty value
					add(k, fmt.Sprintf("data %s is not a string", k))
					continue
				}
				// A value the deploy command fills in as it runs (--set
				// x=$(… | base64 -w0)) is not known here.
				if _, err := base64.StdEncoding.DecodeString(v); err != nil && !project.IsCIExpr(v) {
					add(k, fmt.Sprintf("data %s is not base64: use stringData, or b64enc it", k))
				}
			}
		}
		if pp := PodSpecPath(kind); pp != nil {
			pod := dig(o.body, pp...)
			for _, field := range []string{"initContainers", "containers"} {
				for _, c := range list(pod[field]) {
					cm, _ := c.(map[string]any)
					if bad := probeFields(cm); len(bad) > 0 {
						probe, _, _ := strings.Cut(bad[0].at, ".")
						add(probe, fmt.Sprintf("container %s: %s: the API server refuses it", str(cm, "name"), describeBadFields(bad)))
					}
					for _, ev := range list(cm["env"]) {
						evm, _ := ev.(map[string]any)
						if v, ok := evm["value"]; ok && v != nil {
							if _, isStr := v.(string); !isStr {
								add(str(evm, "name"), fmt.Sprintf("container %s: env %s value %v is not a string: quote it", str(cm, "name"), str(evm, "name"), scalar(v)))
							}
						}
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// Fields of a probe and of its handlers (core/v1 Probe, HTTPGetAction,
// TCPSocketAction, GRPCAction, ExecAction).
var (
	probeKeys   = set("exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds")
	handlerKeys = map[string]map[string]bool{
		"httpGet":   set("path", "port", "host", "scheme", "httpHeaders"),
		"tcpSocket": set("port", "host"),
		"grpc":      set("port", "service"),
		"exec":      set("command"),
	}
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

type badField struct{ at, field, hint string }

// describeBadFields says it once per place, the fields together:
// "livenessProbe.httpGet has no fields initialDelaySeconds, periodSeconds
// (indent them one level up, beside httpGet)".
func describeBadFields(bad []badField) string {
	var parts []string
	for i := 0; i < len(bad); {
		j := i
		var fields []string
		for ; j < len(bad) && bad[j].at == bad[i].at && bad[j].hint == bad[i].hint; j++ {
			fields = append(fields, bad[j].field)
		}
		noun, hint := "field", bad[i].hint
		if len(fields) > 1 {
			noun, hint = "fields", strings.Replace(hint, "indent it", "indent them", 1)
		}
		parts = append(parts, fmt.Sprintf("%s has no %s %s (%s)", bad[i].at, noun, strings.Join(fields, ", "), hint))
		i = j
	}
	return strings.Join(parts, "; ")
}

// probeFields lists the fields of a container's probes that the schema
// does not have. The common slip is a probe's timing indented one level
// too deep, under httpGet: strict validation refuses the manifest, and
// without it the timings are dropped.
func probeFields(c map[string]any) []badField {
	var out []badField
	for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		p, _ := c[probe].(map[string]any)
		for _, k := range sortedKeys(p) {
			if !probeKeys[k] {
				out = append(out, badField{probe, k, "a probe has exec, httpGet, tcpSocket or grpc and its timings"})
				continue
			}
			h, _ := p[k].(map[string]any)
			allowed := handlerKeys[k]
			if h == nil || allowed == nil {
				continue
			}
			for _, hk := range sortedKeys(h) {
				if allowed[hk] {
					continue
				}
				hint := "check its spelling"
				if probeKeys[hk] {
					hint = "indent it one level up, beside " + k
				}
				out = append(out, badField{probe + "." + k, hk, hint})
			}
		}
	}
	return out
}
