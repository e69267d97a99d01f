package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// A secret the pipeline keeps in its secret store (--set
// db.password=${{ secrets.PROD_DB_PASSWORD }}) is safe in the pipeline and
// exposed again when the chart writes it into a container's env as a
// plain value: it is in the pod spec, in kubectl describe and in the
// release's stored manifest, for anyone who can read them. Only a Secret
// (read with secretKeyRef) keeps it out of those.

func init() {
	register(Rule{
		ID: "FERRY100", Name: "ci-secret-in-env", Severity: Warning,
		Summary: "A secret the CI deploy command passes with --set reaches a container as a plain env value",
		Help: "The deploy command passes a secret from the pipeline's secret store (--set " +
			"x.password=${{ secrets.X }}, or a $VARIABLE named like a secret) and a template writes it " +
			"into a container's env: value: or a ConfigMap. It then shows in the pod spec, in kubectl " +
			"describe and in the release's manifest to anyone who can read them. Render it into a " +
			"Secret (stringData) and read it with secretKeyRef, or have an operator (External " +
			"Secrets, Sealed Secrets) make the Secret.",
		Check: checkCISecretInEnv,
	})
	projectRules["FERRY100"] = true
}

var (
	// ghSecret is a GitHub Actions secret: ${{ secrets.NAME }}.
	ghSecret = lazyre.New(`\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
	// ciVar is a variable a pipeline or shell fills in: $NAME, ${NAME}, $(NAME).
	ciVar = lazyre.New(`\$(?:\{|\()?([A-Za-z_][A-Za-z0-9_]*)`)
)

// ciSecret reports whether a --set flag passes a secret from the
// pipeline: any GitHub secret, or a variable named like a
// secret, or any CI value for a key named like one (auth.clientSecret).
func ciSecret(s project.SetFlag) bool {
	if !s.ByCI {
		return false
	}
	if secret.Name(strings.ReplaceAll(s.Path, ".", "_")) {
		return true
	}
	for _, m := range ghSecret.Get().FindAllStringSubmatch(s.Value, -1) {
		// The store is the evidence, whatever the secret is called
		// (PROD_DISCORD_WEBHOOK), unless the name says what is kept
		// there is public (DB_HOST, OAUTH_CLIENT_ID).
		if !publicName(m[1]) && !publicName(s.Path) {
			return true
		}
	}
	if strings.Contains(s.Value, "${{") {
		return false // another expression (github.sha, vars.X)
	}
	for _, m := range ciVar.Get().FindAllStringSubmatch(s.Value, -1) {
		if secret.Name(m[1]) {
			return true
		}
	}
	return false
}

// publicName reports a name whose last word is a thing that is not a
// secret: a host, a port, an id, a user or database name.
func publicName(n string) bool {
	ws := splitWords(camelWords(n))
	if len(ws) == 0 {
		return false
	}
	switch strings.ToLower(ws[len(ws)-1]) {
	case "host", "hostname", "port", "id", "user", "username", "name", "region", "domain", "namespace", "server", "endpoint":
		return true
	case "url", "uri":
		// A webhook's URL carries its token; a base URL is an address.
		return !strings.Contains(strings.ToLower(n), "webhook")
	}
	return false
}

// plainUse is one place a rendered object holds a value as plain text.
type plainUse struct {
	what     string // "env DB_URL of Deployment/api (api)"
	workload string
	loc      Location
}

// plainUses lists where e's rendered objects hold text as a plain value:
// containers' env values and ConfigMap data. A URL carrying it as its
// password is FERRY040's and FERRY041's.
func plainUses(in *Input, e *Env, text string) []plainUse {
	inURL := func(v string) bool { return strings.Contains(v, "://") && len(secret.Passwords(v)) > 0 }
	holds := func(v string) bool { return holdsExpr(v, text) }
	var out []plainUse
	for _, o := range e.Result.Objects {
		if hook(o.Body) {
			continue
		}
		if o.Kind == "ConfigMap" {
			data := digMap(o.Body, "data")
			for _, k := range slices.Sorted(maps.Keys(data)) {
				if v, ok := data[k].(string); ok && holds(v) && !inURL(v) {
					out = append(out, plainUse{what: "ConfigMap " + o.Name + " key " + k, loc: templateLoc(e.Name, k, "", o.Template, keyLine(in.files(), in.dir(), o.Template, k))})
				}
			}
			continue
		}
		pp := render.PodSpecPath(o.Kind)
		if pp == nil {
			continue
		}
		spec := digMap(o.Body, pp...)
		for _, field := range []string{"initContainers", "containers"} {
			cs, _ := spec[field].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				env, _ := cm["env"].([]any)
				for _, ev := range env {
					em, _ := ev.(map[string]any)
					v, ok := em["value"].(string)
					if !ok || !holds(v) || inURL(v) {
						continue
					}
					name := scalarString(em["name"])
					line := itemKeyLine(in.files(), in.dir(), o.Template, "name", name)
					out = append(out, plainUse{
						what:     fmt.Sprintf("env %s of %s/%s (%s)", name, o.Kind, o.Name, scalarString(cm["name"])),
						workload: o.Kind + "/" + o.Name,
						loc:      templateLoc(e.Name, name, "", o.Template, line),
					})
				}
			}
		}
	}
	return out
}

// holdsExpr reports whether v holds the CI expression expr whole: $DB_PASS
// is not in $DB_PASSWORD.
func holdsExpr(v, expr string) bool {
	word := func(c byte) bool { return c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' }
	if expr == "" || !word(expr[len(expr)-1]) {
		return expr != "" && strings.Contains(v, expr) // ${X}, ${{ x }}: closed by a brace
	}
	for rest := v; ; {
		i := strings.Index(rest, expr)
		if i < 0 {
			return false
		}
		if end := i + len(expr); end == len(rest) || !word(rest[end]) {
			return true
		}
		rest = rest[i+1:]
	}
}

// checkCISecretInEnv reports every such secret of the chart in one
// finding: moving the pipeline's secrets into a Secret is one fix, and
// six keys in two environments are not twelve mistakes.
func checkCISecretInEnv(in *Input) []Finding {
	var f Finding
	var paths, flags, uses, wls []string
	seen := map[string]bool{}
	for _, e := range in.Envs {
		if e.Result == nil || e.Spec == nil || e.Spec.Deploy == nil {
			continue
		}
		var lines []string // this environment's --set lines
		for _, s := range e.Spec.Set {
			if !ciSecret(s) || strings.TrimSpace(s.Value) == "" {
				continue
			}
			found := plainUses(in, e, s.Value)
			if len(found) == 0 {
				continue
			}
			line := e.Spec.Deploy.Line
			if s.Line > 0 {
				line = s.Line
			}
			if !slices.Contains(f.Environments, e.Name) {
				f.Environments = append(f.Environments, e.Name)
			}
			if !slices.Contains(paths, s.Path) {
				paths = append(paths, s.Path)
			}
			f.Locations = append(f.Locations, Location{Environment: e.Name, Key: s.Path, Value: s.Value, File: e.Spec.Deploy.File, Line: line,
				Source: fmt.Sprintf("CI %s:%d (%s)", e.Spec.Deploy.File, line, s.Flag())})
			if l := fmt.Sprintf("%s:%d", e.Spec.Deploy.File, line); !slices.Contains(lines, l) {
				lines = append(lines, l)
			}
			for _, u := range found {
				if !slices.Contains(uses, u.what) {
					uses = append(uses, u.what)
				}
				if u.workload != "" && !slices.Contains(wls, u.workload) {
					wls = append(wls, u.workload)
				}
				if !seen[u.loc.Source] {
					seen[u.loc.Source] = true
					f.Locations = append(f.Locations, u.loc)
				}
			}
		}
		if len(lines) > 0 {
			flags = append(flags, e.Name+": "+strings.Join(lines, ", "))
		}
	}
	if len(paths) == 0 {
		return nil
	}
	slices.Sort(paths)
	f.Key = strings.Join(paths, ",")
	f.Workload = strings.Join(wls, ", ")
	them, it := "them", "they show"
	if len(paths) == 1 {
		them, it = "it", "it shows"
	}
	f.Message = fmt.Sprintf("the deploy command passes %s from the pipeline's secrets (%s) and the chart writes %s as plain text into %s: %s to anyone who can read the pod spec or the ConfigMap (kubectl describe); render %s into a Secret and read %s with secretKeyRef.",
		andList(paths), strings.Join(flags, "; "), them, andList(uses), it, them, them)
	return []Finding{f}
}
