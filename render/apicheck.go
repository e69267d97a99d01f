package render

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
)

// What the API server would reject in the objects ferry reads: ferry
// must not show a configuration that can never be installed.

// Invalid is one thing the API server (or Helm) would refuse.
type Invalid struct {
	File string
	Line int // 0 when the line cannot be told
	Msg  string
}

var (
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1035Label     = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
)

// validRelease is Helm's release-name rule (pkg/chart/common/util).
func validRelease(name string) bool {
	return len(name) <= 53 && dns1123Subdomain.MatchString(name)
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
		switch {
		case name == "":
		case kind == "Service" && (len(name) > 63 || !dns1035Label.MatchString(name)):
			add("name", fmt.Sprintf("Service name %q is not a DNS-1035 label (lower case, starting with a letter, at most 63 characters)", name))
		case kind != "Service" && (len(name) > 253 || !dns1123Subdomain.MatchString(name)):
			add("name", fmt.Sprintf("name %q is not a DNS subdomain (lower case letters, digits, '-' and '.')", name))
		}
		switch kind {
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
				if _, err := base64.StdEncoding.DecodeString(v); err != nil {
					add(k, fmt.Sprintf("data %s is not base64: use stringData, or b64enc it", k))
				}
			}
		}
		if pp := PodSpecPath(kind); pp != nil {
			pod := dig(o.body, pp...)
			for _, field := range []string{"initContainers", "containers"} {
				for _, c := range list(pod[field]) {
					cm, _ := c.(map[string]any)
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
