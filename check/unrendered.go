package check

import (
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/secret"
)

// Template text in a value: Helm renders templates, not values. A value
// that holds "{{ .Release.Name }}-kafka:9092" reaches the container as
// those very characters unless the template passes it through tpl.

func init() {
	register(Rule{
		ID: "FERRY087", Name: "unrendered-template", Severity: Error,
		Summary: "A value holds Helm template text that no tpl evaluates",
		Help: "Helm evaluates templates, not values: a value such as \"{{ .Release.Name }}-kafka:9092\" " +
			"reaches the container as that literal text unless the template that reads it passes it " +
			"through tpl (value: {{ tpl .Values.x . | quote }}). The service then connects to a host " +
			"named \"{{ .Release.Name }}-kafka\". Render it with tpl in the template, or write the " +
			"value out in each environment's values file.",
		Check: checkUnrenderedTemplate,
	})
}

// helmAction matches a Helm template action: {{ .Values.x }}, {{ include … }},
// {{- $x }}. ${{ X }} is a CI placeholder (FERRY082), not Helm's.
var helmAction = lazyre.New(`(^|[^$])\{\{-?\s*(\.|\$|include\s|template\s|tpl\s|printf\s|default\s|required\s|quote\s|lower\s|upper\s)[^}]*\}\}`)

func checkUnrenderedTemplate(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, en := range e.Result.Config.Entries {
			action := helmText(en.Value)
			if en.External || !committedKind(en.Source.Kind) || action == "" {
				continue
			}
			l := e.loc(en.Key, "")
			if en.Secret {
				l.Value = secret.Shown(en.Key, en.Value, secret.Whole)
			}
			text := fmt.Sprintf("the literal template text %q", action)
			if en.Secret {
				text = "literal template text (value redacted)"
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s reaches the container with %s (set at %s), which no tpl evaluates: pass the value through tpl in the template, or write it out per environment.",
					e.Name, en.Key, text, l.Source),
			})
		}
	}
	return dedupe(out)
}

// helmText is the first action of v that is Helm's, "" when none is. An
// action on a field Helm does not have ({{ .Token }} in a reset link's
// query) is the service's own template, which it fills in itself.
func helmText(v string) string {
	for _, m := range helmAction.Get().FindAllString(v, -1) {
		a := trimLeft(m)
		field := strings.TrimLeft(strings.TrimPrefix(a, "{{"), "- \t")
		if rest, ok := strings.CutPrefix(field, "."); ok {
			n := 0
			for n < len(rest) && isIdent(rest[n]) {
				n++
			}
			name := rest[:n]
			if name != "" && !strings.Contains(helmObjects, " "+name+" ") {
				continue
			}
		}
		return a
	}
	return ""
}

// helmObjects are the fields of the root a Helm template can read.
const helmObjects = " Values Release Chart Capabilities Template Files Subcharts "

// trimLeft drops the character before "{{" the pattern had to match.
func trimLeft(s string) string {
	for i := range s {
		if s[i] == '{' {
			return s[i:]
		}
	}
	return s
}
