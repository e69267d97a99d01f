package check

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Registry credentials: a chart that renders its own image pull Secret
// from imagePullSecret.password (or imageCredentials.password) commits
// the registry's password. The Secret's data is a JSON document the
// template builds (toJson | b64enc), so no values line is its source:
// the password is found in the document and traced back to the values
// path that holds it.

// dockerConfigKeys are the data keys of kubernetes.io/dockerconfigjson
// and kubernetes.io/dockercfg Secrets.
var dockerConfigKeys = map[string]bool{".dockerconfigjson": true, ".dockercfg": true}

// registryPasswords returns the passwords a docker config document
// carries, from password fields and from the user:password of auth.
func registryPasswords(doc string) []string {
	var cfg map[string]any
	if json.Unmarshal([]byte(doc), &cfg) != nil {
		return nil
	}
	auths, ok := cfg["auths"].(map[string]any)
	if !ok {
		auths = cfg // .dockercfg has the registries at the top
	}
	var out []string
	for _, a := range auths {
		m, ok := a.(map[string]any)
		if !ok {
			continue
		}
		if p, ok := m["password"].(string); ok && p != "" {
			out = append(out, p)
		}
		if s, ok := m["auth"].(string); ok {
			if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
				if _, p, ok := strings.Cut(string(dec), ":"); ok && p != "" {
					out = append(out, p)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pullSecretFindings reports registry passwords committed in a values
// file and rendered into an image pull Secret.
func pullSecretFindings(e *Env) []Finding {
	var out []Finding
	for _, sv := range e.Result.SecretValues {
		if !dockerConfigKeys[sv.Key] || sv.Source.Encrypted || sv.Source.Kind == render.KindExternal {
			continue
		}
		for _, pw := range registryPasswords(sv.Value) {
			if placeholder(pw) || isPlaceholder(pw) || encrypted(pw) || strings.Contains(pw, "$") {
				continue
			}
			src, p, ok := e.valuesHolding(pw)
			if !ok || src.Kind != render.KindValues || src.Encrypted {
				continue
			}
			if _, ci := e.setByCI(p); !ci {
				l := Location{Environment: e.Name, Key: p, Value: secret.Shown(p, pw, secret.Whole), Source: src.String(), File: src.File, Line: src.Line}
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: p, Locations: []Location{l},
					Message: fmt.Sprintf("%s: the registry password %s (set at %s) is rendered into the image pull Secret %s, committed with the repository: create the pull Secret outside the chart (kubectl create secret docker-registry) and name it in imagePullSecrets.",
						e.Name, p, src, sv.Secret),
				})
			}
		}
	}
	return out
}
