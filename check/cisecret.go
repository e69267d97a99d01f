package check

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

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
	ghSecret = regexp.MustCompile(`\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
	// ciVar is a variable a pipeline or shell fills in: $NAME, ${NAME}, $(NAME).
	ciVar = regexp.MustCompile(`\$(?:\{|\()?([A-Za-z_][A-Za-z0-9_]*)`)
)

// ciSecret reports whether a --set flag passes a secret from the
// pipeline: a GitHub secret named like one, or a variable named like a
// secret, or any CI value for a key named like one (auth.clientSecret).
func ciSecret(s project.SetFlag) bool {
	if !s.ByCI {
		return false
	}
	if secret.Name(strings.ReplaceAll(s.Path, ".", "_")) {
		return true
	}
	for _, m := range ghSecret.FindAllStringSubmatch(s.Value, -1) {
		if secret.Name(m[1]) {
			return true
		}
	}
	if strings.Contains(s.Value, "${{") {
		return false // another expression (github.sha, vars.X)
	}
	for _, m := range ciVar.FindAllStringSubmatch(s.Value, -1) {
		if secret.Name(m[1]) {
			return true
		}
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

func checkCISecretInEnv(in *Input) []Finding {
	type group struct {
		f     Finding
		flags []string // "prod: ${{ secrets.X }} (file:line)"
		uses  []string
		wls   []string
		seen  map[string]bool
	}
	var groups []*group
	idx := map[string]*group{}
	for _, e := range in.Envs {
		if e.Result == nil || e.Spec == nil || e.Spec.Deploy == nil {
			continue
		}
		for _, s := range e.Spec.Set {
			if !ciSecret(s) || strings.TrimSpace(s.Value) == "" {
				continue
			}
			uses := plainUses(in, e, s.Value)
			if len(uses) == 0 {
				continue
			}
			line := e.Spec.Deploy.Line
			if s.Line > 0 {
				line = s.Line
			}
			flag := "--set"
			if s.String {
				flag = "--set-string"
			}
			ci := Location{Environment: e.Name, Key: s.Path, Value: s.Value, File: e.Spec.Deploy.File, Line: line,
				Source: fmt.Sprintf("CI %s:%d (%s %s)", e.Spec.Deploy.File, line, flag, s.Path)}
			g, ok := idx[s.Path]
			if !ok {
				g = &group{f: Finding{Key: s.Path}, seen: map[string]bool{}}
				idx[s.Path] = g
				groups = append(groups, g)
			}
			g.f.Environments = append(g.f.Environments, e.Name)
			g.f.Locations = append(g.f.Locations, ci)
			g.flags = append(g.flags, fmt.Sprintf("%s: %s at %s:%d", e.Name, s.Value, e.Spec.Deploy.File, line))
			for _, u := range uses {
				if !slices.Contains(g.uses, u.what) {
					g.uses = append(g.uses, u.what)
				}
				if u.workload != "" && !slices.Contains(g.wls, u.workload) {
					g.wls = append(g.wls, u.workload)
				}
				if id := u.loc.Source; !g.seen[id] {
					g.seen[id] = true
					g.f.Locations = append(g.f.Locations, u.loc)
				}
			}
		}
	}
	out := make([]Finding, 0, len(groups))
	for _, g := range groups {
		f := g.f
		f.Workload = strings.Join(g.wls, ", ")
		f.Message = fmt.Sprintf("the deploy command passes %s from the pipeline's secrets (%s) and the chart writes it as plain text into %s: anyone who can read the pod spec or the ConfigMap (kubectl describe) sees it; render it into a Secret and read it with secretKeyRef.",
			f.Key, strings.Join(g.flags, "; "), andList(g.uses))
		out = append(out, f)
	}
	return out
}
