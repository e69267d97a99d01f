package secret

import (
	"fmt"
	"slices"
)

// ScrubRenderError scrubs the message of an error from rendering a chart
// with values. Helm's `fail` and `required` print a message the chart
// built, and charts build it from the values they were given
// (`fail (printf "password %s is too short" .Values.db.password)`), so
// every secret among the values — by its key's name or its shape, at any
// depth, subcharts' values included — is removed from msg, with what
// Scrub removes from any text. Locations (templates/secret.yaml:12:5) and
// the message's words stay.
func ScrubRenderError(msg string, values map[string]any) string {
	return Scrub(msg, Known(values)...)
}

// Known returns the secret values among values, a chart's values tree:
// each leaf whose key is sensitive or whose value is a secret by its
// shape, and each password inside a URL or DSN leaf. Pass them to Scrub
// to remove them from text the values reached.
func Known(values map[string]any) []string {
	var out []string
	var walk func(key string, v any, depth int)
	walk = func(key string, v any, depth int) {
		if depth > 100 {
			return // values deeper than this are refused where they are read
		}
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				walk(k, c, depth+1)
			}
		case []any:
			for _, c := range t {
				walk(key, c, depth+1)
			}
		case nil, bool:
			// true and false are not secrets, and removing them
			// would eat words of the message.
		default:
			s, ok := t.(string)
			if !ok {
				s = fmt.Sprint(t)
			}
			switch {
			case s == "" || ordinary[s]:
			case Name(key) || opaqueSecret(s):
				out = append(out, s)
			default:
				for _, p := range Passwords(s) {
					out = append(out, p.Value)
				}
			}
		}
	}
	walk("", values, 0)
	slices.Sort(out)
	return slices.Compact(out)
}

// ordinary are values of sensitive keys that are switches, not secrets
// (secret.create: "true"); scrubbing them would shred the message.
var ordinary = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "null": true, "none": true, "enabled": true, "disabled": true}
