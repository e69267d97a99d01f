package check

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Values that are not values: CI placeholders a pipeline was meant to
// replace, encrypted blobs, and committed credentials.

// ciPlaceholder matches placeholders left for a pipeline or a person.
var ciPlaceholder = regexp.MustCompile(`(?i)(\$\{\{.*\}\}|\$\{[A-Za-z_][A-Za-z0-9_.]*\}|^REPLACE[_-]?(WITH|ME)|\bREPLACE[_-]ME\b|^CHANGE[_-]?ME$|^YOUR[_-][A-Z0-9_-]+$|^<[^<>]+>$|^TODO\b|^xxx+$|^__[A-Z0-9_]+__$|^#\{.*\}#?$)`)

// isPlaceholder reports an unreplaced placeholder.
func isPlaceholder(v string) bool {
	return ciPlaceholder.MatchString(strings.TrimSpace(v))
}

// encrypted reports a SOPS-encrypted value.
func encrypted(v string) bool { return strings.HasPrefix(strings.TrimSpace(v), "ENC[") }

func init() {
	register(
		Rule{
			ID: "FERRY041", Name: "committed-secret", Severity: Error,
			Summary: "A committed values file feeds a Secret, or a URL carries a password",
			Help: "A Secret the chart renders from a literal in a values file, and a URL or DSN whose " +
				"userinfo carries a password, put the credential in the repository for everyone who can " +
				"read it. Create the Secret outside the chart (or encrypt the values with SOPS) and " +
				"reference it; build URLs from a password delivered by a Secret ($(DB_PASSWORD) in env).",
			Check: checkCommittedSecret,
		},
		Rule{
			ID: "FERRY082", Name: "placeholder-value", Severity: Error,
			Summary: "A CI placeholder was rendered as a real value",
			Help: "${{ IMAGE_TAG }}, ${VAR}, REPLACE_WITH_…, replace-me, changeme, YOUR_…, <…>, TODO or " +
				"xxx in a rendered value or image tag was meant to be replaced by a pipeline or a person; " +
				"deployed as it is, the service gets the placeholder. An error after the first " +
				"environment of the path, a warning in the first. Set the real value, or reference a Secret.",
			Check: checkPlaceholder,
		},
	)
	projectRules["FERRY041"] = true
}

// urlPassword finds the password of a URL's or DSN's userinfo.
var urlPassword = regexp.MustCompile(`^(?:[a-zA-Z][a-zA-Z0-9+.:-]*://)?[^:/@\s]*:([^@/\s]*)@`)

func checkCommittedSecret(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		for _, sv := range e.Result.SecretValues {
			if sv.Source.Kind != render.KindValues || sv.Source.Encrypted || placeholder(sv.Value) || isPlaceholder(sv.Value) || encrypted(sv.Value) {
				continue
			}
			l := Location{Environment: e.Name, Key: sv.Key, Value: render.Redacted, Source: sv.Source.String(), File: sv.Source.File, Line: sv.Source.Line}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: sv.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: Secret %s key %s is a literal from %s, committed with the repository: create the Secret outside the chart, or encrypt the file with SOPS.",
					e.Name, sv.Secret, sv.Key, sv.Source),
			})
		}
		for _, w := range e.Result.Workloads {
			for _, c := range w.Containers {
				for _, en := range c.Config.Entries {
					if en.External || en.Source.Encrypted || !committedKind(en.Source.Kind) {
						continue
					}
					if _, ok := secret.RedactURL(en.Value); !ok {
						continue
					}
					if m := urlPassword.FindStringSubmatch(en.Value); m != nil && (placeholder(m[1]) || isPlaceholder(m[1]) || strings.Contains(m[1], "$(")) {
						continue
					}
					l := Location{Environment: e.Name, Key: en.Key, Value: render.Redacted, Source: en.Source.String(), File: en.Source.File, Line: en.Source.Line}
					out = append(out, Finding{
						Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
						Message: fmt.Sprintf("%s: %s carries a password in its URL (set at %s): deliver the password from a Secret and build the URL with $(DB_PASSWORD) in env.",
							e.Name, en.Key, en.Source),
					})
				}
			}
		}
	}
	return dedupe(out)
}

func committedKind(k render.Kind) bool {
	return k == render.KindValues || k == render.KindTemplate || k == render.KindFile || k == render.KindUnknown
}

func checkPlaceholder(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		sev := Error
		if firstStep(in, e.Name) {
			sev = Warning
		}
		for _, en := range e.Result.Config.Entries {
			if en.External || !isPlaceholder(en.Value) {
				continue
			}
			l := e.loc(en.Key, "")
			if en.Secret {
				l.Value = render.Redacted
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Severity: sev, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s is %s (set at %s): set the real value, or have the pipeline replace it.",
					e.Name, en.Key, shownPlaceholder(en), l.Source),
			})
		}
		if img := e.Result.Image; img != "" {
			_, tag, _ := imageRef(img)
			if isPlaceholder(tag) || strings.Contains(img, "${") {
				l := imageLoc(e, "tag", tag)
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: "image.tag", Severity: sev, Locations: []Location{l},
					Message: fmt.Sprintf("%s: image %s has the placeholder tag %q (set at %s): set the tag, or let ferry pin the digest at deploy time.",
						e.Name, img, tag, l.Source),
				})
			}
		}
	}
	return dedupe(out)
}

// shownPlaceholder never prints a secret, not even a placeholder one
// ("changeme" is the password if it is deployed).
func shownPlaceholder(en render.Entry) string {
	if en.Secret {
		return "an unreplaced placeholder (value redacted)"
	}
	return fmt.Sprintf("the placeholder %q", en.Value)
}
