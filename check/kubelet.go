package check

import (
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/render"
)

// Rules about what the kubelet does with the rendered objects: a key
// reference it cannot satisfy, and the variables it injects for Services.

func init() {
	register(
		Rule{
			ID: "FERRY056", Name: "missing-config-key", Severity: Error,
			Summary: "A required configMapKeyRef/secretKeyRef names a key the rendered object lacks",
			Help: "A configMapKeyRef or secretKeyRef without optional: true that names a key the chart's " +
				"ConfigMap or Secret does not have makes the kubelet refuse to start the container " +
				"(CreateContainerConfigError). Add the key to the object, fix the reference, or mark it " +
				"optional: true (the variable is then left unset).",
			Check: checkMissingConfigKey,
		},
		Rule{
			ID: "FERRY058", Name: "service-link-collision", Severity: Error,
			Summary: "A Service's injected variables collide with a key the service reads",
			Help: "Unless the pod sets enableServiceLinks: false, the kubelet injects <SVC>_SERVICE_HOST, " +
				"<SVC>_PORT=tcp://<ip>:<port> and more for every Service in the namespace, over " +
				"configs/.env. A Service named redis or db sets REDIS_PORT or DB_PORT to a URL, which " +
				"GoFr then fails to parse as a port (and GoFr's own defaults no longer apply). Set " +
				"enableServiceLinks: false in the pod spec, or rename the Service.",
			Check: checkServiceLinkCollision,
		},
	)
	gofrContract["FERRY058"] = true
}

func checkMissingConfigKey(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		for _, en := range e.Result.Config.Entries {
			if !en.Missing {
				continue
			}
			l := Location{Environment: e.Name, Key: en.Key, Source: en.Source.String(), File: en.Source.File, Line: en.Source.Line}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s reads %s, which the chart renders without that key (%s): the pod fails with CreateContainerConfigError; add the key or mark the reference optional: true.",
					e.Name, en.Key, en.Source.Detail, en.Source.File),
			})
		}
	}
	return dedupe(out)
}

// gofrReads are keys GoFr reads whether or not the configuration sets
// them: a service link that sets one changes GoFr's behaviour.
var gofrReads = []string{"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "REDIS_HOST", "REDIS_PORT", "REDIS_DB",
	"HTTP_PORT", "METRICS_PORT", "GRPC_PORT", "TRACER_HOST", "TRACER_PORT", "TRACER_URL", "MQTT_HOST", "MQTT_PORT",
	"PUBSUB_BROKER", "NATS_SERVER", "APP_NAME", "APP_VERSION", "LOG_LEVEL"}

func isServiceLink(en render.Entry) bool {
	return en.Source.Kind == render.KindRuntime && strings.HasPrefix(en.Source.Detail, "service link of Service ")
}

func checkServiceLinkCollision(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		for _, en := range e.Result.Config.Entries {
			if !isServiceLink(en) {
				continue
			}
			_, typed := typedKeys[en.Key]
			reads := len(en.Shadows) > 0 || typed
			for _, k := range gofrReads {
				reads = reads || k == en.Key
			}
			if !reads {
				continue
			}
			svc := strings.TrimPrefix(en.Source.Detail, "service link of Service ")
			svc, _, _ = strings.Cut(svc, " ")
			hides := ""
			if len(en.Shadows) > 0 {
				hides = fmt.Sprintf(", over %s", en.Shadows[0].Source)
			}
			l := Location{Environment: e.Name, Key: en.Key, Source: en.Source.String(), File: en.Source.File}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: Service %s (%s) makes the kubelet set %s%s, a key the service reads: set enableServiceLinks: false in the pod spec, or rename the Service.",
					e.Name, svc, en.Source.File, en.Key, hides),
			})
		}
	}
	return dedupe(out)
}

func init() {
	register(Rule{
		ID: "FERRY057", Name: "invalid-manifest", Severity: Error,
		Summary: "A rendered object the API server or Helm would reject",
		Help: "An env value or ConfigMap data that is not a string (8080, true, 0.5 unquoted), " +
			"Secret data that is not base64, a name that is not a DNS name, or a release name Helm " +
			"refuses: the install fails, so what ferry shows would never run. Quote the value, b64enc " +
			"the data (or use stringData), or fix the name. A name invalid only with the release name " +
			"ferry made up (the chart's name: no deploy command or ferry.yaml names the release) is " +
			"an info, said on that condition.",
		Check: checkInvalidManifest,
	})
	projectRules["FERRY057"] = true
}

func checkInvalidManifest(in *Input) []Finding {
	var out []Finding
	seen := map[string]int{}
	for _, e := range in.Envs {
		for _, iv := range e.Result.Invalid {
			id := fmt.Sprintf("%s:%d %s", iv.File, iv.Line, iv.Msg)
			if i, ok := seen[id]; ok {
				out[i].Environments = append(out[i].Environments, e.Name)
				continue
			}
			seen[id] = len(out)
			f := Finding{
				Environments: []string{e.Name}, File: iv.File, Line: iv.Line,
				Message: iv.Msg + ".",
			}
			if rel, ok := inventedRelease(e); ok && iv.ByRelease {
				// Only ferry named the release: the name CI gives may be
				// valid, so the finding is said on that condition.
				f.Severity = Info
				f.Message = fmt.Sprintf("if the release is named %s (the chart's name: no deploy command or ferry.yaml names the release), %s; name the release in ferry.yaml to check the real name.",
					rel, lowerFirst(iv.Msg))
			}
			out = append(out, f)
		}
	}
	return out
}

// inventedRelease is e's release name when ferry made it up from the
// chart's name (no deploy command, no ferry.yaml names it, or CI names it
// with an expression ferry cannot know).
func inventedRelease(e *Env) (string, bool) {
	if e.Spec == nil || e.Spec.Release == "" {
		return "", false
	}
	return e.Spec.Release, strings.Contains(e.Spec.From.Release, "the chart's name")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
